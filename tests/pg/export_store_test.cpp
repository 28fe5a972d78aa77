// PgExport (pg/pg_export.*) and ExportRunner (registry/export_runner.*) against a real
// PostgreSQL cluster, working as the server's role nara_server:
//  - the job store: the max-jobs limit (also under concurrent kick-offs), claim order, completion with
//    files, cancel, recovery of jobs a dead server left running, expiry;
//  - the snapshot: writes committed while an export streams (a new patient, an update, a delete) are
//    not in it, and every type comes from the same snapshot;
//  - the scope: _since, Patient level, both kinds of virtual Group (membership by the periods in force);
//  - the runner: NDJSON files with one stored resource per line across several cancellation checks, no
//    file for an empty type, the folder removed when the job is cancelled;
//  - the COPY stream: bodies holding every byte COPY's text format escapes come out byte for byte as
//    stored; a job cancelled mid-type stops there and leaves its connection fit for the next job.
// Resources are written straight into the tables (resource_version/current, search_reference and the
// registry tables), so what the export must find is known exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "registry/export_runner.h"
#include "registry/export_store.h"
#include "pg/migrations.h"
#include "pg/pg_export.h"
#include "tests/support/concurrency.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;
namespace fs = std::filesystem;

// Collects what a stream delivers (a test may hold it in memory; the runner writes files instead).
class CollectingSink : public ExportSink {
 public:
  Status BeginType(const std::string& type, int, int) override {
    current_ = type;
    order.push_back(type);
    if (on_begin) on_begin(type);
    return Ok();
  }
  Status Resource(std::string_view json) override {
    lines[current_].emplace_back(json);
    return Ok();
  }
  Status EndType() override { return Ok(); }
  bool KeepGoing() override { return true; }

  std::function<void(const std::string&)> on_begin;
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> lines;

 private:
  std::string current_;
};

bool HasId(const std::vector<std::string>& lines, const std::string& id) {
  for (const auto& line : lines) {
    if (line.find("\"id\":\"" + id + "\"") != std::string::npos) return true;
  }
  return false;
}

class ExportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("export");
    store_ = std::make_unique<PgExport>(url_, 4, "nara_server");
  }

  void Exec(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  std::string Sql(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  // Version `version` of a resource as the current one; `extra` goes into the JSON body.
  static std::string WriteSql(const std::string& type, const std::string& id, int version, const std::string& extra = "",
                              const std::string& at = "2026-01-01T10:00:00Z", bool deleted = false) {
    const std::string body = deleted ? "NULL"
                                     : "'{\"resourceType\":\"" + type + "\",\"id\":\"" + id +
                                           "\",\"meta\":{\"versionId\":\"" + std::to_string(version) + "\"}" + extra + "}'";
    const std::string key = "'" + type + "', '" + id + "'";
    return "INSERT INTO resource_version (res_type, res_id, version, last_updated, deleted, body) VALUES (" + key +
           ", " + std::to_string(version) + ", '" + at + "', " + (deleted ? "true" : "false") + ", " + body + "); " +
           "INSERT INTO resource_current (res_type, res_id, version, last_updated, deleted) VALUES (" + key + ", " +
           std::to_string(version) + ", '" + at + "', " + (deleted ? "true" : "false") +
           ") ON CONFLICT (res_type, res_id) DO UPDATE SET version = EXCLUDED.version, "
           "last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted;";
  }
  // An EpisodeOfCare / CareTeam / DocumentReference of a patient, with its search index row.
  static std::string PatientResourceSql(const std::string& type, const std::string& id, const std::string& patient,
                                        const std::string& at = "2026-01-01T10:00:00Z") {
    const std::string param = type == "EpisodeOfCare" ? "patient" : "subject";
    return WriteSql(type, id, 1, ",\"" + param + "\":{\"reference\":\"Patient/" + patient + "\"}", at) +
           "INSERT INTO search_reference (res_type, res_id, param, target_type, target_id) VALUES ('" + type + "', '" +
           id + "', '" + param + "', 'Patient', '" + patient + "');";
  }
  static std::string UnitSql(const std::string& id, const std::string& type, const std::string& part_of = "") {
    return "INSERT INTO registry_unit (unit_id, name, type, part_of) VALUES ('" + id + "', 'Enhet " + id + "', '" +
           type + "', '" + part_of + "');";
  }
  static std::string EpisodeSql(const std::string& id, const std::string& kind, const std::string& patient,
                                const std::string& unit, const std::string& from, const std::string& to = "NULL",
                                const std::string& status = "active") {
    return "INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to) VALUES ('" +
           id + "', '" + kind + "', '" + patient + "', '" + unit + "', '" + status + "', '" + from + "', " +
           (to == "NULL" ? to : "'" + to + "'") + ");";
  }

  static ExportRequest Request(ExportLevel level, std::vector<std::string> types, const std::string& group = "") {
    ExportRequest r;
    r.owner_hsa_id = "SE5567000001-STAT";
    r.level = level;
    r.group_id = group;
    r.types = std::move(types);
    r.request_url = "https://localhost/fhir/$export";
    return r;
  }

  // Creates and claims a job; the test then streams it.
  ExportJob Claimed(const ExportRequest& request) {
    auto created = store_->Create(request, 10);
    EXPECT_TRUE(created.ok()) << created.error().text;
    auto claimed = store_->ClaimNext("w-test");
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    EXPECT_EQ((*claimed)->id, created->id);
    return **claimed;
  }

  std::string url_;
  std::unique_ptr<PgExport> store_;
};

TEST_F(ExportStoreTest, JobLifecycleAndLimit) {
  auto first = store_->Create(Request(ExportLevel::system, ExportableTypes()), 2);
  ASSERT_TRUE(first.ok()) << first.error().text;
  EXPECT_EQ(first->status, "queued");
  EXPECT_EQ(first->request.owner_hsa_id, "SE5567000001-STAT");
  EXPECT_EQ(first->request.types, ExportableTypes());
  auto second = store_->Create(Request(ExportLevel::patient, PatientCompartmentTypes()), 2);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->id, second->id);
  auto third = store_->Create(Request(ExportLevel::system, {"Patient"}), 2);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().detail_code, kTooManyExportJobs);
  EXPECT_EQ(*store_->ActiveJobs(), 2);
  EXPECT_EQ(store_->CountActive()->queued, 2);
  EXPECT_EQ(store_->CountActive()->running, 0);

  // The oldest first; claimed once only.
  auto claimed = store_->ClaimNext("w-test");
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ((*claimed)->id, first->id);
  EXPECT_EQ((*claimed)->status, "running");
  EXPECT_EQ((*claimed)->attempts, 1);
  EXPECT_EQ(store_->CountActive()->queued, 1);
  EXPECT_EQ(store_->CountActive()->running, 1);
  ASSERT_TRUE(store_->SetProgress(first->id, "Patient (4/7)").ok());
  EXPECT_EQ(store_->Find(first->id)->progress, "Patient (4/7)");
  ASSERT_TRUE(store_->Complete(first->id, "2026-12-03T08:00:00.000Z",
                               {{"Patient", "Patient.ndjson", 12}, {"CareTeam", "CareTeam.ndjson", 3}})
                  .ok());
  auto done = store_->Find(first->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "completed");
  EXPECT_EQ(done->transaction_time, "2026-12-03T08:00:00.000Z");
  ASSERT_EQ(done->files.size(), 2u);
  EXPECT_EQ(done->files[0].name, "Patient.ndjson");
  EXPECT_EQ(done->files[0].count, 12);
  EXPECT_EQ(done->files[1].type, "CareTeam");
  EXPECT_EQ(*store_->ActiveJobs(), 1);  // a completed job no longer counts against the limit
  EXPECT_TRUE(store_->Create(Request(ExportLevel::system, {"Patient"}), 2).ok());

  // Cancelled: gone for every later question, and cannot be cancelled twice or completed.
  ASSERT_TRUE(store_->Cancel(first->id).ok());
  EXPECT_EQ(store_->Find(first->id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store_->Cancel(first->id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store_->Cancel("no-such-job").error().kind, ErrorKind::not_found);
  auto next = store_->ClaimNext("w-test");
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, second->id);
  ASSERT_TRUE(store_->Cancel(second->id).ok());
  EXPECT_EQ(store_->Complete(second->id, "2026-12-03T08:00:00.000Z", {}).error().kind, ErrorKind::not_found);
  EXPECT_EQ(Sql("SELECT status FROM export_job WHERE job_id = '" + second->id + "'"), "cancelled");

  // Expiry removes finished and cancelled jobs (with their files' rows), not active ones.
  Exec("UPDATE export_job SET finished = now() - interval '2 days' WHERE finished IS NOT NULL");
  auto expired = store_->Expire(24 * 3600);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(std::set<std::string>(expired->begin(), expired->end()), (std::set<std::string>{first->id, second->id}));
  EXPECT_EQ(Sql("SELECT count(*) FROM export_job"), "1");
  EXPECT_EQ(Sql("SELECT count(*) FROM export_file"), "0");
}

