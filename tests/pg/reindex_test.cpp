// nara reindex (pg/pg_reindex.*, app/tools/reindex.*) against a real PostgreSQL: the index rows of
// resources written by an older indexer are made again from their bodies, only where the digests say
// they differ; a resource written meanwhile is left to its write; a body today's checks refuse is
// counted and left alone.
#include "app/tools/reindex.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

#include "app/tools/import.h"
#include "app/tools/synth.h"
#include "fhir/http/router.h"
#include "pg/pg_reindex.h"
#include "pg/pg_store.h"
#include "tests/pg/admin_request.h"
#include "tests/pg/migrated_database.h"
#include "tests/support/pg_cluster.h"

namespace nara::app {
namespace {

using nara::testing::Psql;
using nara::testing::PsqlValue;

class ReindexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("reindex");
    SynthOptions synth;
    synth.people = 100;
    synth.seed = 5;
    synth.out = "-";
    std::ostringstream out;
    ASSERT_TRUE(WriteSynth(synth, out));
    const std::string text = out.str();
    std::istringstream in(text);
    ImportFileOptions options;
    options.database_url = url_;
    options.log_progress = false;
    auto imported = ImportStream(in, text.size(), options);
    ASSERT_TRUE(imported) << imported.error().text;
    patient_ =
        PsqlValue(url_, "SELECT res_id FROM resource_current WHERE res_type = 'Patient' ORDER BY res_id LIMIT 1");
    family_ = PsqlValue(url_, "SELECT value FROM search_text WHERE res_type = 'Patient' AND res_id = '" + patient_ +
                                  "' AND param = 'family'");
    ASSERT_FALSE(family_.empty());
  }

  void Sql(const std::string& sql) {
    auto [status, out] = Psql(url_, sql);
    ASSERT_EQ(status, 0) << out;
  }
  long Count(const std::string& sql) { return std::stol(PsqlValue(url_, sql)); }
  long LiveResources() { return Count("SELECT count(*) FROM resource_current WHERE NOT deleted"); }

  pg::ReindexReport Reindex(const pg::Indexer& indexer = IndexStoredBody) {
    pg::ReindexOptions options;
    options.database_url = url_;
    options.batch = 64;  // several batches over the population
    auto report = pg::Reindex(options, indexer);
    EXPECT_TRUE(report) << report.error().text;
    return report ? *report : pg::ReindexReport{};
  }

  // Patient?family=<family_> through the API: the ids of the page.
  std::string FindByFamily(pg::PgStore& store) {
    fhir::FhirApi api(store, fhir::ApiOptions{});
    const auto response =
        api.Handle(nara::testing::AdminRequest("GET", "/Patient", "", {{"family", family_}, {"_count", "200"}}));
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  }

  // As a release that had no `family` parameter would have left the patient: no such rows, and the
  // text table's digest that of the rows it did write.
  void ForgetFamily() {
    Sql("DELETE FROM search_text WHERE res_type = 'Patient' AND res_id = '" + patient_ + "' AND param = 'family'");
    Sql("UPDATE resource_current SET index_digests[2] = 'written-by-an-older-indexer' WHERE res_type = 'Patient' "
        "AND res_id = '" +
        patient_ + "'");
  }

  std::string url_, patient_, family_;
};

TEST_F(ReindexTest, AnImportedRegistryIsCurrentAndNothingIsWritten) {
  const auto report = Reindex();
  EXPECT_EQ(report.seen, LiveResources());
  EXPECT_GT(report.seen, 64);
  EXPECT_EQ(report.rewritten, 0);
  EXPECT_EQ(report.failed, 0);
}

TEST_F(ReindexTest, RowsAnOlderIndexerDidNotWriteAreMadeAndFoundAgain) {
  const std::string digests =
      PsqlValue(url_, "SELECT index_digests::text FROM resource_current WHERE res_type = 'Patient' AND res_id = '" +
                          patient_ + "'");
  ForgetFamily();
  pg::PgStore store(url_, 2);
  ASSERT_EQ(FindByFamily(store).find("\"id\":\"" + patient_ + "\""), std::string::npos);

  const auto report = Reindex();
  EXPECT_EQ(report.rewritten, 1);
  EXPECT_NE(FindByFamily(store).find("\"id\":\"" + patient_ + "\""), std::string::npos);
  EXPECT_EQ(PsqlValue(url_,
                      "SELECT index_digests::text FROM resource_current WHERE res_type = 'Patient' AND "
                      "res_id = '" +
                          patient_ + "'"),
            digests);
  // No new version: the resource did not change.
  EXPECT_EQ(Count("SELECT version FROM resource_current WHERE res_type = 'Patient' AND res_id = '" + patient_ + "'"),
            1);
  EXPECT_EQ(Reindex().rewritten, 0);
}

