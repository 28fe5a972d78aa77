#include "registry/pg/search_sql.h"

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

std::string OwnedBy(const char* alias) {
  return std::string(alias) + ".res_type = c.res_type AND " + alias + ".res_id = c.res_id";
}

std::string TokenCondition(const SearchCriterion& criterion, SqlParams& params) {
  const std::string head = "EXISTS (SELECT 1 FROM search_token t WHERE " + OwnedBy("t") +
                           " AND t.param = " + params.Add(criterion.param);
  if (criterion.modifier == "missing") {
    return std::string(criterion.missing ? "NOT " : "") + head + ")";
  }
  std::string ors;
  for (const auto& value : criterion.any_of) {
    if (!ors.empty()) ors += " OR ";
    std::string one = "(t.code = " + params.Add(value.value);
    if (value.system) one += " AND t.system = " + params.Add(*value.system);
    ors += one + ")";
  }
  return head + " AND (" + ors + "))";
}

std::string TextCondition(const SearchCriterion& criterion, SqlParams& params) {
  const std::string head = "EXISTS (SELECT 1 FROM search_text t WHERE " + OwnedBy("t") +
                           " AND t.param = " + params.Add(criterion.param);
  if (criterion.modifier == "missing") {
    return std::string(criterion.missing ? "NOT " : "") + head + ")";
  }
  std::string ors;
  for (const auto& value : criterion.any_of) {
    if (!ors.empty()) ors += " OR ";
    if (criterion.modifier == "exact") {
      ors += "t.value = " + params.Add(value.value);
    } else if (criterion.modifier == "contains") {
      ors += "t.normalized LIKE " + params.Add("%" + EscapeLike(value.value) + "%");
    } else {
      ors += "t.normalized LIKE " + params.Add(EscapeLike(value.value) + "%");
    }
  }
  return head + " AND (" + ors + "))";
}

std::string ReferenceCondition(const SearchCriterion& criterion, SqlParams& params) {
  const std::string head = "EXISTS (SELECT 1 FROM search_reference r WHERE " + OwnedBy("r") +
                           " AND r.param = " + params.Add(criterion.param);
  if (criterion.modifier == "missing") {
    return std::string(criterion.missing ? "NOT " : "") + head + ")";
  }
  std::string ors;
  for (const auto& value : criterion.any_of) {
    if (!ors.empty()) ors += " OR ";
    std::string one = "(r.target_id = " + params.Add(value.value);
    if (!value.target_type.empty()) one += " AND r.target_type = " + params.Add(value.target_type);
    ors += one + ")";
  }
  return head + " AND (" + ors + "))";
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
  }
  return "false";
}

// FHIR date search against a stored period [ps, pe) (R4 3.1.1.4.6, "ranges"): eq = the period lies
// within the searched range... we use the intuitive registry reading instead: eq/ap = overlaps the
// searched range (what was in force on that date), lt/le = started before its end, gt/ge = still
// running after its start, ne = does not overlap.
std::string PeriodCondition(const SearchCriterion& criterion, SqlParams& params) {
  const std::string head = "EXISTS (SELECT 1 FROM search_period p WHERE " + OwnedBy("p") +
                           " AND p.param = " + params.Add(criterion.param);
  if (criterion.modifier == "missing") {
    return std::string(criterion.missing ? "NOT " : "") + head + ")";
  }
  std::string ors;
  for (const auto& value : criterion.any_of) {
    if (!ors.empty()) ors += " OR ";
    auto start = [&] { return params.Add(value.range_start) + "::timestamptz"; };
    auto end = [&] { return params.Add(value.range_end) + "::timestamptz"; };
    auto overlaps = [&] {
      const std::string s = start();
      return "(p.period && tstzrange(" + s + ", " + end() + ", '[)'))";
    };
    switch (value.prefix) {
      case DatePrefix::eq: ors += overlaps(); break;
      case DatePrefix::ne: ors += "NOT " + overlaps(); break;
      case DatePrefix::lt: ors += "(lower(p.period) IS NULL OR lower(p.period) < " + start() + ")"; break;
      case DatePrefix::le: ors += "(lower(p.period) IS NULL OR lower(p.period) < " + end() + ")"; break;
      case DatePrefix::gt: ors += "(upper(p.period) IS NULL OR upper(p.period) > " + end() + ")"; break;
      case DatePrefix::ge: ors += "(upper(p.period) IS NULL OR upper(p.period) > " + start() + ")"; break;
    }
  }
  return head + " AND (" + ors + "))";
}

std::string IdCondition(const SearchCriterion& criterion, SqlParams& params) {
  std::string list;
  for (const auto& value : criterion.any_of) {
    if (!list.empty()) list += ", ";
    list += params.Add(value.value);
  }
  return "c.res_id IN (" + list + ")";
}

}  // namespace

std::string SearchWhereClause(const SearchQuery& query, SqlParams& params) {
  std::string where = "c.res_type = " + params.Add(query.type) + " AND NOT c.deleted";
  for (const auto& criterion : query.criteria) {
    if (criterion.any_of.empty() && criterion.modifier != "missing") continue;
    std::string condition;
    switch (criterion.kind) {
      case SearchKind::id: condition = IdCondition(criterion, params); break;
      case SearchKind::token: condition = TokenCondition(criterion, params); break;
      case SearchKind::text: condition = TextCondition(criterion, params); break;
      case SearchKind::reference: condition = ReferenceCondition(criterion, params); break;
      case SearchKind::period: condition = PeriodCondition(criterion, params); break;
      case SearchKind::last_updated: {
        std::string ors;
        for (const auto& value : criterion.any_of) {
          if (!ors.empty()) ors += " OR ";
          ors += DateCondition("c.last_updated", value, params);
        }
        condition = "(" + ors + ")";
        break;
      }
    }
    where += " AND " + condition;
  }
  return where;
}

}  // namespace nara::pg
