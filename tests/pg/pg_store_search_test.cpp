// PgStore history and search against a real PostgreSQL cluster: _history with _since and paging, every
// SearchKind, _lastUpdated prefixes, paging and totals, and SQL metacharacters as plain values.
#include "tests/pg/pg_store_fixture.h"

namespace nara::pg {
namespace {

// History

TEST_F(PgStoreTest, HistoryTypeAndSystemLevelWithSinceAndPaging) {
  auto patient = WriteOne(*store_, Request("Patient", "p"));
  ASSERT_TRUE(patient.ok());
  TickClock();
  auto organization = WriteOne(*store_, Request("Organization", "o"));
  ASSERT_TRUE(organization.ok());
  TickClock();
  auto patient2 = WriteOne(*store_, Request("Patient", "p"));
  ASSERT_TRUE(patient2.ok());

  HistoryQuery type_level;
  type_level.type = "Patient";
  auto patients = store_->History(type_level);
  ASSERT_TRUE(patients.ok()) << patients.error().text;
  ASSERT_EQ(patients->resources.size(), 2u);
  EXPECT_EQ(patients->total, 2);
  EXPECT_EQ(patients->resources[0].version, 2);
  EXPECT_EQ(patients->resources[1].version, 1);
  for (const auto& r : patients->resources) EXPECT_EQ(r.type, "Patient");

  HistoryQuery system_level;
  auto all = store_->History(system_level);
  ASSERT_TRUE(all.ok()) << all.error().text;
  ASSERT_EQ(all->resources.size(), 3u);
  EXPECT_EQ(all->total, 3);
  EXPECT_EQ(all->resources[0].type, "Patient");
  EXPECT_EQ(all->resources[0].version, 2);
  EXPECT_EQ(all->resources[1].type, "Organization");
  EXPECT_EQ(all->resources[1].id, "o");
  EXPECT_EQ(all->resources[1].json, organization->resource.json);
  EXPECT_EQ(all->resources[2].type, "Patient");
  EXPECT_EQ(all->resources[2].version, 1);

  // since: versions written at or after the instant.
  HistoryQuery since = system_level;
  since.since = organization->resource.last_updated;
  auto recent = store_->History(since);
  ASSERT_TRUE(recent.ok()) << recent.error().text;
  ASSERT_EQ(recent->resources.size(), 2u);
  EXPECT_EQ(recent->total, 2);
  EXPECT_EQ(recent->resources[0].type, "Patient");
  EXPECT_EQ(recent->resources[1].type, "Organization");
  HistoryQuery since_type = type_level;
  since_type.since = organization->resource.last_updated;
  auto recent_patients = store_->History(since_type);
  ASSERT_TRUE(recent_patients.ok());
  ASSERT_EQ(recent_patients->resources.size(), 1u);
  EXPECT_EQ(recent_patients->resources[0].version, 2);
  HistoryQuery future = system_level;
  future.since = "2999-01-01T00:00:00.000Z";
  auto none = store_->History(future);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->resources.empty());
  EXPECT_EQ(none->total, 0);
  EXPECT_FALSE(none->has_more);

  // Paging.
  HistoryQuery first_page = system_level;
  first_page.count = 2;
  auto p1 = store_->History(first_page);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->resources.size(), 2u);
  EXPECT_TRUE(p1->has_more);
  EXPECT_EQ(p1->total, 3);
  HistoryQuery second_page = first_page;
  second_page.offset = 2;
  auto p2 = store_->History(second_page);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->resources.size(), 1u);
  EXPECT_FALSE(p2->has_more);
  EXPECT_EQ(p2->resources[0].type, "Patient");
  EXPECT_EQ(p2->resources[0].version, 1);
  HistoryQuery total_only = system_level;
  total_only.count = 0;
  auto p0 = store_->History(total_only);
  ASSERT_TRUE(p0.ok());
  EXPECT_TRUE(p0->resources.empty());
  EXPECT_EQ(p0->total, 3);
  EXPECT_FALSE(p0->has_more) << "count 0 is the total only, not a page with more after it";
  HistoryQuery exact = system_level;
  exact.count = 3;
  auto p3 = store_->History(exact);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->resources.size(), 3u);
  EXPECT_FALSE(p3->has_more);
}

