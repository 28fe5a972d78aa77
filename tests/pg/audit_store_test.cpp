// The audit log on PostgreSQL (schema/0004_audit.sql, pg/pg_audit.*, PgStore's audit methods)
// against a real cluster: a write's record commits or rolls back with the write, records outside a
// transaction, search by patient / agent / date with paging, and the append-only guarantee — the
// server's role (nara_server) may INSERT and SELECT but not UPDATE, DELETE or TRUNCATE, and a trigger
// stops even the owner. Also: a store working as nara_server can still do everything else.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "registry/date.h"
#include "pg/migrations.h"
#include "pg/pg_audit.h"
#include "pg/pg_store.h"
#include "registry/resource_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

constexpr const char* kRole = "nara_server";
constexpr const char* kDoctor = "SE2321000016-1234";
constexpr const char* kNurse = "SE2321000016-5678";

AuditRecord Record(const std::string& action, std::vector<std::string> patients, const std::string& agent = kDoctor) {
  AuditRecord r;
  r.request_id = "req-" + action;
  r.agent_hsa_id = agent;
  r.agent_role = "ehr";
  r.agent_name = "Journal Åby";
  r.agent_organizations = {"SE2321000016-2001", "SE2321000016-2002"};
  r.action = action;
  r.resource_type = "Patient";
  r.resource_ids = patients;
  r.patient_ids = std::move(patients);
  r.unit = "SE2321000016-2001";
  r.outcome = "success";
  r.http_status = 200;
  return r;
}

WriteRequest PatientWrite(const std::string& id, const std::string& name = "Andersson") {
  WriteRequest request;
  request.type = "Patient";
  request.id = id;
  request.index.texts.push_back({"name", name, name});
  request.render = [](const VersionInfo& info) {
    return R"({"resourceType":"Patient","id":")" + info.id + R"(","meta":{"versionId":")" +
           std::to_string(info.version) + R"("}})";
  };
  return request;
}

std::vector<long> Ids(const std::vector<StoredAudit>& audits) {
  std::vector<long> ids;
  for (const auto& a : audits) ids.push_back(a.id);
  return ids;
}

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("audit");
    store_ = std::make_unique<PgStore>(url_, 4, kRole);
  }

  // Everything matching query, through the store under test.
  std::vector<StoredAudit> Search(const AuditQuery& query) {
    auto found = store_->SearchAudit(query);
    EXPECT_TRUE(found.ok()) << found.error().text;
    return found.ok() ? *found : std::vector<StoredAudit>{};
  }

  long Count(const AuditQuery& query) {
    auto counted = store_->CountAudit(query);
    EXPECT_TRUE(counted.ok()) << counted.error().text;
    return counted.ok() ? *counted : -1;
  }

  std::vector<StoredAudit> ForPatient(const std::string& patient) {
    AuditQuery q;
    q.patient_id = patient;
    return Search(q);
  }

  // A connection of our own (the login role: superuser, owner of the tables) that takes the
  // server's role the way the pool does, when role is given.
  std::unique_ptr<pqxx::connection> Connect(bool as_server_role) {
    auto conn = std::make_unique<pqxx::connection>(url_);
    if (as_server_role) conn->set_variable("ROLE", conn->quote_name(kRole));
    return conn;
  }

  // The rows of a catalog query about the audit log's month partitions, once fourteen months beyond
  // those the migration made exist too (as the server makes them when the months come).
  pqxx::result OfEveryMonth(const std::string& query) {
    auto conn = Connect(false);
    pqxx::work tx(*conn);
    tx.exec("SELECT audit_event_ensure_partitions(14, now())");
    return tx.exec(query);
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

// Same transaction as the write

TEST_F(AuditStoreTest, ARecordAppendedWithACommittedWriteIsVisible) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(PatientWrite("p-1"));
    if (!written) return written.error();
    return tx.AppendAudit(Record("create", {"p-1"}));
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  const auto found = ForPatient("p-1");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].record.action, "create");
  EXPECT_TRUE(store_->Read("Patient", "p-1").ok());
}

