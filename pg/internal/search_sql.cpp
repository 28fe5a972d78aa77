#include "pg/internal/search_sql.h"

#include "pg/internal/pg_registry.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/row_values.h"
#include "registry/date.h"

namespace nara::pg {

std::string SqlParams::Add(std::string value) {
  values_.push_back(std::move(value));
  return "$" + std::to_string(values_.size());
}

std::string EscapeLike(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

namespace {

// A version's lastUpdated as the text the server writes into meta.lastUpdated.
const std::string kIsoUpdated = Rfc3339Sql("v.last_updated");

// Conditions are built over an owner alias: `c` for the searched resource, `c2` for the target of
// a chained parameter (an inner alias of the same name shadows the outer one, as SQL scopes do).
std::string OwnedBy(const char* alias, const std::string& owner) {
  return std::string(alias) + ".res_type = " + owner + ".res_type AND " + alias + ".res_id = " + owner + ".res_id";
}

// A criterion over one of the index tables: EXISTS over the owner's rows of its parameter, left
// open for the rows' test (`rows + " AND (" + test + "))"`).
std::string IndexRows(const char* table, const char* alias, const SearchCriterion& criterion, const std::string& owner,
                      SqlParams& params) {
  return std::string("EXISTS (SELECT 1 FROM ") + table + " " + alias + " WHERE " + OwnedBy(alias, owner) + " AND " +
         alias + ".param = " + params.Add(criterion.param);
}

// A criterion over a parameter a type keeps on its current row (pg/internal/row_values.h): `test`
// makes the criterion's expression from a source of rows, left open as IndexRows is. Where the row
// values describe the owner's current version, over a one-row source with the index table's column
// names; elsewhere (a row of a release before them, until a reindex) over its index rows. A parameter
// not on the row: over the index rows alone (row_source empty).
template <typename Test>
std::string OnRowOrIndexRows(const std::string& owner, const std::string& row_source, const std::string& index_rows,
                             Test test) {
  if (row_source.empty()) return test(index_rows);
  return "(CASE WHEN " + RowValuesCurrentSql(owner) + " THEN " + test(row_source) + " ELSE " + test(index_rows) +
         " END)";
}

// `:missing`: only whether the owner has rows of the parameter at all.
std::string MissingCondition(const SearchCriterion& criterion, const std::string& rows) {
  return std::string(criterion.missing ? "NOT " : "") + rows + ")";
}

// The rows' test of each searched value, ORed (a comma in FHIR).
template <typename Test>
std::string AnyOf(const SearchCriterion& criterion, Test test) {
  std::string ors;
  for (const auto& value : criterion.any_of) {
    if (!ors.empty()) ors += " OR ";
    ors += test(value);
  }
  return ors;
}

std::string TokenCondition(const SearchCriterion& criterion, const std::string& owner, const std::string& type,
                           SqlParams& params) {
  const std::string index_rows = IndexRows("search_token", "t", criterion, owner, params);
  const std::string row =
      IsRowToken(type, criterion.param) ? "EXISTS (SELECT 1 FROM " + RowTokenSource(owner) : std::string();
  if (criterion.modifier == "missing") {
    return OnRowOrIndexRows(owner, row, index_rows,
                            [&](const std::string& rows) { return MissingCondition(criterion, rows); });
  }
  const std::string ors = AnyOf(criterion, [&](const SearchValue& value) {
    // An empty code with a system is `system|`: any code in that system (fhir/search/search_params.h).
    if (value.value.empty() && value.system) return "(t.system = " + params.Add(*value.system) + ")";
    std::string one = "(t.code = " + params.Add(value.value);
    if (value.system) one += " AND t.system = " + params.Add(*value.system);
    return one + ")";
  });
  // :not (FHIR R4 3.1.1.5.5): the resources without a matching token, including those with none.
  const auto matching = [&](const std::string& rows) {
    return std::string(criterion.modifier == "not" ? "NOT " : "") + rows + " AND (" + ors + "))";
  };
  return OnRowOrIndexRows(owner, row, index_rows, matching);
}

std::string TextCondition(const SearchCriterion& criterion, const std::string& owner, SqlParams& params) {
  const std::string rows = IndexRows("search_text", "t", criterion, owner, params);
  if (criterion.modifier == "missing") return MissingCondition(criterion, rows);
  const std::string ors = AnyOf(criterion, [&](const SearchValue& value) {
    if (criterion.modifier == "exact") return "t.value = " + params.Add(value.value);
    if (criterion.modifier == "contains") return "t.normalized LIKE " + params.Add("%" + EscapeLike(value.value) + "%");
    return "t.normalized LIKE " + params.Add(EscapeLike(value.value) + "%");
  });
  return rows + " AND (" + ors + "))";
}

std::string Condition(const SearchCriterion& criterion, const std::string& owner, const std::string& type,
                      SqlParams& params);

std::string ReferenceCondition(const SearchCriterion& criterion, const std::string& owner, SqlParams& params) {
  const std::string rows = IndexRows("search_reference", "r", criterion, owner, params);
  if (criterion.modifier == "missing") return MissingCondition(criterion, rows);
  if (!criterion.chain.empty()) {
    // One level of chaining, as a subquery: a live target of the chained type matches the inner test.
    const std::string target = params.Add(criterion.chain_type);
    return rows + " AND r.target_type = " + target +
           " AND r.target_id IN (SELECT c2.res_id FROM resource_current c2 WHERE c2.res_type = " + target +
           " AND NOT c2.deleted AND " + Condition(criterion.chain.front(), "c2", criterion.chain_type, params) + "))";
  }
  const std::string ors = AnyOf(criterion, [&](const SearchValue& value) {
    std::string one = "(r.target_id = " + params.Add(value.value);
    if (!value.target_type.empty()) one += " AND r.target_type = " + params.Add(value.target_type);
    return one + ")";
  });
  return rows + " AND (" + ors + "))";
}

// Only the bounds a prefix uses are bound: an unused bind parameter has no type PostgreSQL can infer.
std::string DateCondition(const std::string& column, const SearchValue& value, SqlParams& params) {
  auto start = [&] { return params.Add(value.range_start) + "::timestamptz"; };
  auto end = [&] { return params.Add(value.range_end) + "::timestamptz"; };
  switch (value.prefix) {
    case DatePrefix::eq: {
      const std::string s = start();
      return "(" + column + " >= " + s + " AND " + column + " < " + end() + ")";
    }
    case DatePrefix::ne: {
      const std::string s = start();
      return "(" + column + " < " + s + " OR " + column + " >= " + end() + ")";
    }
    case DatePrefix::lt: return "(" + column + " < " + start() + ")";
    case DatePrefix::le: return "(" + column + " < " + end() + ")";
    case DatePrefix::gt: return "(" + column + " >= " + end() + ")";
    case DatePrefix::ge: return "(" + column + " >= " + start() + ")";
    case DatePrefix::sa: return "(" + column + " >= " + end() + ")";  // an instant: as gt
    case DatePrefix::eb: return "(" + column + " < " + start() + ")";  // an instant: as lt
  }
  return "false";
}

// FHIR date search against a stored period [ps, pe) (R4 3.1.1.4.6, "ranges"): eq = the period lies
// within the searched range... we use the intuitive registry reading instead: eq/ap = overlaps the
// searched range (what was in force on that date), lt/le = started before its end, gt/ge = still
// running after its start, ne = does not overlap, sa = starts after it, eb = ended before it.
std::string PeriodCondition(const SearchCriterion& criterion, const std::string& owner, const std::string& type,
                            SqlParams& params) {
  const std::string index_rows = IndexRows("search_period", "p", criterion, owner, params);
  const std::string row =
      IsRowPeriod(type, criterion.param) ? "EXISTS (SELECT 1 FROM " + RowPeriodSource(owner) : std::string();
  if (criterion.modifier == "missing") {
    return OnRowOrIndexRows(owner, row, index_rows,
                            [&](const std::string& rows) { return MissingCondition(criterion, rows); });
  }
  const std::string ors = AnyOf(criterion, [&](const SearchValue& value) -> std::string {
    auto start = [&] { return params.Add(value.range_start) + "::timestamptz"; };
    auto end = [&] { return params.Add(value.range_end) + "::timestamptz"; };
    auto overlaps = [&] {
      const std::string s = start();
      return "(p.period && tstzrange(" + s + ", " + end() + ", '[)'))";
    };
    switch (value.prefix) {
      case DatePrefix::eq: return overlaps();
      case DatePrefix::ne: return "NOT " + overlaps();
      case DatePrefix::lt: return "(lower(p.period) IS NULL OR lower(p.period) < " + start() + ")";
      case DatePrefix::le: return "(lower(p.period) IS NULL OR lower(p.period) < " + end() + ")";
      case DatePrefix::gt: return "(upper(p.period) IS NULL OR upper(p.period) > " + end() + ")";
      case DatePrefix::ge: return "(upper(p.period) IS NULL OR upper(p.period) > " + start() + ")";
      // sa: the whole period after the searched range; eb: the whole period before it.
      case DatePrefix::sa: return "(lower(p.period) IS NOT NULL AND lower(p.period) >= " + end() + ")";
      case DatePrefix::eb: return "(upper(p.period) IS NOT NULL AND upper(p.period) <= " + start() + ")";
    }
    return "false";
  });
  return OnRowOrIndexRows(owner, row, index_rows,
                          [&](const std::string& rows) { return rows + " AND (" + ors + "))"; });
}

// One array parameter however many ids (a doctor's list of 1 100 was 1 100 parameters to parse).
std::string IdCondition(const SearchCriterion& criterion, const std::string& owner, SqlParams& params) {
  std::vector<std::string> ids;
  ids.reserve(criterion.any_of.size());
  for (const auto& value : criterion.any_of) ids.push_back(value.value);
  return owner + ".res_id = ANY(" + params.Add(TextArrayLiteral(ids)) + "::text[])";
}

// The registry's own answer to "whose doctor / which unit's list" (pg_registry.h), as a subquery of
// the search statement: no round trip of its own and no id list in between.
std::string GeneralPractitionerCondition(const SearchCriterion& criterion, const std::string& owner,
                                         SqlParams& params) {
  std::string ors;
  for (const auto& value : criterion.any_of) {
    auto on = Date::Parse(value.range_start);
    const std::string days = params.Add(std::to_string(on ? on->days() : Date::Today().days()));
    const std::string id = params.Add(value.value);
    auto add = [&](const std::string& subquery) {
      ors += (ors.empty() ? "" : " OR ") + owner + ".res_id IN (" + subquery + ")";
    };
    if (value.target_type != "Organization") add(PatientsOfDoctorSql(id, days));
    if (value.target_type != "PractitionerRole") add(PatientsListedAtSql(id, days));
  }
  return ors.empty() ? "false" : "(" + ors + ")";
}

// A criterion over resource_current `owner` of `type`.
std::string Condition(const SearchCriterion& criterion, const std::string& owner, const std::string& type,
                      SqlParams& params) {
  switch (criterion.kind) {
    case SearchKind::id: return IdCondition(criterion, owner, params);
    case SearchKind::token: return TokenCondition(criterion, owner, type, params);
    case SearchKind::text: return TextCondition(criterion, owner, params);
    case SearchKind::reference: return ReferenceCondition(criterion, owner, params);
    case SearchKind::period: return PeriodCondition(criterion, owner, type, params);
    case SearchKind::general_practitioner: return GeneralPractitionerCondition(criterion, owner, params);
    case SearchKind::last_updated:
      return "(" + AnyOf(criterion, [&](const SearchValue& value) {
               return DateCondition(owner + ".last_updated", value, params);
             }) + ")";
  }
  return "false";
}

}  // namespace

std::string SearchWhereClause(const SearchQuery& query, SqlParams& params) {
  std::string where = "c.res_type = " + params.Add(query.type) + " AND NOT c.deleted";
  for (const auto& criterion : query.criteria) {
    if (criterion.any_of.empty() && criterion.modifier != "missing" && criterion.chain.empty()) continue;
    where += " AND " + Condition(criterion, "c", query.type, params);
  }
  return where;
}

bool TotalInPage(const SearchQuery& query) {
  if (!query.want_total) return false;
  for (const auto& criterion : query.criteria) {
    if (criterion.kind == SearchKind::reference && criterion.modifier != "missing" &&
        (!criterion.any_of.empty() || !criterion.chain.empty())) {
      return true;
    }
    // A doctor's or a unit's list, or ids: bounded sets, counted as the page reads them.
    if (criterion.kind == SearchKind::general_practitioner || criterion.kind == SearchKind::id) return true;
  }
  return false;
}

// Text keys compare in Swedish alphabetical order (å, ä, ö after z; case and accents second), by ICU
// as PostgreSQL ships it, whatever the database's own collation.
constexpr const char* kSwedish = " COLLATE \"sv-SE-x-icu\"";

// The keyset condition of a text order, whose missing keys (NULL) come last in the result's order
// whichever its direction: last in the direction of travel for a page after the cursor, first for a
// page before it (fetched backwards). `op` is the comparison in the direction of travel.
std::string AfterTextKey(const SearchCursor& cursor, const std::string& op, SqlParams& params) {
  const bool nulls_ahead = !cursor.before;
  const std::string id = params.Add(cursor.id);
  if (cursor.key.empty()) {  // the cursor's row has no key: it is among the missing ones
    return nulls_ahead ? " WHERE (m.k IS NULL AND m.res_id" + op + id + ")"
                       : " WHERE (m.k IS NOT NULL OR m.res_id" + op + id + ")";
  }
  const std::string key = params.Add(cursor.key.substr(1)) + "::text" + kSwedish;
  return " WHERE (m.k" + op + key + " OR (m.k = " + key + " AND m.res_id" + op + id + ")" +
         (nulls_ahead ? " OR m.k IS NULL" : "") + ")";
}

// The sort key of resource c of `type`.
std::string SortKeySql(const SearchSort& sort, const std::string& type, SqlParams& params) {
  switch (sort.key) {
    case SortKey::id: return "NULL::timestamptz";
    case SortKey::last_updated: return "c.last_updated";
    case SortKey::period_start: {
      // A resource without the period sorts last whichever the direction.
      const auto earliest_start = [&](const std::string& periods) {
        return "COALESCE((SELECT min(COALESCE(lower(p.period), '-infinity'::timestamptz)) FROM " + periods + "), '" +
               (sort.descending ? "-infinity" : "infinity") + "'::timestamptz)";
      };
      const std::string index_rows =
          "search_period p WHERE " + OwnedBy("p", "c") + " AND p.param = " + params.Add(sort.param);
      return OnRowOrIndexRows("c", IsRowPeriod(type, sort.param) ? RowPeriodSource("c") : "", index_rows,
                              earliest_start);
    }
    case SortKey::text:
      return std::string("(SELECT min(t.value") + kSwedish + ") FROM search_text t WHERE " + OwnedBy("t", "c") +
             " AND t.param = " + params.Add(sort.param) + ")";
  }
  return "";
}

// The sort key m.k as the store reports it (SearchPage::first_key/last_key, SearchCursor::key).
const char* ReportedSortKey(SortKey key) {
  switch (key) {
    case SortKey::id: return "''";
    case SortKey::text: return "COALESCE('=' || m.k, '')";
    default:
      return "CASE WHEN isfinite(m.k) THEN to_char(m.k AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
             "ELSE m.k::text END";
  }
}

std::string SearchPageSql(const SearchQuery& query, SqlParams& params) {
  const SearchSort& sort = query.sort;
  const bool by_id = sort.key == SortKey::id;
  const bool by_text = sort.key == SortKey::text;
  const std::string key = SortKeySql(sort, query.type, params);
  const std::string where = SearchWhereClause(query, params);
  // Rows come in the direction of travel: backwards (reversed) for a page before the cursor.
  const bool fetch_descending = sort.descending != (query.cursor && query.cursor->before);
  std::string after;
  if (query.cursor) {
    const char* op = fetch_descending ? " < " : " > ";
    if (by_id) {
      after = " WHERE m.res_id" + std::string(op) + params.Add(query.cursor->id);
    } else if (by_text) {
      after = AfterTextKey(*query.cursor, op, params);
    } else {
      after = " WHERE (m.k, m.res_id)" + std::string(op) + "(" + params.Add(query.cursor->key) + "::timestamptz, " +
              params.Add(query.cursor->id) + ")";
    }
  }
  const std::string dir = fetch_descending ? " DESC" : "";
  // The key in the direction of travel; a text order's missing keys last in the result's order.
  std::string key_order = by_id ? "" : dir + ", ";
  if (by_text) {
    const bool before = query.cursor && query.cursor->before;
    key_order = std::string(kSwedish) + dir + (before ? " NULLS FIRST" : " NULLS LAST") + ", ";
  }
  const std::string order = (by_id ? "" : "k" + key_order) + "res_id" + dir;
  // The matches are ordered and cut to the page by their keys alone, and only the page's rows are
  // joined to their version bodies: sorting a thousand bodies (~0.6 MB) cost more than the join.
  // The total, where TotalInPage, is a window count over every match (before the cursor and the
  // LIMIT cut): the same rows the page query reads anyway, where a separate count(*) read them again.
  const bool with_total = TotalInPage(query);
  const std::string total = with_total ? ", count(*) OVER () AS total" : "";
  return std::string("SELECT m.res_id, m.version, m.deleted, v.body, ") + kIsoUpdated + " AS updated, " +
         ReportedSortKey(sort.key) + " AS sort_key" + (with_total ? ", m.total" : "") +
         " FROM (SELECT * FROM (SELECT c.res_type, c.res_id, c.version, c.deleted, " + key + " AS k" + total +
         " FROM resource_current c WHERE " + where + ") m" + after + " ORDER BY " + order + " LIMIT " +
         std::to_string(query.count + 1) + " OFFSET " + std::to_string(query.offset) +
         ") m JOIN resource_version v ON v.res_type = m.res_type AND v.res_id = m.res_id AND v.version = m.version"
         " ORDER BY " +
         (by_id ? "" : "m.k" + key_order) + "m.res_id" + dir;
}

std::string IncludeSql(const IncludeSpec& spec, bool reverse, const std::string& match_type,
                       const std::vector<std::string>& ids, int limit, SqlParams& params) {
  std::string where;
  if (reverse) {
    where = "c.res_type = " + params.Add(spec.source_type) +
            " AND EXISTS (SELECT 1 FROM search_reference r WHERE " + OwnedBy("r", "c") +
            " AND r.param = " + params.Add(spec.param) + " AND r.target_type = " + params.Add(match_type) +
            " AND r.target_id = ANY(" + params.Add(TextArrayLiteral(ids)) + "::text[]))";
  } else {
    where = "(c.res_type, c.res_id) IN (SELECT r.target_type, r.target_id FROM search_reference r WHERE "
            "r.res_type = " + params.Add(spec.source_type) + " AND r.param = " + params.Add(spec.param) +
            (spec.target_type.empty() ? "" : " AND r.target_type = " + params.Add(spec.target_type)) +
            " AND r.res_id = ANY(" + params.Add(TextArrayLiteral(ids)) + "::text[]))";
  }
  return std::string("SELECT c.res_type, c.res_id, c.version, c.deleted, v.body, ") + kIsoUpdated +
         " AS updated FROM resource_current c JOIN resource_version v USING (res_type, res_id, version) WHERE "
         "NOT c.deleted AND " + where + " ORDER BY c.res_type, c.res_id LIMIT " + std::to_string(limit);
}

}  // namespace nara::pg
