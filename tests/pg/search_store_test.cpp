// PgStore::Search in depth against a real PostgreSQL (pg/internal/search_sql.*): keyset positions
// in every order (after and before a cursor, ties, missing sort keys), includes and their bound,
// chaining and :not. Every test gets its own fresh, migrated database.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "pg/internal/search_sql.h"
#include "registry/resource_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

class PgSearchDepthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = nara::testing::MigratedDatabase("pgsearch");
    store_ = std::make_unique<PgStore>(url, 4);
  }

  void Write(const std::string& type, const std::string& id, IndexEntries index) {
    WriteRequest request;
    request.type = type;
    request.id = id;
    request.index = std::move(index);
    request.render = [type](const VersionInfo& info) {
      return R"({"resourceType":")" + type + R"(","id":")" + info.id + R"("})";
    };
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto written = tx.Write(request);
      return written ? Ok() : Status(written.error());
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
    // Distinct millisecond stamps between writes, so the _lastUpdated order is the write order.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }

  void Delete(const std::string& type, const std::string& id) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto deleted = tx.Delete(type, id, std::nullopt);
      return deleted ? Ok() : Status(deleted.error());
    });
    ASSERT_TRUE(status.ok());
  }

  SearchPage Run(const SearchQuery& query) {
    auto page = store_->Search(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().text);
    return page.ok() ? *page : SearchPage{};
  }

  static std::vector<std::string> Ids(const std::vector<StoredResource>& resources) {
    std::vector<std::string> ids;
    for (const auto& r : resources) ids.push_back(r.type + "/" + r.id);
    return ids;
  }

  // Every page of `query` following the store's keys forward, concatenated.
  std::vector<std::string> AllForward(SearchQuery query) {
    std::vector<std::string> all;
    for (int guard = 0; guard < 50; ++guard) {
      SearchPage page = Run(query);
      for (const auto& id : Ids(page.resources)) all.push_back(id);
      if (!page.has_more || page.resources.empty()) break;
      query.cursor = SearchCursor{page.last_key, page.resources.back().id, false};
    }
    return all;
  }

  static IndexEntries Period(const std::string& start, const std::string& end = "") {
    IndexEntries index;
    index.periods.push_back({"date", start, end});
    index.tokens.push_back({"status", "", end.empty() ? "active" : "finished"});
    return index;
  }

  std::unique_ptr<PgStore> store_;
};

TEST_F(PgSearchDepthTest, DateOrderWithTiesAndMissingPeriodsPagesExactlyBothWays) {
  // e1 and e2 tie on the start: the id decides. e9 has no period: last in either direction.
  Write("EpisodeOfCare", "e3", Period("2024-03-01T00:00:00.000Z"));
  Write("EpisodeOfCare", "e2", Period("2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"));
  Write("EpisodeOfCare", "e1", Period("2024-01-01T00:00:00.000Z"));
  Write("EpisodeOfCare", "e9", IndexEntries{});
  Write("EpisodeOfCare", "e0", Period("2025-06-01T00:00:00.000Z"));
  SearchQuery query;
  query.type = "EpisodeOfCare";
  query.count = 2;
  query.sort = SearchSort{SortKey::period_start, false, "date"};
  const std::vector<std::string> ascending = {"EpisodeOfCare/e1", "EpisodeOfCare/e2", "EpisodeOfCare/e3",
                                              "EpisodeOfCare/e0", "EpisodeOfCare/e9"};
  EXPECT_EQ(AllForward(query), ascending);
  query.sort.descending = true;
  EXPECT_EQ(AllForward(query), (std::vector<std::string>{"EpisodeOfCare/e0", "EpisodeOfCare/e3", "EpisodeOfCare/e2",
                                                         "EpisodeOfCare/e1", "EpisodeOfCare/e9"}));

  // Before a cursor: the rows just before it, in the query's order, and whether more precede them.
  query.sort.descending = false;
  SearchPage last = Run([&] {
    SearchQuery q = query;
    q.cursor = SearchCursor{"2024-03-01T00:00:00.000000Z", "e3", false};
    return q;
  }());
  EXPECT_EQ(Ids(last.resources), (std::vector<std::string>{"EpisodeOfCare/e0", "EpisodeOfCare/e9"}));
  EXPECT_EQ(last.last_key, "infinity");
  EXPECT_TRUE(last.has_previous);
  EXPECT_FALSE(last.has_more);
  SearchQuery back = query;
  back.cursor = SearchCursor{last.first_key, "e0", true};
  SearchPage previous = Run(back);
  EXPECT_EQ(Ids(previous.resources), (std::vector<std::string>{"EpisodeOfCare/e2", "EpisodeOfCare/e3"}));
  EXPECT_TRUE(previous.has_previous) << "e1 precedes";
  back.cursor = SearchCursor{previous.first_key, "e2", true};
  SearchPage first = Run(back);
  EXPECT_EQ(Ids(first.resources), std::vector<std::string>{"EpisodeOfCare/e1"});
  EXPECT_FALSE(first.has_previous);

  // Id order (the default) and _lastUpdated, with a total that does not depend on the cursor.
  SearchQuery by_id;
  by_id.type = "EpisodeOfCare";
  by_id.count = 2;
  by_id.cursor = SearchCursor{"", "e1", false};
  SearchPage after_e1 = Run(by_id);
  EXPECT_EQ(Ids(after_e1.resources), (std::vector<std::string>{"EpisodeOfCare/e2", "EpisodeOfCare/e3"}));
  EXPECT_EQ(after_e1.total, 5);
  SearchQuery newest = by_id;
  newest.cursor.reset();
  newest.sort = SearchSort{SortKey::last_updated, true, ""};
  newest.count = 10;
  EXPECT_EQ(Ids(Run(newest).resources), (std::vector<std::string>{"EpisodeOfCare/e0", "EpisodeOfCare/e9",
                                                                   "EpisodeOfCare/e1", "EpisodeOfCare/e2",
                                                                   "EpisodeOfCare/e3"}));
}