TEST_F(AuditStoreTest, ARecordAppendedWithARolledBackWriteIsGoneWithIt) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(PatientWrite("p-1"));
    if (!written) return written.error();
    if (auto audited = tx.AppendAudit(Record("create", {"p-1"})); !audited) return audited;
    return Error::BusinessRule("list-full", "refused after the audit row was written");
  });
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(ForPatient("p-1").empty());
  EXPECT_EQ(store_->Read("Patient", "p-1").error().kind, ErrorKind::not_found);
  // The refusal is then audited on its own, as the server does.
  auto refused = Record("create", {"p-1"});
  refused.outcome = "refused";
  refused.http_status = 422;
  ASSERT_TRUE(store_->AppendAudit(refused).ok());
  const auto found = ForPatient("p-1");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].record.outcome, "refused");
}

TEST_F(AuditStoreTest, AnExceptionInTheWriteTakesItsRecordAlong) {
  EXPECT_THROW(store_->Transact([&](ResourceTransaction& tx) -> Status {
    if (auto audited = tx.AppendAudit(Record("update", {"p-1"})); !audited) return audited;
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_TRUE(ForPatient("p-1").empty());
}

TEST_F(AuditStoreTest, AMalformedRecordIsRefusedBeforeSql) {
  auto bad = Record("peek", {"p-1"});
  auto appended = store_->AppendAudit(bad);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().kind, ErrorKind::invalid);
  bad = Record("read", {"p-1"});
  bad.outcome = "maybe";
  EXPECT_EQ(store_->AppendAudit(bad).error().kind, ErrorKind::invalid);
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(PatientWrite("p-1"));
    if (!written) return written.error();
    return tx.AppendAudit(bad);
  });
  EXPECT_EQ(status.error().kind, ErrorKind::invalid);
  EXPECT_EQ(store_->Read("Patient", "p-1").error().kind, ErrorKind::not_found);
  EXPECT_EQ(Count({}), 0);
}

// Outside a transaction, and what comes back