TEST_F(ReindexTest, RowsWithoutRecordedDigestsAreAllMadeAgain) {
  // As before schema/0020: no digests, and a row no indexer of today would write.
  Sql("UPDATE resource_current SET index_digests = NULL");
  Sql("INSERT INTO search_token (res_type, res_id, param, system, code) VALUES ('Patient', '" + patient_ +
      "', 'gender', 'http://hl7.org/fhir/administrative-gender', 'stale')");
  const long tokens = Count("SELECT count(*) FROM search_token");

  const auto report = Reindex();
  EXPECT_EQ(report.rewritten, LiveResources());
  EXPECT_EQ(Count("SELECT count(*) FROM search_token WHERE code = 'stale'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM search_token"), tokens - 1);
  EXPECT_EQ(Count("SELECT count(*) FROM resource_current WHERE index_digests IS NULL OR index_digests_version IS "
                  "DISTINCT FROM version"),
            0);
}

// As a release before schema/0022 wrote them: episodes' and care teams' status and period as index
// rows, four digests, the row values describing no version. The reindex moves them onto the rows.
TEST_F(ReindexTest, StatusAndPeriodOfTheReleaseBeforeMoveOntoTheCurrentRows) {
  const std::string registry_types = "res_type IN ('EpisodeOfCare', 'CareTeam')";
  const long moved = Count("SELECT count(*) FROM resource_current WHERE NOT deleted AND " + registry_types);
  ASSERT_GT(moved, 100);
  Sql("INSERT INTO search_token (res_type, res_id, param, system, code) SELECT res_type, res_id, 'status', "
      "row_token_system, row_token_code FROM resource_current WHERE row_token_code IS NOT NULL");
  Sql("INSERT INTO search_period (res_type, res_id, param, period) SELECT res_type, res_id, 'date', row_period "
      "FROM resource_current WHERE row_period IS NOT NULL");
  Sql("UPDATE resource_current SET index_digests = index_digests[1:4], row_token_system = NULL, row_token_code = "
      "NULL, row_period = NULL, row_values_version = NULL");
  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  const auto active_teams = [&] {
    const auto response = api.Handle(nara::testing::AdminRequest(
        "GET", "/CareTeam", "", {{"status", "active"}, {"date", "ge2000-01-01"}, {"_summary", "count"}}));
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  };
  const std::string before = active_teams();
  ASSERT_NE(before.find("\"total\":"), std::string::npos) << before;
  ASSERT_EQ(before.find("\"total\":0"), std::string::npos) << before;

  const auto report = Reindex();
  EXPECT_EQ(report.rewritten, LiveResources());  // every row recorded four digests
  EXPECT_EQ(Count("SELECT count(*) FROM search_token WHERE param = 'status' AND " + registry_types), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM search_period WHERE param = 'date' AND " + registry_types), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM resource_current WHERE row_values_version = version AND " + registry_types),
            moved);
  EXPECT_EQ(active_teams(), before);
  EXPECT_EQ(Reindex().rewritten, 0);
}

TEST_F(ReindexTest, AResourceWrittenMeanwhileIsLeftToItsWrite) {
  ForgetFamily();
  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  bool written = false;
  // Between the reindex's read of the patient and its rewrite, a client writes the patient anew
  // (another connection; it commits at once).
  const auto report = Reindex([&](const std::string& type, const std::string& id, const std::string& body) {
    if (type == "Patient" && id == patient_ && !written) {
      // A change no search parameter looks at (an unchanged body writes no new version).
      const std::string changed = std::regex_replace(body, std::regex("^\\{\"resourceType\":\"Patient\","),
                                                     "{\"resourceType\":\"Patient\",\"language\":\"sv\",");
      EXPECT_NE(changed, body);
      const auto response = api.Handle(nara::testing::AdminRequest("PUT", "/Patient/" + id, changed));
      EXPECT_EQ(response.status, 200) << response.body;
      written = true;
    }
    return IndexStoredBody(type, id, body);
  });
  ASSERT_TRUE(written);
  EXPECT_EQ(report.rewritten, 0);  // the write made the rows; the reindex's guard held nothing
  EXPECT_EQ(Count("SELECT version FROM resource_current WHERE res_type = 'Patient' AND res_id = '" + patient_ + "'"),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM search_text WHERE res_type = 'Patient' AND res_id = '" + patient_ +
                  "' AND param = 'family'"),
            1);
  EXPECT_NE(FindByFamily(store).find("\"id\":\"" + patient_ + "\""), std::string::npos);
}

TEST_F(ReindexTest, ABodyTodaysChecksRefuseIsCountedAndLeftAlone) {
  ForgetFamily();
  Sql("UPDATE resource_version SET body = '{\"resourceType\":\"Patient\",\"id\":\"" + patient_ +
      "\",\"gender\":\"neither\"}' WHERE res_type = 'Patient' AND res_id = '" + patient_ + "'");
  const std::string texts =
      "SELECT count(*) FROM search_text WHERE res_type = 'Patient' AND res_id = '" + patient_ + "'";
  const long before = Count(texts);
  const auto report = Reindex();
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.first_failure.rfind("Patient/" + patient_ + ": ", 0), 0u) << report.first_failure;
  EXPECT_EQ(report.rewritten, 0);
  EXPECT_EQ(report.seen, LiveResources());
  EXPECT_EQ(Count(texts), before);
}

}  // namespace
}  // namespace nara::app