// The server wakes its export worker from this hook: once for every job queued, never for a refused one.
TEST_F(ExportStoreTest, OnCreatedIsToldOfEveryQueuedJobOnly) {
  int told = 0;
  store_->OnCreated([&told] { ++told; });
  ASSERT_TRUE(store_->Create(Request(ExportLevel::system, {"Patient"}), 2).ok());
  EXPECT_EQ(told, 1);
  ASSERT_TRUE(store_->Create(Request(ExportLevel::system, {"Patient"}), 2).ok());
  EXPECT_EQ(told, 2);
  auto refused = store_->Create(Request(ExportLevel::system, {"Patient"}), 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().detail_code, kTooManyExportJobs);
  EXPECT_EQ(told, 2) << "nothing was queued";
}

TEST_F(ExportStoreTest, ConcurrentKickOffsNeverExceedTheLimit) {
  constexpr int kThreads = 8;
  std::atomic<int> accepted{0}, refused{0};
  nara::testing::RunConcurrently(kThreads, [&](int) {
    PgExport own(url_, 1, "nara_server");
    auto created = own.Create(Request(ExportLevel::system, {"Patient"}), 3);
    if (created.ok()) {
      ++accepted;
    } else if (created.error().detail_code == kTooManyExportJobs) {
      ++refused;
    }
  });
  EXPECT_EQ(accepted.load(), 3);
  EXPECT_EQ(refused.load(), kThreads - 3);
  EXPECT_EQ(Sql("SELECT count(*) FROM export_job"), "3");
}

TEST_F(ExportStoreTest, InterruptedJobsAreRunAgainThenFailedCleanly) {
  auto job = store_->Create(Request(ExportLevel::system, {"Patient"}), 5);
  ASSERT_TRUE(job.ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto claimed = store_->ClaimNext("w-test");
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    EXPECT_EQ((*claimed)->attempts, attempt);
    // The server dies here; the next one starts by recovering.
    auto recovered = store_->RecoverInterrupted(3);
    ASSERT_TRUE(recovered.ok());
    EXPECT_EQ(*recovered, attempt < 3 ? 1 : 0) << "attempt " << attempt;
  }
  auto failed = store_->Find(job->id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, "failed");
  EXPECT_NE(failed->error.find("3"), std::string::npos) << failed->error;
  EXPECT_FALSE(store_->ClaimNext("w-test")->has_value());
}