TEST_F(AuditStoreTest, ARecordComesBackExactly) {
  AuditRecord r = Record("search", {});
  r.resource_type = "CareTeam";
  // Array elements that an array literal would have to quote.
  r.resource_ids = {"ct-1", "with,comma", "with \"quote\"", "back\\slash", "{brace}", "", "NULL", " space "};
  r.patient_ids = {"p-1", "p-2"};
  r.agent_organizations = {};
  r.unit = "";
  r.detail = "sökning på vårdlag — åäö";
  ASSERT_TRUE(store_->AppendAudit(r).ok());

  const auto found = ForPatient("p-2");
  ASSERT_EQ(found.size(), 1u);
  const auto& got = found[0];
  EXPECT_GT(got.id, 0);
  EXPECT_TRUE(std::regex_match(got.recorded, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << got.recorded;
  EXPECT_EQ(got.record.request_id, r.request_id);
  EXPECT_EQ(got.record.agent_hsa_id, r.agent_hsa_id);
  EXPECT_EQ(got.record.agent_role, r.agent_role);
  EXPECT_EQ(got.record.agent_name, r.agent_name);
  EXPECT_EQ(got.record.agent_organizations, r.agent_organizations);
  EXPECT_EQ(got.record.action, r.action);
  EXPECT_EQ(got.record.resource_type, r.resource_type);
  EXPECT_EQ(got.record.resource_ids, r.resource_ids);
  EXPECT_EQ(got.record.patient_ids, r.patient_ids);
  EXPECT_EQ(got.record.unit, r.unit);
  EXPECT_EQ(got.record.outcome, r.outcome);
  EXPECT_EQ(got.record.http_status, r.http_status);
  EXPECT_EQ(got.record.detail, r.detail);
}

TEST_F(AuditStoreTest, APersonnummerInDetailIsMasked) {
  AuditRecord r = Record("read", {"p-1"});
  r.detail = "sökte 197106254787, 19710625-4787, 710625-4787 och 196109732393; enhet SE2321000016-1234, tel 0701234560";
  ASSERT_TRUE(store_->AppendAudit(r).ok());
  const auto found = ForPatient("p-1");
  ASSERT_EQ(found.size(), 1u);
  const std::string& detail = found[0].record.detail;
  for (const char* pnr : {"197106254787", "19710625-4787", "710625-4787", "196109732393"}) {
    EXPECT_EQ(detail.find(pnr), std::string::npos) << detail;
  }
  EXPECT_NE(detail.find("SE2321000016-1234"), std::string::npos) << detail;  // an HSA-id is no personnummer
  EXPECT_NE(detail.find("<personnummer>"), std::string::npos) << detail;
}

TEST(AuditMask, MasksOnlyValidPersonIds) {
  EXPECT_EQ(MaskPersonIds("197106254787"), "<personnummer>");
  EXPECT_EQ(MaskPersonIds("x197106254787y"), "x<personnummer>y");
  EXPECT_EQ(MaskPersonIds("7106254787"), "<personnummer>");
  EXPECT_EQ(MaskPersonIds("710625+4787"), "<personnummer>");
  EXPECT_EQ(MaskPersonIds("197106254788"), "197106254788");  // bad check digit
  EXPECT_EQ(MaskPersonIds("1971062547871"), "1971062547871");  // 13 digits: not one
  EXPECT_EQ(MaskPersonIds("SE2321000016-1234"), "SE2321000016-1234");
  EXPECT_EQ(MaskPersonIds("HTTP 403"), "HTTP 403");
  EXPECT_EQ(MaskPersonIds(""), "");
}

TEST_F(AuditStoreTest, ManyIdsStillFitOneRecord) {
  // Past the bind-parameter budget of one parameter per element (a bulk operation): one literal each.
  AuditRecord r = Record("operation", {});
  for (int i = 0; i < 40000; ++i) r.patient_ids.push_back("p-" + std::to_string(i));
  r.resource_ids = {"a\"b", "c,d"};
  ASSERT_TRUE(store_->AppendAudit(r).ok());
  const auto found = ForPatient("p-39999");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].record.patient_ids.size(), 40000u);
  EXPECT_EQ(found[0].record.resource_ids, r.resource_ids);
}

// schema/0016_audit_arrays_lz4.sql: every month's partition, those there at the migration and those
// made later, compresses the id arrays with lz4 (a whole doctor's list names 1100 of each).
TEST_F(AuditStoreTest, EveryMonthCompressesItsIdArraysWithLz4) {
  const auto rows = OfEveryMonth(
      "SELECT c.relname, a.attname, a.attcompression::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('resource_ids', 'patient_ids') "
      "WHERE i.inhparent = 'audit_event'::regclass ORDER BY 1, 2");
  ASSERT_GE(rows.size(), 2u * 15);
  for (const auto& row : rows) {
    EXPECT_EQ(row[2].as<std::string>(), "l") << row[0].as<std::string>() << "." << row[1].as<std::string>();
  }
}

// schema/0017_audit_gin_pending_list.sql: every month's index for "who read this patient", those
// there at the migration and those made later, keeps a pending list of 1 MB, not the 4 MB default
// (the insert that fills the list merges it, and every read in that batch waits).
TEST_F(AuditStoreTest, EveryMonthKeepsASmallGinPendingList) {
  const auto rows = OfEveryMonth(
      "SELECT x.relname, coalesce(array_to_string(x.reloptions, ','), '') FROM pg_inherits i "
      "JOIN pg_index ix ON ix.indrelid = i.inhrelid JOIN pg_class x ON x.oid = ix.indexrelid "
      "JOIN pg_am am ON am.oid = x.relam AND am.amname = 'gin' "
      "WHERE i.inhparent = 'audit_event'::regclass ORDER BY 1");
  ASSERT_GE(rows.size(), 15u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[1].as<std::string>(), "gin_pending_list_limit=1024") << row[0].as<std::string>();
  }
}

// Search