// Search

class PgSearchTest : public PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    if (HasFatalFailure()) return;
    // p1: Andersson, male, identifier sysA|123, organization Organization/o1
    IndexEntries i1 = WithName("Andersson");
    i1.texts.push_back({"given", "Anna", "anna"});
    i1.tokens.push_back({"identifier", "urn:sys:a", "123"});
    i1.tokens.push_back({"gender", "http://hl7.org/fhir/administrative-gender", "male"});
    i1.references.push_back({"organization", "Organization", "o1"});
    // p2: Bengtsson, identifier sysB|123, organization Organization/o2
    IndexEntries i2 = WithName("Bengtsson");
    i2.tokens.push_back({"identifier", "urn:sys:b", "123"});
    i2.references.push_back({"organization", "Organization", "o2"});
    // p3: Sandersson, identifier without system 999
    IndexEntries i3 = WithName("Sandersson");
    i3.tokens.push_back({"identifier", "", "999"});
    for (auto [id, index] : {std::pair{"p1", i1}, std::pair{"p2", i2}, std::pair{"p3", i3}}) {
      auto written = WriteOne(*store_, Request("Patient", id, index));
      ASSERT_TRUE(written.ok()) << written.error().text;
      stamps_.push_back(written->resource.last_updated);
      TickClock();
    }
    // Same index rows on another type: never returned by a Patient search.
    auto org = WriteOne(*store_, Request("Organization", "p9", i1));
    ASSERT_TRUE(org.ok());
  }

  SearchPage Run(SearchQuery query) {
    query.type = query.type.empty() ? "Patient" : query.type;
    auto page = store_->Search(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().text);
    return page.ok() ? *page : SearchPage{};
  }

  static SearchQuery One(SearchKind kind, const std::string& param, const std::string& modifier,
                         std::vector<SearchValue> values) {
    SearchQuery query;
    query.type = "Patient";
    SearchCriterion criterion;
    criterion.kind = kind;
    criterion.param = param;
    criterion.modifier = modifier;
    criterion.any_of = std::move(values);
    query.criteria.push_back(std::move(criterion));
    return query;
  }

  static SearchQuery Missing(SearchKind kind, const std::string& param, bool missing) {
    SearchQuery query = One(kind, param, "missing", {});
    query.criteria[0].missing = missing;
    return query;
  }

  using Set = std::set<std::string>;
  std::vector<std::string> stamps_;  // last_updated of p1, p2, p3
};

TEST_F(PgSearchTest, Token) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(std::nullopt, "123")}))), (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("urn:sys:a", "123")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("urn:sys:b", "123")}))), (Set{"p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("urn:sys:c", "123")}))), Set{});
  // "" = explicitly no system.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("", "999")}))), (Set{"p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("", "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(std::nullopt, "12")}))), Set{});
  // OR-ed values.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "",
                          {TokenValue("urn:sys:a", "123"), TokenValue(std::nullopt, "999")}))),
            (Set{"p1", "p3"}));
  // Parameter name matters.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "gender", "", {TokenValue(std::nullopt, "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "gender", "", {TokenValue(std::nullopt, "male")}))), (Set{"p1"}));
  // AND of two criteria.
  SearchQuery both = One(SearchKind::token, "identifier", "", {TokenValue(std::nullopt, "123")});
  both.criteria.push_back(One(SearchKind::token, "gender", "", {TokenValue(std::nullopt, "male")}).criteria[0]);
  EXPECT_EQ(IdSet(Run(both)), (Set{"p1"}));
}

TEST_F(PgSearchTest, Text) {
  // Default: prefix on the normalised (case-folded) form.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("and")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("andersson")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("ersson")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("and"), TextValue("beng")}))), (Set{"p1", "p2"}));
  // contains.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("and")}))), (Set{"p1", "p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("ersson")}))), (Set{"p1", "p3"}));
  // exact: the value as written.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {TextValue("Andersson")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {TextValue("andersson")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {TextValue("Anders")}))), Set{});
  // Parameter name matters.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {TextValue("an")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {TextValue("and")}))), Set{});
}