TEST_F(PgSearchDepthTest, IncludesAreLiveDistinctAndBounded) {
  for (int i = 0; i < 5; ++i) {
    Write("Patient", "p" + std::to_string(i), IndexEntries{});
    IndexEntries team;
    team.references.push_back({"subject", "Patient", "p" + std::to_string(i)});
    team.references.push_back({"participant", "PractitionerRole", "r1"});
    Write("CareTeam", "ct" + std::to_string(i), team);
  }
  Write("PractitionerRole", "r1", IndexEntries{});
  SearchQuery query;
  query.type = "CareTeam";
  query.includes = {{"CareTeam", "subject", "Patient"}, {"CareTeam", "participant", ""}};
  SearchPage all = Run(query);
  EXPECT_EQ(all.resources.size(), 5u);
  EXPECT_EQ(all.included.size(), 6u) << "five patients and the one role, once";
  EXPECT_FALSE(all.included_truncated);
  query.max_included = 3;
  SearchPage bounded = Run(query);
  EXPECT_EQ(bounded.included.size(), 3u);
  EXPECT_TRUE(bounded.included_truncated);
  // Only the page's matches: one CareTeam, its patient and role.
  query.max_included = 1000;
  query.count = 1;
  SearchPage one = Run(query);
  EXPECT_EQ(Ids(one.included), (std::vector<std::string>{"Patient/p0", "PractitionerRole/r1"}));

  // _revinclude leaves out deleted resources and the matches themselves.
  Delete("CareTeam", "ct1");
  SearchQuery patients;
  patients.type = "Patient";
  patients.revincludes = {{"CareTeam", "subject", "Patient"}};
  EXPECT_EQ(Ids(Run(patients).included),
            (std::vector<std::string>{"CareTeam/ct0", "CareTeam/ct2", "CareTeam/ct3", "CareTeam/ct4"}));
}

TEST_F(PgSearchDepthTest, ChainAndNot) {
  IndexEntries alive;
  alive.tokens.push_back({"identifier", "urn:sys", "A"});
  Write("Patient", "pa", alive);
  IndexEntries gone;
  gone.tokens.push_back({"identifier", "urn:sys", "B"});
  Write("Patient", "pb", gone);
  for (const char* patient : {"pa", "pb"}) {
    IndexEntries team;
    team.references.push_back({"subject", "Patient", patient});
    team.tokens.push_back({"status", "", std::string(patient) == "pa" ? "active" : "inactive"});
    Write("CareTeam", std::string("ct-") + patient, team);
  }
  Write("CareTeam", "ct-none", IndexEntries{});  // no status at all
  auto chained = [&](const std::string& code) {
    SearchCriterion inner;
    inner.kind = SearchKind::token;
    inner.param = "identifier";
    SearchValue value;
    value.system = "urn:sys";
    value.value = code;
    inner.any_of.push_back(value);
    SearchCriterion outer;
    outer.kind = SearchKind::reference;
    outer.param = "subject";
    outer.chain_type = "Patient";
    outer.chain.push_back(inner);
    SearchQuery query;
    query.type = "CareTeam";
    query.criteria.push_back(outer);
    return Ids(Run(query).resources);
  };
  EXPECT_EQ(chained("A"), std::vector<std::string>{"CareTeam/ct-pa"});
  EXPECT_EQ(chained("B"), std::vector<std::string>{"CareTeam/ct-pb"});
  EXPECT_TRUE(chained("C").empty());
  Delete("Patient", "pb");
  EXPECT_TRUE(chained("B").empty()) << "a deleted target matches nothing";

  SearchCriterion not_active;
  not_active.kind = SearchKind::token;
  not_active.param = "status";
  not_active.modifier = "not";
  SearchValue active;
  active.value = "active";
  not_active.any_of.push_back(active);
  SearchQuery query;
  query.type = "CareTeam";
  query.criteria.push_back(not_active);
  EXPECT_EQ(Ids(Run(query).resources), (std::vector<std::string>{"CareTeam/ct-none", "CareTeam/ct-pb"}))
      << ":not includes resources without the element (FHIR R4 3.1.1.5.5)";
}