TEST_F(AuditStoreTest, SearchByPatientAgentDateWithPaging) {
  ASSERT_TRUE(store_->AppendAudit(Record("read", {"a"})).ok());
  ASSERT_TRUE(store_->AppendAudit(Record("read", {"a", "b"}, kNurse)).ok());
  ASSERT_TRUE(store_->AppendAudit(Record("search", {"b"})).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(store_->AppendAudit(Record("read", {"c"}, kNurse)).ok());

  const auto all = Search({});
  ASSERT_EQ(all.size(), 4u);
  // Newest first.
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i - 1].id, all[i].id);
  EXPECT_EQ(Count({}), 4);

  EXPECT_EQ(ForPatient("a").size(), 2u);
  EXPECT_EQ(ForPatient("b").size(), 2u);
  EXPECT_EQ(ForPatient("c").size(), 1u);
  EXPECT_TRUE(ForPatient("nobody").empty());

  AuditQuery by_nurse;
  by_nurse.agent_hsa_id = kNurse;
  EXPECT_EQ(Search(by_nurse).size(), 2u);
  by_nurse.patient_id = "a";
  EXPECT_EQ(Search(by_nurse).size(), 1u);
  EXPECT_EQ(Count(by_nurse), 1);

  // [from, to): the last record alone, then everything before it.
  const std::string last = all[0].recorded;
  AuditQuery since;
  since.from = last;
  ASSERT_EQ(Search(since).size(), 1u);
  EXPECT_EQ(Search(since)[0].id, all[0].id);
  AuditQuery before;
  before.to = last;
  EXPECT_EQ(Search(before).size(), 3u);
  EXPECT_EQ(Count(before), 3);
  AuditQuery day;
  day.from = "2000-01-01T00:00:00.000Z";
  day.to = "2000-01-02T00:00:00.000Z";
  EXPECT_TRUE(Search(day).empty());

  // Pages of two, newest first, that together are everything once.
  AuditQuery page;
  page.count = 2;
  const auto first = Search(page);
  page.offset = 2;
  const auto second = Search(page);
  page.offset = 4;
  const auto third = Search(page);
  EXPECT_EQ(Ids(first), (std::vector<long>{all[0].id, all[1].id}));
  EXPECT_EQ(Ids(second), (std::vector<long>{all[2].id, all[3].id}));
  EXPECT_TRUE(third.empty());
  page.count = 0;
  page.offset = 0;
  EXPECT_TRUE(Search(page).empty());
  EXPECT_EQ(Count(page), 4);
}

TEST_F(AuditStoreTest, BadQueriesAreInvalidNotExceptions) {
  AuditQuery q;
  q.from = "not a time";
  auto found = store_->SearchAudit(q);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().kind, ErrorKind::invalid);
  auto counted = store_->CountAudit(q);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.error().kind, ErrorKind::invalid);
  AuditQuery negative;
  negative.count = -1;
  EXPECT_EQ(store_->SearchAudit(negative).error().kind, ErrorKind::invalid);
  // The pool is fine afterwards.
  EXPECT_TRUE(store_->AppendAudit(Record("read", {"p"})).ok());
  EXPECT_EQ(store_->pool_in_use(), 0);
}

// Append-only: the grant and the trigger