TEST_F(PgSearchTest, Reference) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("", "o1")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("Organization", "o1")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("Practitioner", "o1")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("", "o1"), RefValue("", "o2")}))),
            (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "practitioner", "", {RefValue("", "o1")}))), Set{});
}

TEST_F(PgSearchTest, IdAndMissing) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {TextValue("p1"), TextValue("p3")}))), (Set{"p1", "p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {TextValue("p9")}))), Set{});  // an Organization id

  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p2", "p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", false))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::reference, "organization", true))), (Set{"p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::reference, "organization", false))), (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::text, "given", true))), (Set{"p2", "p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::text, "given", false))), (Set{"p1"}));
}

// eq and ne: both ends of the range.
TEST_F(PgSearchTest, LastUpdatedClosedRanges) {
  ASSERT_EQ(stamps_.size(), 3u);
  const std::string& t1 = stamps_[0];
  const std::string& t2 = stamps_[1];
  const std::string& t3 = stamps_[2];
  ASSERT_LT(t1, t2);
  ASSERT_LT(t2, t3);
  auto q = [&](DatePrefix prefix, const std::string& start, const std::string& end) {
    return IdSet(Run(One(SearchKind::last_updated, "_lastUpdated", "", {DateValue(prefix, start, end)})));
  };
  EXPECT_EQ(q(DatePrefix::eq, t2, t3), (Set{"p2"}));
  EXPECT_EQ(q(DatePrefix::eq, t1, t3), (Set{"p1", "p2"}));
  EXPECT_EQ(q(DatePrefix::ne, t2, t3), (Set{"p1", "p3"}));
  EXPECT_EQ(q(DatePrefix::eq, "2999-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), Set{});
  EXPECT_EQ(q(DatePrefix::eq, "2000-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), (Set{"p1", "p2", "p3"}));
  // OR-ed ranges.
  SearchQuery two = One(SearchKind::last_updated, "_lastUpdated", "",
                        {DateValue(DatePrefix::eq, t1, t2), DateValue(DatePrefix::eq, t3, "2999-01-01T00:00:00.000Z")});
  EXPECT_EQ(IdSet(Run(two)), (Set{"p1", "p3"}));
}

// ge, gt, le, lt use one end of the range each; fhir/ always fills in both ends.
TEST_F(PgSearchTest, LastUpdatedOneSidedPrefixes) {
  // Regression (fixed): pg/internal/search_sql.cpp DateCondition always binds range_start and range_end but ge/lt use only the start and gt/le only the end; PostgreSQL refuses the unused parameter: when it is the last one, 08P01 'bind message supplies N parameters, but prepared statement requires N-1' which libpqxx 6 throw
  ASSERT_EQ(stamps_.size(), 3u);
  const std::string& t1 = stamps_[0];
  const std::string& t2 = stamps_[1];
  const std::string& t3 = stamps_[2];
  auto q = [&](DatePrefix prefix, const std::string& start, const std::string& end) {
    return IdSet(Run(One(SearchKind::last_updated, "_lastUpdated", "", {DateValue(prefix, start, end)})));
  };
  EXPECT_EQ(q(DatePrefix::ge, t2, t3), (Set{"p2", "p3"}));
  EXPECT_EQ(q(DatePrefix::lt, t2, t3), (Set{"p1"}));
  EXPECT_EQ(q(DatePrefix::gt, t1, t2), (Set{"p2", "p3"}));  // at or after the end of [t1, t2)
  EXPECT_EQ(q(DatePrefix::le, t1, t2), (Set{"p1"}));        // before the end of [t1, t2)
  EXPECT_EQ(q(DatePrefix::ge, "2999-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), Set{});
  EXPECT_EQ(q(DatePrefix::ge, "2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z"), (Set{"p1", "p2", "p3"}));
  // Followed by another criterion, the unused parameter is no longer the last one.
  SearchQuery then_name = One(SearchKind::last_updated, "_lastUpdated", "", {DateValue(DatePrefix::ge, t1, t2)});
  then_name.criteria.push_back(One(SearchKind::text, "name", "", {TextValue("and")}).criteria[0]);
  EXPECT_EQ(IdSet(Run(then_name)), (Set{"p1"}));
}

TEST_F(PgSearchTest, PagingTotalAndOrder) {
  SearchQuery all;
  all.type = "Patient";
  all.count = 2;
  SearchPage first = Run(all);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"p1", "p2"}));  // by id (here also creation order)
  EXPECT_TRUE(first.has_more);
  EXPECT_EQ(first.total, 3);
  all.offset = 2;
  SearchPage second = Run(all);
  EXPECT_EQ(Ids(second), std::vector<std::string>{"p3"});
  EXPECT_FALSE(second.has_more);
  EXPECT_EQ(second.total, 3);
  all.offset = 3;
  SearchPage past = Run(all);
  EXPECT_TRUE(past.resources.empty());
  EXPECT_FALSE(past.has_more);

  SearchQuery exact;
  exact.type = "Patient";
  exact.count = 3;
  EXPECT_FALSE(Run(exact).has_more);

  SearchQuery count_only;
  count_only.type = "Patient";
  count_only.count = 0;
  SearchPage counted = Run(count_only);
  EXPECT_TRUE(counted.resources.empty());
  EXPECT_EQ(counted.total, 3);

  SearchQuery no_total;
  no_total.type = "Patient";
  no_total.want_total = false;
  SearchPage untotalled = Run(no_total);
  EXPECT_FALSE(untotalled.total.has_value());
  EXPECT_EQ(untotalled.resources.size(), 3u);

  SearchQuery desc;
  desc.type = "Patient";
  desc.sort = SearchSort{SortKey::last_updated, true, ""};
  EXPECT_EQ(Ids(Run(desc)), (std::vector<std::string>{"p3", "p2", "p1"}));

  SearchQuery orgs;
  orgs.type = "Organization";
  SearchPage org_page = Run(orgs);
  EXPECT_EQ(Ids(org_page), std::vector<std::string>{"p9"});
  ASSERT_EQ(org_page.resources.size(), 1u);
  EXPECT_EQ(org_page.resources[0].type, "Organization");

  // The stored JSON comes back with the match.
  SearchPage one = Run(One(SearchKind::id, "_id", "", {TextValue("p2")}));
  ASSERT_EQ(one.resources.size(), 1u);
  EXPECT_EQ(one.resources[0].json, store_->Read("Patient", "p2")->json);
  EXPECT_EQ(one.resources[0].version, 1);
}

TEST_F(PgSearchTest, DeletedResourcesAreNeverReturned) {
  ASSERT_TRUE(DeleteOne(*store_, "Patient", "p2").ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(std::nullopt, "123")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {TextValue("p2")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("beng")}))), Set{});
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p3"}));
  SearchQuery all;
  all.type = "Patient";
  SearchPage page = Run(all);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token WHERE res_id = 'p2'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_id = 'p2'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_reference WHERE res_id = 'p2'"), 0);
}

TEST_F(PgSearchTest, IndexRowsAreReplacedOnUpdate) {
  IndexEntries renamed = WithName("Svensson");
  renamed.tokens.push_back({"identifier", "urn:sys:a", "456"});
  auto updated = WriteOne(*store_, Request("Patient", "p1", renamed));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("and")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("sve")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {TextValue("anna")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("urn:sys:a", "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue("urn:sys:a", "456")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("", "o1")}))), Set{});
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p1", "p2", "p3"}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_type = 'Patient' AND res_id = 'p1'"), 1);
  // The Organization with the same id-less index rows was not touched.
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_type = 'Organization'"), 2);
}

TEST_F(PgSearchTest, SearchInsideATransactionSeesItsOwnWrites) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(Request("Patient", "p4", WithName("Anderberg")));
    EXPECT_TRUE(written.ok());
    auto page = tx.Search(One(SearchKind::text, "name", "", {TextValue("and")}));
    EXPECT_TRUE(page.ok());
    if (page.ok()) {
      EXPECT_EQ(IdSet(*page), (Set{"p1", "p4"}));
    }
    auto read = tx.Read("Patient", "p4");
    EXPECT_TRUE(read.ok());
    if (read.ok()) {
      EXPECT_EQ(read->version, 1);
    }
    return Ok();
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("and")}))), (Set{"p1", "p4"}));
}

