// Row values (schema/0022, pg/internal/row_values.h) against a real PostgreSQL: EpisodeOfCare's and
// CareTeam's status and period live on the current row, not in search_token and search_period, and
// every search over them (values, :not, :missing, date prefixes, _sort, a chain) answers as before;
// rows that a writer of the release before wrote (index rows, the row values left behind) are still
// found by their index rows, and this release's next version moves them onto the row.
#include "tests/pg/pg_store_fixture.h"

namespace nara::pg {
namespace {

constexpr const char* kEpisodeStatus = "http://hl7.org/fhir/episode-of-care-status";

class RowValuesTest : public PgStoreTest {
 protected:
  static IndexEntries Episode(const std::string& status, const std::string& start, const std::string& end) {
    IndexEntries index;
    index.tokens.push_back({"status", kEpisodeStatus, status});
    index.tokens.push_back({"type", "urn:nr:episode-type", "listning"});
    index.references.push_back({"patient", "Patient", "p1"});
    index.periods.push_back({"date", start, end});
    return index;
  }
  void Write(const std::string& type, const std::string& id, const IndexEntries& index) {
    auto written = WriteOne(*store_, Request(type, id, index));
    ASSERT_TRUE(written.ok()) << written.error().text;
  }
  void Sql(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec0(sql);
    tx.commit();
  }
  std::string Text(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    const auto field = tx.exec1(sql)[0];
    return field.is_null() ? "NULL" : field.as<std::string>();
  }

  static SearchCriterion Criterion(SearchKind kind, const std::string& param, const std::string& modifier,
                                   std::vector<SearchValue> values = {}) {
    SearchCriterion criterion;
    criterion.kind = kind;
    criterion.param = param;
    criterion.modifier = modifier;
    criterion.any_of = std::move(values);
    return criterion;
  }
  static SearchCriterion Missing(SearchKind kind, const std::string& param, bool missing) {
    SearchCriterion criterion = Criterion(kind, param, "missing");
    criterion.missing = missing;
    return criterion;
  }
  std::vector<std::string> Find(const std::string& type, std::vector<SearchCriterion> criteria,
                                std::optional<SearchSort> sort = std::nullopt) {
    SearchQuery query;
    query.type = type;
    query.criteria = std::move(criteria);
    if (sort) query.sort = *sort;
    auto page = store_->Search(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().text);
    if (!page.ok()) return {};
    std::vector<std::string> ids = pg::Ids(*page);
    if (!sort) std::sort(ids.begin(), ids.end());
    return ids;
  }
  std::vector<std::string> Status(const std::string& modifier, const std::string& code,
                                  const std::string& type = "EpisodeOfCare") {
    return Find(type, {Criterion(SearchKind::token, "status", modifier, {TokenValue(std::nullopt, code)})});
  }
  std::vector<std::string> During(const std::string& start, const std::string& end,
                                  DatePrefix prefix = DatePrefix::eq) {
    return Find("EpisodeOfCare", {Criterion(SearchKind::period, "date", "", {DateValue(prefix, start, end)})});
  }
  std::vector<std::string> ByStart(bool descending) {
    SearchSort sort;
    sort.key = SortKey::period_start;
    sort.param = "date";
    sort.descending = descending;
    return Find("EpisodeOfCare", {}, sort);
  }
  // An instant as UTC text, whatever the session's time zone.
  static std::string Utc(const std::string& instant) {
    return "to_char(" + instant + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI')";
  }
  long IndexRowsOf(const std::string& id) {
    return Scalar("SELECT (SELECT count(*) FROM search_token WHERE res_id = '" + id +
                  "' AND param = 'status') + (SELECT count(*) FROM search_period WHERE res_id = '" + id +
                  "' AND param = 'date')");
  }