TEST_F(PgSearchDepthTest, TotalCountsEveryMatchWhateverThePage) {
  // The page query counts the matches in the same statement; a page without rows counts apart.
  for (int i = 0; i < 7; ++i) {
    IndexEntries team;
    team.references.push_back({"participant", "PractitionerRole", i < 5 ? "r1" : "r2"});
    team.tokens.push_back({"status", "", i == 3 ? "inactive" : "active"});
    Write("CareTeam", "ct" + std::to_string(i), team);
  }
  Delete("CareTeam", "ct4");
  SearchCriterion role;
  role.kind = SearchKind::reference;
  role.param = "participant";
  SearchValue r1;
  r1.target_type = "PractitionerRole";
  r1.value = "r1";
  role.any_of.push_back(r1);
  SearchCriterion status;
  status.kind = SearchKind::token;
  status.param = "status";
  SearchValue active;
  active.value = "active";
  status.any_of.push_back(active);
  SearchQuery query;
  query.type = "CareTeam";
  query.criteria = {role, status};
  query.count = 2;
  // r1's active live teams: ct0, ct1, ct2 (ct3 inactive, ct4 deleted, ct5 and ct6 another role's).
  SearchPage first = Run(query);
  EXPECT_EQ(Ids(first.resources), (std::vector<std::string>{"CareTeam/ct0", "CareTeam/ct1"}));
  EXPECT_EQ(first.total, 3);
  EXPECT_TRUE(first.has_more);
  query.cursor = SearchCursor{"", "ct1", false};
  SearchPage second = Run(query);
  EXPECT_EQ(Ids(second.resources), std::vector<std::string>{"CareTeam/ct2"});
  EXPECT_EQ(second.total, 3) << "counted before the cursor, not after it";
  EXPECT_FALSE(second.has_more);
  query.cursor = SearchCursor{"", "ct2", true};
  EXPECT_EQ(Run(query).total, 3) << "a page before the cursor";
  query.cursor = SearchCursor{"", "ct9", false};
  SearchPage past = Run(query);
  EXPECT_TRUE(past.resources.empty());
  EXPECT_EQ(past.total, 3) << "a page past the end has no row to carry the count";
  query.cursor.reset();
  query.offset = 10;
  EXPECT_EQ(Run(query).total, 3);
  query.offset = 0;
  query.count = 0;  // _summary=count
  EXPECT_EQ(Run(query).total, 3);
  query.count = 2;
  query.want_total = false;
  SearchPage without = Run(query);
  EXPECT_FALSE(without.total.has_value());
  EXPECT_EQ(without.resources.size(), 2u);
  // Counted in the page only where a reference names the targets; otherwise by a count of its own.
  query.want_total = true;
  EXPECT_TRUE(TotalInPage(query));
  query.criteria = {status};
  EXPECT_FALSE(TotalInPage(query));
  EXPECT_EQ(Run(query).total, 5) << "ct0, ct1, ct2, ct5, ct6";
  SearchCriterion any_role = role;
  any_role.modifier = "missing";
  any_role.any_of.clear();
  query.criteria = {any_role};
  EXPECT_FALSE(TotalInPage(query)) << ":missing names no target";
  query.criteria.clear();
  EXPECT_FALSE(TotalInPage(query));
  EXPECT_EQ(Run(query).total, 6) << "every live CareTeam";
}

}  // namespace
}  // namespace nara::pg