// SQL metacharacters in search values are data, never SQL or LIKE patterns.
TEST_F(PgSearchTest, InjectionStringsAreJustValues) {
  const std::vector<std::string> hostile = {"' OR 1=1 --", "%", "_", "\\", "'); DROP TABLE resource_version; --",
                                            "\"", "$1", "%%", "\\%"};
  IndexEntries odd = WithName("50%_off\\x");
  odd.tokens.push_back({"identifier", "' OR 1=1 --", "' OR 1=1 --"});
  odd.references.push_back({"organization", "Organization", "'); DROP TABLE resource_version; --"});
  ASSERT_TRUE(WriteOne(*store_, Request("Patient", "odd", odd)).ok());

  for (const auto& value : hostile) {
    SCOPED_TRACE(value);
    const bool is_token = value == "' OR 1=1 --";
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(std::nullopt, value)}))),
              is_token ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(value, value)}))),
              is_token ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {TokenValue(value, "123")}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue(value)}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {TextValue(value)}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {TextValue(value)}))), Set{});
    const bool is_ref = value == "'); DROP TABLE resource_version; --";
    EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue("", value)}))),
              is_ref ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {RefValue(value, "o1")}))), Set{});
  }
  // LIKE wildcards match only themselves.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("%")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("_")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("\\")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("%_off\\")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {TextValue("'")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("50%")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("50_")}))), Set{});  // '_' is not "any char"
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {TextValue("5%")}))), Set{});   // '%' is not "anything"
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {TextValue("50%_off\\x")}))), (Set{"odd"}));

  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                   "('resource_version', 'resource_current', 'search_token', 'search_text', "
                   "'search_reference', 'unique_identifier', 'schema_migration')"),
            7);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_version WHERE res_type = 'Patient'"), 4);
  auto p1 = store_->Read("Patient", "p1");
  EXPECT_TRUE(p1.ok());
}