TEST_F(AuditStoreTest, TheServerRoleMayInsertAndSelectButNotChangeOrRemove) {
  ASSERT_TRUE(store_->AppendAudit(Record("read", {"p-1"})).ok());
  auto conn = Connect(/*as_server_role=*/true);
  {
    pqxx::nontransaction tx(*conn);
    EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), kRole);
    EXPECT_NO_THROW(tx.exec0("INSERT INTO audit_event (action, outcome) VALUES ('read', 'success')"));
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_event")[0].as<int>(), 2);
  }
  const std::vector<std::string> forbidden = {
      "UPDATE audit_event SET outcome = 'x'",
      "UPDATE audit_event SET detail = 'rewritten' WHERE id = 1",
      "DELETE FROM audit_event",
      "DELETE FROM audit_event WHERE id = 1",
      "TRUNCATE audit_event",
      "SELECT setval('audit_event_id_seq', 1)",
      "INSERT INTO schema_migration (name) VALUES ('9999_fake.sql')",
      "DROP TABLE audit_event",
      "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only_row",
  };
  for (const auto& sql : forbidden) {
    pqxx::work tx(*conn);
    bool refused = false;
    try {
      tx.exec0(sql);
    } catch (const pqxx::insufficient_privilege&) {
      refused = true;
    } catch (const pqxx::sql_error& e) {
      // DROP and ALTER of a table one does not own: "must be owner" is 42501 as well.
      ADD_FAILURE() << sql << ": " << e.sqlstate() << " " << e.what();
    }
    EXPECT_TRUE(refused) << sql;
  }
  pqxx::read_transaction check(*conn);
  EXPECT_EQ(check.exec1("SELECT count(*) FROM audit_event WHERE outcome = 'success'")[0].as<int>(), 2);
}

TEST_F(AuditStoreTest, TheTriggerRefusesChangesEvenByTheOwner) {
  ASSERT_TRUE(store_->AppendAudit(Record("read", {"p-1"})).ok());
  auto conn = Connect(/*as_server_role=*/false);  // the superuser that owns the tables
  for (const char* sql : {"UPDATE audit_event SET outcome = 'failed'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event"}) {
    pqxx::work tx(*conn);
    EXPECT_THROW(tx.exec0(sql), pqxx::restrict_violation) << sql;
  }
  pqxx::read_transaction check(*conn);
  EXPECT_EQ(check.exec1("SELECT count(*) FROM audit_event WHERE outcome = 'success'")[0].as<int>(), 1);
}

TEST_F(AuditStoreTest, TheStoreReallyWorksAsTheServerRole) {
  // Take a privilege from nara_server in this database only: the role store loses it, the login
  // role's store (the owner) does not.
  ASSERT_TRUE(store_->Transact([&](ResourceTransaction& tx) -> Status {
                      auto w = tx.Write(PatientWrite("p-1"));
                      return w ? Ok() : Status(w.error());
                    }).ok());
  {
    auto conn = Connect(false);
    pqxx::work tx(*conn);
    tx.exec0("REVOKE SELECT ON resource_current FROM nara_server");
    tx.commit();
  }
  PgStore owner(url_, 1);
  EXPECT_TRUE(owner.Read("Patient", "p-1").ok());
  EXPECT_THROW(store_->Read("Patient", "p-1"), pqxx::insufficient_privilege);
}