// Several servers may share the database: a running job is taken over only once its worker is gone.
TEST_F(ExportStoreTest, ALiveWorkersJobIsNeverTakenOver) {
  auto live = std::make_unique<PgExport>(url_, 2, "nara_server");
  ASSERT_TRUE(live->Announce("w-live").ok());
  PgExport impostor(url_, 1, "nara_server");
  EXPECT_FALSE(impostor.Announce("w-live").ok()) << "one live worker per id";
  auto job = store_->Create(Request(ExportLevel::system, {"Patient"}), 5);
  ASSERT_TRUE(job.ok());
  auto claimed = live->ClaimNext("w-live");
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ(Sql("SELECT worker FROM export_job WHERE job_id = '" + job->id + "'"), "w-live");

  // Another server starting (or looking again) leaves it alone, and so does the worker itself.
  EXPECT_EQ(*store_->RecoverInterrupted(3), 0);
  EXPECT_EQ(*live->RecoverInterrupted(3), 0);
  EXPECT_EQ(store_->Find(job->id)->status, "running");

  // The live server goes away (its connections close); PostgreSQL drops its lock when the backend
  // notices, so look a bounded number of times.
  live.reset();
  long recovered = 0;
  for (int i = 0; i < 400 && recovered == 0; ++i) {
    recovered = *store_->RecoverInterrupted(3);
    if (recovered == 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(recovered, 1);
  EXPECT_EQ(store_->Find(job->id)->status, "queued");
  EXPECT_EQ(Sql("SELECT worker FROM export_job WHERE job_id = '" + job->id + "'"), "");
}

// A PostgreSQL restart ends the worker's sign of life with its connection: the worker takes it again
// before it claims a job, so no other server can take that job over.
TEST_F(ExportStoreTest, TheSignOfLifeIsTakenAgainAfterAPostgresRestart) {
  if (PgCluster::Shared().external()) GTEST_SKIP() << "needs the test's own cluster to restart";
  PgExport worker(url_, 2, "nara_server");
  ASSERT_TRUE(worker.Announce("w-restart").ok());
  PgCluster::Shared().Stop();
  PgCluster::Shared().Start();
  auto job = store_->Create(Request(ExportLevel::system, {"Patient"}), 5);
  ASSERT_TRUE(job.ok()) << job.error().text;
  auto claimed = worker.ClaimNext("w-restart");
  ASSERT_TRUE(claimed.ok()) << claimed.error().text;
  ASSERT_TRUE(claimed->has_value());
  PgExport other(url_, 1, "nara_server");
  EXPECT_FALSE(other.Announce("w-restart").ok()) << "the lock is held again";
  EXPECT_EQ(*other.RecoverInterrupted(3), 0);
  EXPECT_EQ(store_->Find(job->id)->status, "running");
}

TEST_F(ExportStoreTest, OneSnapshotWritesCommittedDuringTheExportAreNotInIt) {
  Exec(WriteSql("Organization", "org-1", 1) + WriteSql("Patient", "p-1", 1) + WriteSql("Patient", "p-2", 1) +
       WriteSql("Patient", "p-gone", 1) + WriteSql("Patient", "p-gone", 2, "", "2026-01-02T10:00:00Z", true) +
       PatientResourceSql("CareTeam", "ct-1", "p-1"));
  const ExportJob job = Claimed(Request(ExportLevel::system, ExportableTypes()));
  CollectingSink sink;
  // While the export is streaming its first type, another transaction commits: a new Patient and
  // CareTeam, a second version of p-1, and the deletion of p-2.
  bool wrote = false;
  sink.on_begin = [&](const std::string& type) {
    if (wrote) return;
    wrote = true;
    EXPECT_EQ(type, "Organization");
    Exec(WriteSql("Patient", "p-new", 1) + PatientResourceSql("CareTeam", "ct-new", "p-new") +
         WriteSql("Patient", "p-1", 2, ",\"gender\":\"female\"", "2026-02-01T10:00:00Z") +
         WriteSql("Patient", "p-2", 2, "", "2026-02-01T10:00:00Z", true));
  };
  auto time = store_->Stream(job, sink);
  ASSERT_TRUE(time.ok()) << time.error().text;
  ASSERT_TRUE(wrote);
  EXPECT_EQ(time->size(), 24u) << *time;  // 2026-12-03T08:00:00.000Z
  EXPECT_EQ(sink.order, ExportableTypes());
  const auto& patients = sink.lines["Patient"];
  ASSERT_EQ(patients.size(), 2u);
  EXPECT_TRUE(HasId(patients, "p-1"));
  EXPECT_TRUE(HasId(patients, "p-2")) << "deleted after the snapshot: still there in it";
  EXPECT_FALSE(HasId(patients, "p-new"));
  EXPECT_FALSE(HasId(patients, "p-gone")) << "deleted before the snapshot";
  EXPECT_EQ(patients[0].find("female"), std::string::npos) << "the version of the snapshot, not the later one";
  ASSERT_EQ(sink.lines["CareTeam"].size(), 1u);
  EXPECT_TRUE(HasId(sink.lines["CareTeam"], "ct-1"));
  EXPECT_EQ(sink.lines["Organization"].size(), 1u);
  EXPECT_EQ(sink.lines.count("Practitioner"), 0u);

  // A new export sees the later state.
  const ExportJob again = Claimed(Request(ExportLevel::system, {"Patient"}));
  CollectingSink later;
  ASSERT_TRUE(store_->Stream(again, later).ok());
  EXPECT_EQ(later.lines["Patient"].size(), 2u);
  EXPECT_TRUE(HasId(later.lines["Patient"], "p-new"));
  EXPECT_FALSE(HasId(later.lines["Patient"], "p-2"));
}

TEST_F(ExportStoreTest, SinceAndPatientLevel) {
  Exec(WriteSql("Organization", "org-1", 1, "", "2026-03-01T00:00:00Z") +
       WriteSql("Patient", "p-old", 1, "", "2025-06-01T00:00:00Z") +
       WriteSql("Patient", "p-new", 1, "", "2026-03-01T00:00:00Z") +
       PatientResourceSql("EpisodeOfCare", "ep-old", "p-old", "2025-06-01T00:00:00Z") +
       PatientResourceSql("EpisodeOfCare", "ep-new", "p-old", "2026-03-01T00:00:00Z") +
       PatientResourceSql("DocumentReference", "doc-1", "p-new", "2026-03-02T00:00:00Z"));
  ExportRequest request = Request(ExportLevel::system, ExportableTypes());
  request.since = "2026-01-01T00:00:00.000Z";
  CollectingSink since;
  ASSERT_TRUE(store_->Stream(Claimed(request), since).ok());
  EXPECT_EQ(since.lines["Patient"].size(), 1u);
  EXPECT_TRUE(HasId(since.lines["Patient"], "p-new"));
  EXPECT_EQ(since.lines["EpisodeOfCare"].size(), 1u);
  EXPECT_TRUE(HasId(since.lines["EpisodeOfCare"], "ep-new"));
  EXPECT_EQ(since.lines["DocumentReference"].size(), 1u);
  EXPECT_EQ(since.lines["Organization"].size(), 1u);

  CollectingSink patient_level;
  ASSERT_TRUE(store_->Stream(Claimed(Request(ExportLevel::patient, PatientCompartmentTypes())), patient_level).ok());
  EXPECT_EQ(patient_level.order, PatientCompartmentTypes());
  EXPECT_EQ(patient_level.lines["Patient"].size(), 2u);
  EXPECT_EQ(patient_level.lines["EpisodeOfCare"].size(), 2u);
  EXPECT_EQ(patient_level.lines.count("Organization"), 0u);
}

TEST_F(ExportStoreTest, VirtualGroupsByThePeriodsInForceToday) {
  // Two vårdcentraler, a kommun with two SÄBO units and a SÄBO of another kommun.
  Exec(UnitSql("vc-a", "vardcentral") + UnitSql("vc-b", "vardcentral") + UnitSql("kommun-1", "kommun") +
       UnitSql("kommun-2", "kommun") + UnitSql("saebo-1", "saebo", "kommun-1") +
       UnitSql("saebo-2", "saebo", "kommun-1") + UnitSql("saebo-x", "saebo", "kommun-2"));
  for (const char* p : {"p-a1", "p-a2", "p-moved", "p-b", "p-s1", "p-s2", "p-sx", "p-ended"}) Exec(WriteSql("Patient", p, 1));
  Exec(
      // listed at vc-a today: p-a1, p-a2, and p-moved (moved from vc-b to vc-a)
      EpisodeSql("l-a1", "listning", "p-a1", "vc-a", "2020-01-01") +
      EpisodeSql("l-a2", "listning", "p-a2", "vc-a", "2020-01-01") +
      EpisodeSql("l-m-old", "listning", "p-moved", "vc-b", "2019-01-01", "2024-01-01", "finished") +
      EpisodeSql("l-m-new", "listning", "p-moved", "vc-a", "2024-01-01") +
      EpisodeSql("l-b", "listning", "p-b", "vc-b", "2020-01-01") +
      // listed once at vc-a, the listing ended; a cancelled one never counts
      EpisodeSql("l-ended", "listning", "p-ended", "vc-a", "2019-01-01", "2023-01-01", "finished") +
      EpisodeSql("l-cancel", "listning", "p-b", "vc-a", "2020-01-01", "NULL", "cancelled") +
      // SÄBO residents of kommun-1 (two units), one of kommun-2
      EpisodeSql("s-1", "saebo", "p-s1", "saebo-1", "2022-01-01") +
      EpisodeSql("s-2", "saebo", "p-s2", "saebo-2", "2022-01-01") +
      EpisodeSql("s-x", "saebo", "p-sx", "saebo-x", "2022-01-01") +
      PatientResourceSql("EpisodeOfCare", "l-a1", "p-a1") + PatientResourceSql("EpisodeOfCare", "l-b", "p-b") +
      PatientResourceSql("CareTeam", "ct-a2", "p-a2") + PatientResourceSql("CareTeam", "ct-b", "p-b") +
      PatientResourceSql("DocumentReference", "doc-s1", "p-s1") + PatientResourceSql("EpisodeOfCare", "s-x", "p-sx"));

  auto listed = store_->FindGroup("listed-vc-a");
  ASSERT_TRUE(listed.ok() && listed->has_value());
  EXPECT_EQ((*listed)->members, 3);
  EXPECT_EQ((*listed)->kind, "listed");
  EXPECT_EQ((*listed)->unit_name, "Enhet vc-a");
  EXPECT_FALSE(store_->FindGroup("listed-kommun-1")->has_value()) << "a kommun lists nobody";
  EXPECT_FALSE(store_->FindGroup("saebo-vc-a")->has_value());
  EXPECT_FALSE(store_->FindGroup("listed-nowhere")->has_value());
  EXPECT_FALSE(store_->FindGroup("vc-a")->has_value());
  auto all = store_->ListGroups();
  ASSERT_TRUE(all.ok());
  std::map<std::string, long> counts;
  for (const auto& g : *all) counts[g.id] = g.members;
  EXPECT_EQ(counts, (std::map<std::string, long>{{"listed-vc-a", 3}, {"listed-vc-b", 1}, {"saebo-kommun-1", 2},
                                                 {"saebo-kommun-2", 1}}));

  CollectingSink vc_a;
  ASSERT_TRUE(store_->Stream(Claimed(Request(ExportLevel::group, PatientCompartmentTypes(), "listed-vc-a")), vc_a).ok());
  EXPECT_EQ(vc_a.lines["Patient"].size(), 3u);
  for (const char* p : {"p-a1", "p-a2", "p-moved"}) EXPECT_TRUE(HasId(vc_a.lines["Patient"], p)) << p;
  EXPECT_EQ(vc_a.lines["EpisodeOfCare"].size(), 1u);
  EXPECT_TRUE(HasId(vc_a.lines["EpisodeOfCare"], "l-a1"));
  EXPECT_EQ(vc_a.lines["CareTeam"].size(), 1u);
  EXPECT_TRUE(HasId(vc_a.lines["CareTeam"], "ct-a2"));
  EXPECT_EQ(vc_a.lines["DocumentReference"].size(), 0u);

  CollectingSink kommun;
  ASSERT_TRUE(
      store_->Stream(Claimed(Request(ExportLevel::group, PatientCompartmentTypes(), "saebo-kommun-1")), kommun).ok());
  EXPECT_EQ(kommun.lines["Patient"].size(), 2u);
  EXPECT_TRUE(HasId(kommun.lines["Patient"], "p-s1"));
  EXPECT_TRUE(HasId(kommun.lines["Patient"], "p-s2"));
  EXPECT_EQ(kommun.lines["DocumentReference"].size(), 1u);
  EXPECT_EQ(kommun.lines["EpisodeOfCare"].size(), 0u) << "s-x belongs to kommun-2's resident";

  // Directory types asked for at group level go out whole.
  Exec(WriteSql("Organization", "vc-a", 1) + WriteSql("Organization", "vc-b", 1));
  CollectingSink with_units;
  ASSERT_TRUE(
      store_->Stream(Claimed(Request(ExportLevel::group, {"Organization", "Patient"}, "listed-vc-b")), with_units).ok());
  EXPECT_EQ(with_units.lines["Organization"].size(), 2u);
  EXPECT_EQ(with_units.lines["Patient"].size(), 1u);
  EXPECT_TRUE(HasId(with_units.lines["Patient"], "p-b"));
}

TEST_F(ExportStoreTest, RunnerWritesOneLinePerResourceAcrossBatches) {
  // More rows than the stream reads between two cancellation checks, so the check runs mid-type.
  const int kPatients = PgExport::kCheckRows * 2 + 17;
  Exec("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
       "SELECT 'Patient', 'bulk-' || lpad(n::text, 5, '0'), 1, now(), "
       "'{\"resourceType\":\"Patient\",\"id\":\"bulk-' || lpad(n::text, 5, '0') || '\",\"name\":[{\"family\":\"Öberg\\\"s\"}]}' "
       "FROM generate_series(1, " + std::to_string(kPatients) + ") n; "
       "INSERT INTO resource_current (res_type, res_id, version, last_updated) "
       "SELECT res_type, res_id, 1, last_updated FROM resource_version WHERE res_type = 'Patient';");
  Exec(WriteSql("Organization", "org-1", 1));
  const std::string dir = fs::temp_directory_path() / ("nara-export-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::atomic<bool> stop{false};
  ExportRunner runner(*store_, dir, "w-runner", stop);
  EXPECT_FALSE(runner.RunNext()) << "nothing queued yet";
  auto job = store_->Create(Request(ExportLevel::system, {"Organization", "Patient", "CareTeam"}), 2);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(runner.RunNext());
  auto done = store_->Find(job->id);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->status, "completed") << done->error;
  ASSERT_EQ(done->files.size(), 2u) << "CareTeam had nothing: no file";
  EXPECT_EQ(done->files[0].type, "Organization");
  EXPECT_EQ(done->files[1].type, "Patient");
  EXPECT_EQ(done->files[1].count, kPatients);
  EXPECT_FALSE(fs::exists(fs::path(ExportRunner::JobFolder(dir, job->id)) / "CareTeam.ndjson"));

  std::ifstream in(fs::path(ExportRunner::JobFolder(dir, job->id)) / "Patient.ndjson");
  std::string line;
  std::set<std::string> ids;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    // The stored JSON exactly, escapes and UTF-8 included.
    ASSERT_NE(line.find("\"family\":\"Öberg\\\"s\""), std::string::npos) << line;
    ids.insert(line.substr(line.find("bulk-"), 10));
  }
  EXPECT_EQ(lines, kPatients);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kPatients));

  // Cancelling removes the folder and the job.
  ASSERT_TRUE(store_->Cancel(job->id).ok());
  EXPECT_TRUE(ExportRunner::RemoveFolder(dir, job->id));
  EXPECT_FALSE(fs::exists(ExportRunner::JobFolder(dir, job->id)));
  EXPECT_FALSE(ExportRunner::RemoveFolder(dir, "../escape")) << "never outside the export folder";
  fs::remove_all(dir);
}