// Periods (IndexEntries::periods, SearchKind::period): what was in force on a date.
class PgPeriodSearchTest : public PgSearchTest {
 protected:
  void SetUp() override {
    PgSearchTest::SetUp();
    if (HasFatalFailure()) return;
    IndexEntries closed, open;
    closed.periods.push_back({"date", "2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z"});
    open.periods.push_back({"date", "2022-01-01T00:00:00.000Z", ""});
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "closed", closed)).ok());
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "open", open)).ok());
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "none")).ok());
  }
  Set Periods(DatePrefix prefix, const std::string& start, const std::string& end) {
    SearchQuery query = One(SearchKind::period, "date", "", {DateValue(prefix, start, end)});
    query.type = "EpisodeOfCare";
    return IdSet(Run(query));
  }
};

TEST_F(PgPeriodSearchTest, OverlapAndMissing) {
  EXPECT_EQ(Periods(DatePrefix::eq, "2020-06-01T00:00:00.000Z", "2020-07-01T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::eq, "2023-01-01T00:00:00.000Z", "2023-01-02T00:00:00.000Z"), (Set{"open"}));
  EXPECT_EQ(Periods(DatePrefix::eq, "2021-06-01T00:00:00.000Z", "2021-07-01T00:00:00.000Z"), Set{});
  EXPECT_EQ(Periods(DatePrefix::ne, "2020-06-01T00:00:00.000Z", "2020-07-01T00:00:00.000Z"), (Set{"open"}));
  SearchQuery missing = Missing(SearchKind::period, "date", true);
  missing.type = "EpisodeOfCare";
  EXPECT_EQ(IdSet(Run(missing)), (Set{"none"}));
}

TEST_F(PgPeriodSearchTest, OneSidedPrefixes) {
  // Regression (fixed): pg/internal/search_sql.cpp PeriodCondition has the DateCondition defect: it binds range_start and range_end for every prefix but lt/ge use only the start and le/gt only the end, so PostgreSQL refuses the statement (503 via broken_connection, or an uncaught pqxx::sql_error)
  EXPECT_EQ(Periods(DatePrefix::lt, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::ge, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"open"}));
  EXPECT_EQ(Periods(DatePrefix::le, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::gt, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"open"}));
}

}  // namespace
}  // namespace nara::pg
