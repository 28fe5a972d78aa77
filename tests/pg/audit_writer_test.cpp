// The audit writer (pg/internal/audit_writer.*) and the log partitioned by month
// (schema/0012_audit_by_month.sql) against a real cluster: records that arrive while a batch commits
// go together in the next one; nobody is released before their row is committed; each row comes back
// as it was handed over; rows land in their month's partition; months are made ahead, and a month
// without a partition refuses the row instead of losing it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "pg/internal/audit_writer.h"
#include "pg/pg_store.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

constexpr const char* kRole = "nara_server";

AuditRecord ReadRecord(int n) {
  AuditRecord r;
  r.request_id = "req-" + std::to_string(n);
  r.agent_hsa_id = "SE2321000016-1234";
  r.agent_role = "ehr";
  r.agent_name = "Journal \"Åby\", {vc}";  // quotes, a comma and braces inside array literals
  r.agent_organizations = {"SE2321000016-2001", "a,b", ""};
  r.action = "read";
  r.resource_type = "Patient";
  r.resource_ids = {"p-" + std::to_string(n)};
  r.patient_ids = {"p-" + std::to_string(n), "NULL", "x\\y"};
  r.unit = "SE2321000016-2001";
  r.outcome = "success";
  r.http_status = 200;
  r.detail = "läst av 197106254787";  // masked in the log
  return r;
}

// Waits (bounded) until done() holds; false if it never did.
template <typename Fn>
bool WaitFor(Fn done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class AuditWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { url_ = nara::testing::MigratedDatabase("auditw"); }
  long Count(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<long>();
  }
  std::string url_;
};