// The worker reads with COPY ... TO STDOUT (text format) and undoes its escaping: whatever a body holds,
// the sink gets the stored bytes, and the file the same line (raw line breaks as spaces, as before).
TEST_F(ExportStoreTest, BodiesComeOutExactlyAsStoredWhateverCopyEscapes) {
  // JSON's own escapes (\" \\ \n \t \u0001 \/), a "\\N" that must not read as COPY's NULL, a string
  // ending in a backslash, UTF-8 of two, three and four bytes; and, between tokens, the raw bytes COPY
  // escapes (CR, LF, tab, vertical tab, form feed, backspace) — not compact JSON, but stored as given.
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"esc-1", R"({"resourceType":"Patient","id":"esc-1","name":[{"family":"Back\\slash \"citat\" tab\there ny\nrad )"
                R"(\u0001 \/ \\N","given":["Åsa","Örjan","中文","😀"]}]})"},
      {"esc-2", "{\"resourceType\":\"Patient\",\r\n\t\"id\":\"esc-2\",\v\f\b \"text\":\"slut\\\\\"}"},
      {"esc-3", R"({"resourceType":"Patient","id":"esc-3","text":"\\\\\\t\\n"})"},
  };
  {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    for (const auto& [id, body] : bodies) {
      tx.exec_params("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
                     "VALUES ('Patient', $1, 1, now(), $2)", id, body);
      tx.exec_params("INSERT INTO resource_current (res_type, res_id, version, last_updated) "
                     "VALUES ('Patient', $1, 1, now())", id);
    }
    tx.commit();
  }
  CollectingSink sink;
  ASSERT_TRUE(store_->Stream(Claimed(Request(ExportLevel::system, {"Patient"})), sink).ok());
  ASSERT_EQ(sink.lines["Patient"].size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(sink.lines["Patient"][i], bodies[i].second) << bodies[i].first;

  const std::string dir = fs::temp_directory_path() / ("nara-export-esc-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::atomic<bool> stop{false};
  ExportRunner runner(*store_, dir, "w-runner", stop);
  auto job = store_->Create(Request(ExportLevel::system, {"Patient"}), 5);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(runner.RunNext());
  std::ifstream in(fs::path(ExportRunner::JobFolder(dir, job->id)) / "Patient.ndjson", std::ios::binary);
  std::string line;
  for (const auto& [id, body] : bodies) {
    ASSERT_TRUE(std::getline(in, line)) << id;
    std::string expected = body;
    for (char& ch : expected) ch = ch == '\n' || ch == '\r' ? ' ' : ch;
    EXPECT_EQ(line, expected) << id;
  }
  EXPECT_FALSE(std::getline(in, line)) << "one line per resource";
  fs::remove_all(dir);
}

TEST_F(ExportStoreTest, UnescapeCopyTextRefusesWhatCopyNeverWrites) {
  std::string out;
  EXPECT_TRUE(PgExport::UnescapeCopyText("a\\\\b\\tc\\nd\\re\\bf\\fg\\vh\\xi\n", out));
  EXPECT_EQ(out, "a\\b\tc\nd\re\bf\fg\vhxi");
  EXPECT_TRUE(PgExport::UnescapeCopyText("", out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(PgExport::UnescapeCopyText("\\N\n", out)) << "NULL";
  EXPECT_FALSE(PgExport::UnescapeCopyText("{\"a\":1}\\", out)) << "a lone backslash at the end";
}

// Cancelled while a type streams: the stream stops at the next check instead of reading the type to its
// end, and the connection it read on serves the next job (one connection in the pool, so the same).
TEST_F(ExportStoreTest, ACancelledStreamStopsMidTypeAndLeavesItsConnectionUsable) {
  const int kPatients = PgExport::kCheckRows * 3;
  Exec("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
       "SELECT 'Patient', 'many-' || lpad(n::text, 6, '0'), 1, now(), "
       "'{\"resourceType\":\"Patient\",\"id\":\"many-' || lpad(n::text, 6, '0') || '\"}' "
       "FROM generate_series(1, " + std::to_string(kPatients) + ") n; "
       "INSERT INTO resource_current (res_type, res_id, version, last_updated) "
       "SELECT res_type, res_id, 1, last_updated FROM resource_version WHERE res_type = 'Patient';");
  class StopAtThirdCheck : public CollectingSink {
   public:
    bool KeepGoing() override { return ++checks < 3; }
    int checks = 0;
  };
  PgExport one(url_, 1, "nara_server");
  StopAtThirdCheck stopping;
  auto stopped = one.Stream(Claimed(Request(ExportLevel::system, {"Patient"})), stopping);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().text, "cancelled");
  EXPECT_EQ(stopping.checks, 3);
  EXPECT_GE(stopping.lines["Patient"].size(), static_cast<size_t>(PgExport::kCheckRows));
  EXPECT_LT(stopping.lines["Patient"].size(), static_cast<size_t>(kPatients));
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY%'"), "0");

  CollectingSink whole;
  auto streamed = one.Stream(Claimed(Request(ExportLevel::system, {"Patient"})), whole);
  ASSERT_TRUE(streamed.ok()) << streamed.error().text;
  ASSERT_EQ(whole.lines["Patient"].size(), static_cast<size_t>(kPatients));
  const std::string last = std::to_string(kPatients);
  EXPECT_TRUE(HasId({whole.lines["Patient"].back()}, "many-" + std::string(6 - last.size(), '0') + last));
}

}  // namespace
}  // namespace nara::pg