TEST_F(AuditStoreTest, AReconnectedConnectionTakesTheRoleAgain) {
  // libpqxx 6 may reopen a broken connection by itself; the role must survive that, or the server
  // would silently go on as the login role (here the owner, who may do anything).
  {
    auto conn = Connect(false);
    pqxx::work tx(*conn);
    tx.exec0("REVOKE SELECT ON resource_current FROM nara_server");
    tx.commit();
  }
  EXPECT_THROW(store_->Read("Patient", "p-1"), pqxx::insufficient_privilege);
  {
    auto conn = Connect(false);
    pqxx::nontransaction tx(*conn);
    const auto killed = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ASSERT_GE(killed.size(), 1u);
  }
  bool refused = false;
  for (int attempt = 0; attempt < 3 && !refused; ++attempt) {
    try {
      auto read = store_->Read("Patient", "p-1");
      ASSERT_FALSE(read.ok()) << "read as the owner after reconnecting";
      EXPECT_EQ(read.error().kind, ErrorKind::unavailable);  // the broken connection, dropped
    } catch (const pqxx::insufficient_privilege&) {
      refused = true;  // a new connection, as nara_server again
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(store_->pool_in_use(), 0);
}

TEST_F(AuditStoreTest, AnUnknownRoleMakesTheStoreUnavailableNotBroken) {
  PgStore store(url_, 2, "no_such_role_for_nara");
  auto ping = store.Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(store.AppendAudit(Record("read", {"p"})).error().kind, ErrorKind::unavailable);
  EXPECT_EQ(store.pool_in_use(), 0);
}

// Everything else still works as nara_server

TEST_F(AuditStoreTest, NormalWorkRunsAsTheServerRole) {
  EXPECT_TRUE(store_->Ping().ok());
  // create, update, read, vread, search, history, delete
  for (const char* name : {"Andersson", "Berg"}) {
    Status s = store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto w = tx.Write(PatientWrite("p-1", name));
      if (!w) return w.error();
      tx.LockKey("Patient?identifier=x");
      return tx.AppendAudit(Record("update", {"p-1"}));
    });
    ASSERT_TRUE(s.ok()) << s.error().text;
  }
  Status created = store_->Transact([&](ResourceTransaction& tx) -> Status {
    WriteRequest request = PatientWrite("");
    request.index.unique.push_back({"identifier", "http://electronichealth.se/identifier/personnummer", "197106254787"});
    auto w = tx.Write(request);
    return w ? Ok() : Status(w.error());
  });
  ASSERT_TRUE(created.ok()) << created.error().text;

  auto read = store_->Read("Patient", "p-1");
  ASSERT_TRUE(read.ok()) << read.error().text;
  EXPECT_EQ(read->version, 2);
  EXPECT_TRUE(store_->ReadVersion("Patient", "p-1", 1).ok());

  SearchQuery query;
  query.type = "Patient";
  SearchCriterion by_name;
  by_name.kind = SearchKind::text;
  by_name.param = "name";
  by_name.any_of.push_back(SearchValue{std::nullopt, "Berg", "", DatePrefix::eq, "", ""});
  query.criteria.push_back(by_name);
  auto found = store_->Search(query);
  ASSERT_TRUE(found.ok()) << found.error().text;
  ASSERT_EQ(found->resources.size(), 1u);
  EXPECT_EQ(found->resources[0].id, "p-1");

  HistoryQuery history;
  history.type = "Patient";
  history.id = "p-1";
  auto versions = store_->History(history);
  ASSERT_TRUE(versions.ok()) << versions.error().text;
  EXPECT_EQ(versions->resources.size(), 2u);

  // The registry tables, in the same transaction.
  Status registry = store_->Transact([&](ResourceTransaction& tx) -> Status {
    PatientFacts facts;
    facts.id = "p-1";
    facts.gender = "female";
    facts.kommun = "0180";
    tx.Registry().PutPatient(facts);
    return tx.Registry().LockPatient("p-1") ? Ok() : Status(Error::NotFound("p-1"));
  });
  EXPECT_TRUE(registry.ok()) << registry.error().text;

  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto d = tx.Delete("Patient", "p-1", std::nullopt);
    return d ? Ok() : Status(d.error());
  });
  ASSERT_TRUE(deleted.ok()) << deleted.error().text;
  EXPECT_EQ(store_->Read("Patient", "p-1").error().kind, ErrorKind::gone);
  EXPECT_EQ(ForPatient("p-1").size(), 2u);
}

// Migrations of many databases at once (the role is cluster-wide)

TEST(AuditMigration, ConcurrentMigrationsOfSeveralDatabasesAllSucceed) {
  std::vector<std::string> urls;
  for (int i = 0; i < 6; ++i) urls.push_back(PgCluster::Shared().CreateDatabase("auditmigr"));
  std::vector<std::optional<Error>> errors(urls.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < urls.size(); ++i) {
    threads.emplace_back([&, i] {
      auto applied = ApplyMigrations(urls[i]);
      if (!applied) errors[i] = applied.error();
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < urls.size(); ++i) {
    EXPECT_FALSE(errors[i].has_value()) << urls[i] << ": " << (errors[i] ? errors[i]->text : "");
    PgStore store(urls[i], 1, kRole);
    EXPECT_TRUE(store.Ping().ok());
    EXPECT_TRUE(store.AppendAudit(Record("read", {"p"})).ok());
  }
}

}  // namespace
}  // namespace nara::pg