TEST_F(AuditWriterTest, RecordsArrivingWhileABatchCommitsGoTogetherInTheNextAndWaitForIt) {
  AuditWriter writer(url_, kRole);
  // Hold the writer's first batch: SHARE mode conflicts with the INSERT's ROW EXCLUSIVE lock.
  pqxx::connection blocker(url_);
  pqxx::work lock(blocker);
  lock.exec0("LOCK TABLE audit_event IN SHARE MODE");

  std::atomic<int> released{0};
  std::vector<std::thread> threads;
  std::vector<Status> results(21, Ok());
  threads.emplace_back([&] {
    results[0] = writer.Append(ReadRecord(0));
    ++released;
  });
  ASSERT_TRUE(WaitFor([&] { return writer.in_flight() == 1 && writer.queued() == 0; }));
  for (int n = 1; n <= 20; ++n) {
    threads.emplace_back([&, n] {
      results[n] = writer.Append(ReadRecord(n));
      ++released;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return writer.queued() == 20; }));
  // Nobody is answered while nothing is committed.
  EXPECT_EQ(released.load(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_event"), 0);
  lock.commit();
  for (auto& t : threads) t.join();

  EXPECT_EQ(released.load(), 21);
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(writer.rows_written(), 21);
  EXPECT_EQ(writer.batches_written(), 2) << "the 20 that waited went in one batch";
  EXPECT_EQ(Count("SELECT count(*) FROM audit_event"), 21);
  EXPECT_EQ(Count("SELECT count(DISTINCT request_id) FROM audit_event"), 21);
}

// A batch sends each column as one array parameter (pg_audit.cpp InsertAuditRows): rows of one batch
// with lists of different lengths, empty ones included, each get back their own.
TEST_F(AuditWriterTest, InOneBatchEachRowKeepsItsOwnLists) {
  AuditWriter writer(url_, kRole);
  pqxx::connection blocker(url_);
  pqxx::work lock(blocker);
  lock.exec0("LOCK TABLE audit_event IN SHARE MODE");
  std::vector<AuditRecord> records;
  for (int n = 0; n < 6; ++n) {
    AuditRecord r = ReadRecord(n);
    r.resource_ids.clear();
    for (int i = 0; i < (n * 7) % 5; ++i) r.resource_ids.push_back("r" + std::to_string(n) + "-" + std::to_string(i));
    if (n == 3) r.patient_ids.clear();
    if (n == 4) r.agent_organizations.clear();
    if (n == 5) r.patient_ids.push_back("with \"quote\", {brace}");
    records.push_back(std::move(r));
  }
  std::vector<std::thread> threads;
  std::vector<Status> results(records.size(), Ok());
  threads.emplace_back([&] { results[0] = writer.Append(records[0]); });
  ASSERT_TRUE(WaitFor([&] { return writer.in_flight() == 1; }));
  for (size_t n = 1; n < records.size(); ++n) threads.emplace_back([&, n] { results[n] = writer.Append(records[n]); });
  ASSERT_TRUE(WaitFor([&] { return writer.queued() == static_cast<int>(records.size()) - 1; }));
  lock.commit();
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(writer.batches_written(), 2) << "the five that waited went in one batch";

  PgStore store(url_, 1, kRole);
  for (const AuditRecord& record : records) {
    AuditQuery query;
    query.agent_hsa_id = record.agent_hsa_id;
    query.count = 100;
    auto found = store.SearchAudit(query);
    ASSERT_TRUE(found.ok());
    bool seen = false;
    for (const auto& stored : *found) {
      if (stored.record.request_id != record.request_id) continue;
      seen = true;
      EXPECT_EQ(stored.record.resource_ids, record.resource_ids) << record.request_id;
      EXPECT_EQ(stored.record.patient_ids, record.patient_ids) << record.request_id;
      EXPECT_EQ(stored.record.agent_organizations, record.agent_organizations) << record.request_id;
    }
    EXPECT_TRUE(seen) << record.request_id;
  }
}

TEST_F(AuditWriterTest, EachRowComesBackAsHandedOver) {
  PgStore store(url_, 2, kRole);
  const AuditRecord record = ReadRecord(7);
  ASSERT_TRUE(store.AppendAudit(record).ok());
  AuditQuery query;
  query.patient_id = "p-7";
  auto found = store.SearchAudit(query);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  const AuditRecord& back = (*found)[0].record;
  EXPECT_EQ(back.request_id, record.request_id);
  EXPECT_EQ(back.agent_name, record.agent_name);
  EXPECT_EQ(back.agent_organizations, record.agent_organizations);
  EXPECT_EQ(back.resource_ids, record.resource_ids);
  EXPECT_EQ(back.patient_ids, record.patient_ids);
  EXPECT_EQ(back.http_status, 200);
  EXPECT_EQ(back.detail, "läst av <personnummer>");
  EXPECT_EQ(store.audit_rows_written(), 1);
  EXPECT_EQ(store.audit_batches_written(), 1);
}

TEST_F(AuditWriterTest, AMalformedRecordIsRefusedAndDoesNotTakeOthersAlong) {
  AuditWriter writer(url_, kRole);
  AuditRecord bad = ReadRecord(1);
  bad.action = "peek";
  EXPECT_EQ(writer.Append(bad).error().kind, ErrorKind::invalid);
  EXPECT_TRUE(writer.Append(ReadRecord(2)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM audit_event"), 1);
}

TEST_F(AuditWriterTest, ADatabaseThatIsGoneReleasesNothing) {
  AuditWriter writer("postgresql://127.0.0.1:1/nowhere?connect_timeout=2", "");
  const Status status = writer.Append(ReadRecord(1));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::unavailable);
}

TEST_F(AuditWriterTest, RowsLandInTheirMonthAndMonthsAreMadeAhead) {
  AuditWriter writer(url_, kRole);
  ASSERT_TRUE(writer.Append(ReadRecord(1)).ok());
  pqxx::connection conn(url_);
  pqxx::nontransaction tx(conn);  // each statement on its own: one is expected to fail
  EXPECT_EQ(tx.exec1("SELECT relkind FROM pg_class WHERE relname = 'audit_event'")[0].as<std::string>(), "p");
  EXPECT_EQ(tx.exec1("SELECT tableoid::regclass::text FROM audit_event")[0].as<std::string>(),
            tx.exec1("SELECT 'audit_event_y' || to_char(now(), 'YYYY') || 'm' || to_char(now(), 'MM')")[0]
                .as<std::string>());
  // This month and the three after it.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_event'::regclass AND "
                     "inhrelid::regclass::text >= 'audit_event_y' || to_char(now(), 'YYYY') || 'm' || "
                     "to_char(now(), 'MM')")[0]
                .as<int>(),
            4);
  // A row in a month with no partition is refused, not lost in a catch-all; once made, it goes in.
  EXPECT_THROW(tx.exec0("INSERT INTO audit_event (recorded, action, outcome) VALUES (now() + interval '2 years', "
                        "'read', 'success')"),
               pqxx::check_violation);
  EXPECT_EQ(tx.exec1("SELECT audit_event_ensure_partitions(25)")[0].as<int>(), 22);  // months +4 to +25
  EXPECT_EQ(tx.exec1("SELECT audit_event_ensure_partitions(25)")[0].as<int>(), 0) << "idempotent";
  EXPECT_NO_THROW(tx.exec0("INSERT INTO audit_event (recorded, action, outcome) VALUES (now() + interval '2 years', "
                           "'read', 'success')"));
}

TEST_F(AuditWriterTest, TheServerRoleMayMakeMonthsButNotTablesOfItsOwn) {
  pqxx::connection conn(url_);
  conn.set_variable("ROLE", kRole);
  pqxx::nontransaction tx(conn);
  EXPECT_NO_THROW(tx.exec1("SELECT audit_event_ensure_partitions(6)"));
  EXPECT_THROW(tx.exec0("CREATE TABLE audit_event_y2099m01 PARTITION OF audit_event FOR VALUES FROM "
                        "('2099-01-01') TO ('2099-02-01')"),
               pqxx::insufficient_privilege);
}

}  // namespace
}  // namespace nara::pg