  // A writer of the release before row values writes version `version` of episode `id` with status
  // `status` and period [start, ): the current row moves on, its row values stay as they were (now
  // describing an older version), the values go to index rows, and it records four digests.
  void WriteAsTheReleaseBefore(const std::string& id, int version, const std::string& status,
                               const std::string& start) {
    Sql("UPDATE resource_current SET version = " + std::to_string(version) +
        ", index_digests = index_digests[1:4], index_digests_version = " + std::to_string(version) +
        " WHERE res_id = '" + id + "'");
    Sql("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) SELECT res_type, res_id, "
        "version, last_updated, '{\"resourceType\":\"EpisodeOfCare\",\"id\":\"" +
        id + "\"}' FROM resource_current WHERE res_id = '" + id + "'");
    Sql("INSERT INTO search_token (res_type, res_id, param, system, code) VALUES ('EpisodeOfCare', '" + id +
        "', 'status', '" + kEpisodeStatus + "', '" + status + "')");
    Sql("INSERT INTO search_period (res_type, res_id, param, period) VALUES ('EpisodeOfCare', '" + id +
        "', 'date', tstzrange('" + start + "', NULL, '[)'))");
  }

  using Ids = std::vector<std::string>;
};

TEST_F(RowValuesTest, StatusAndPeriodLiveOnTheCurrentRowAndAreFoundThere) {
  Write("EpisodeOfCare", "e1", Episode("active", "2020-01-01T00:00:00.000Z", ""));
  Write("EpisodeOfCare", "e2", Episode("finished", "2019-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z"));
  IndexEntries bare;  // a care team without status or period
  bare.references.push_back({"patient", "Patient", "p1"});
  Write("CareTeam", "c1", bare);
  IndexEntries team = bare;
  team.tokens.push_back({"status", "http://hl7.org/fhir/care-team-status", "active"});
  team.periods.push_back({"date", "2021-01-01T00:00:00.000Z", ""});
  Write("CareTeam", "c2", team);

  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token WHERE param = 'status'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_period WHERE param = 'date'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token WHERE param = 'type'"), 2);  // the rest stay index rows
  EXPECT_EQ(Text("SELECT row_token_system || ' ' || row_token_code || ' ' || " + Utc("lower(row_period)") +
                 " || ' ' || " + Utc("upper(row_period)") +
                 " || ' ' || row_values_version FROM resource_current "
                 "WHERE res_id = 'e2'"),
            std::string(kEpisodeStatus) + " finished 2019-01-01T00:00 2020-01-01T00:00 1");
  EXPECT_EQ(Text("SELECT coalesce(row_token_code, 'none') || ' ' || coalesce(row_period::text, 'none') || ' ' || "
                 "row_values_version FROM resource_current WHERE res_id = 'c1'"),
            "none none 1");

  EXPECT_EQ(Status("", "active"), (Ids{"e1"}));
  EXPECT_EQ(Status("", "finished"), (Ids{"e2"}));
  EXPECT_EQ(Find("EpisodeOfCare", {Criterion(SearchKind::token, "status", "", {TokenValue(kEpisodeStatus, "active")})}),
            (Ids{"e1"}));
  EXPECT_EQ(Find("EpisodeOfCare", {Criterion(SearchKind::token, "status", "", {TokenValue("urn:other", "active")})}),
            Ids{});
  EXPECT_EQ(Find("EpisodeOfCare", {Criterion(SearchKind::token, "status", "", {TokenValue(kEpisodeStatus, "")})}),
            (Ids{"e1", "e2"}));
  EXPECT_EQ(Status("not", "active"), (Ids{"e2"}));
  EXPECT_EQ(Status("", "active", "CareTeam"), (Ids{"c2"}));
  EXPECT_EQ(Status("not", "active", "CareTeam"), (Ids{"c1"}));
  EXPECT_EQ(Find("CareTeam", {Missing(SearchKind::token, "status", true)}), (Ids{"c1"}));
  EXPECT_EQ(Find("CareTeam", {Missing(SearchKind::token, "status", false)}), (Ids{"c2"}));
  EXPECT_EQ(Find("CareTeam", {Missing(SearchKind::period, "date", true)}), (Ids{"c1"}));
  EXPECT_EQ(Find("CareTeam", {Missing(SearchKind::period, "date", false)}), (Ids{"c2"}));

  EXPECT_EQ(During("2019-06-01T00:00:00.000Z", "2019-06-02T00:00:00.000Z"), (Ids{"e2"}));
  EXPECT_EQ(During("2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"), (Ids{"e1"}));  // end exclusive
  EXPECT_EQ(During("2019-06-01T00:00:00.000Z", "2019-06-02T00:00:00.000Z", DatePrefix::ne), (Ids{"e1"}));
  EXPECT_EQ(During("2019-06-01T00:00:00.000Z", "2019-06-02T00:00:00.000Z", DatePrefix::ge), (Ids{"e1", "e2"}));
  EXPECT_EQ(During("2019-12-31T00:00:00.000Z", "2020-01-01T00:00:00.000Z", DatePrefix::sa), (Ids{"e1"}));
  EXPECT_EQ(During("2020-06-01T00:00:00.000Z", "2020-06-02T00:00:00.000Z", DatePrefix::eb), (Ids{"e2"}));
  EXPECT_EQ(ByStart(false), (Ids{"e2", "e1"}));
  EXPECT_EQ(ByStart(true), (Ids{"e1", "e2"}));
  SearchSort by_start;
  by_start.key = SortKey::period_start;
  by_start.param = "date";
  EXPECT_EQ(Find("CareTeam", {}, by_start), (Ids{"c2", "c1"}));  // no period: last either way
  by_start.descending = true;
  EXPECT_EQ(Find("CareTeam", {}, by_start), (Ids{"c2", "c1"}));

  // A type without row values keeps its status as an index row.
  IndexEntries document;
  document.tokens.push_back({"status", "http://hl7.org/fhir/document-reference-status", "current"});
  document.references.push_back({"related", "CareTeam", "c2"});
  Write("DocumentReference", "d1", document);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token WHERE param = 'status'"), 1);
  EXPECT_EQ(Status("", "current", "DocumentReference"), (Ids{"d1"}));
  // A chain into a type with row values reads the target's row.
  SearchCriterion related = Criterion(SearchKind::reference, "related", "");
  related.chain_type = "CareTeam";
  related.chain.push_back(Criterion(SearchKind::token, "status", "", {TokenValue(std::nullopt, "active")}));
  EXPECT_EQ(Find("DocumentReference", {related}), (Ids{"d1"}));
  related.chain[0].any_of[0].value = "inactive";
  EXPECT_EQ(Find("DocumentReference", {related}), Ids{});
}

TEST_F(RowValuesTest, ANextVersionChangesTheRowAndWritesNoIndexRows) {
  Write("EpisodeOfCare", "e1", Episode("active", "2020-01-01T00:00:00.000Z", ""));
  Write("EpisodeOfCare", "e1", Episode("finished", "2020-01-01T00:00:00.000Z", "2026-12-08T00:00:00.000Z"));
  EXPECT_EQ(IndexRowsOf("e1"), 0);
  EXPECT_EQ(Text("SELECT row_token_code || ' ' || " + Utc("upper(row_period)") +
                 " || ' ' || row_values_version FROM resource_current WHERE res_id = 'e1'"),
            "finished 2026-12-08T00:00 2");
  EXPECT_EQ(Status("", "active"), Ids{});
  EXPECT_EQ(Status("", "finished"), (Ids{"e1"}));
  EXPECT_EQ(During("2026-12-08T00:00:00.000Z", "2026-12-09T00:00:00.000Z"), Ids{});

  // A tombstone leaves nothing on the row.
  ASSERT_TRUE(DeleteOne(*store_, "EpisodeOfCare", "e1").ok());
  EXPECT_EQ(Text("SELECT coalesce(row_token_code, 'none') || coalesce(row_values_version::text, 'none') FROM "
                 "resource_current WHERE res_id = 'e1'"),
            "nonenone");
  EXPECT_EQ(Status("", "finished"), Ids{});
}

// A rolling upgrade: a node of the release before writes version 2 over this release's version 1.
TEST_F(RowValuesTest, WhatTheReleaseBeforeWroteIsFoundByItsIndexRowsUntilTheNextVersion) {
  Write("EpisodeOfCare", "e1", Episode("active", "2020-01-01T00:00:00.000Z", ""));
  Write("EpisodeOfCare", "e2", Episode("active", "2021-01-01T00:00:00.000Z", ""));
  WriteAsTheReleaseBefore("e1", 2, "onhold", "2018-01-01T00:00:00.000Z");

  // The row still says active from 2020: an older version's, so not read.
  EXPECT_EQ(Status("", "active"), (Ids{"e2"}));
  EXPECT_EQ(Status("", "onhold"), (Ids{"e1"}));
  EXPECT_EQ(Status("not", "onhold"), (Ids{"e2"}));
  EXPECT_EQ(Find("EpisodeOfCare", {Missing(SearchKind::token, "status", false)}), (Ids{"e1", "e2"}));
  EXPECT_EQ(Find("EpisodeOfCare", {Missing(SearchKind::period, "date", true)}), Ids{});
  EXPECT_EQ(During("2018-06-01T00:00:00.000Z", "2018-06-02T00:00:00.000Z"), (Ids{"e1"}));
  EXPECT_EQ(ByStart(false), (Ids{"e1", "e2"}));
  EXPECT_EQ(ByStart(true), (Ids{"e2", "e1"}));

  // This release's next version: the index rows go, the row describes version 3. The recorded digests
  // were four (the release before's), so every table is looked at.
  auto read = WriteOne(*store_, Request("EpisodeOfCare", "e1",
                                        Episode("finished", "2018-01-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z")));
  ASSERT_TRUE(read.ok()) << read.error().text;
  EXPECT_EQ(read->resource.version, 3);
  EXPECT_EQ(IndexRowsOf("e1"), 0);
  EXPECT_EQ(Text("SELECT row_token_code || ' ' || row_values_version || ' ' || cardinality(index_digests) FROM "
                 "resource_current WHERE res_id = 'e1'"),
            "finished 3 5");
  EXPECT_EQ(Status("", "onhold"), Ids{});
  EXPECT_EQ(Status("", "finished"), (Ids{"e1"}));
  EXPECT_EQ(ByStart(false), (Ids{"e1", "e2"}));
}

// `upgrade.status-index-rows` on: a node of the release before, which looks only at index rows, finds
// this release's writes too; once it is off, the next version leaves the row alone to hold them.
TEST_F(RowValuesTest, WhileTheReleaseBeforeRollsTheValuesAreIndexRowsToo) {
  const auto as_the_release_before_finds = [&](const std::string& code) {
    return Scalar(
        "SELECT count(*) FROM search_token t JOIN search_period p USING (res_type, res_id) WHERE "
        "t.res_id = 'e1' AND t.param = 'status' AND t.code = '" +
        code + "' AND p.param = 'date' AND p.period @> '2024-01-01'::timestamptz");
  };
  store_->WriteStatusIndexRows(true);
  Write("EpisodeOfCare", "e1", Episode("active", "2020-01-01T00:00:00.000Z", ""));
  EXPECT_EQ(as_the_release_before_finds("active"), 1);
  EXPECT_EQ(Status("", "active"), (Ids{"e1"}));
  Write("EpisodeOfCare", "e1", Episode("finished", "2020-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"));
  EXPECT_EQ(as_the_release_before_finds("active"), 0);
  EXPECT_EQ(as_the_release_before_finds("finished"), 1);
  EXPECT_EQ(Text("SELECT row_token_code || ' ' || row_values_version FROM resource_current WHERE res_id = 'e1'"),
            "finished 2");
  EXPECT_EQ(Status("", "finished"), (Ids{"e1"}));

  store_->WriteStatusIndexRows(false);
  Write("EpisodeOfCare", "e1", Episode("cancelled", "2020-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"));
  EXPECT_EQ(IndexRowsOf("e1"), 0);
  EXPECT_EQ(Status("", "cancelled"), (Ids{"e1"}));
  EXPECT_EQ(Status("", "finished"), Ids{});
}

}  // namespace
}  // namespace nara::pg
