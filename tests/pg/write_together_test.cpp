// The writes a transaction leaves to its end (pg/internal/write_together.h, issue 15): episode and
// contact rows put in a transaction wait to be sent with its audit and outbox rows in one statement.
// Against a real PostgreSQL: the transaction reads its own rows back before they are sent (by id, by
// patient, in counts and searches), a row put twice is stored as last put, a removal after a put
// stays, a savepoint's rollback loses nothing put before it, and the rows, the audit row and the
// outbox row commit together or not at all.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "pg/pg_store.h"
#include "registry/audit.h"
#include "registry/date.h"
#include "registry/facts.h"
#include "registry/identifier_system.h"
#include "registry/registry_store.h"
#include "registry/resource_store.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/write_one.h"
#include "tests/support/facts.h"

namespace nara::pg {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

ContactFacts DoctorContact(const std::string& id, const std::string& patient, const std::string& role_id) {
  ContactFacts c;
  c.id = id;
  c.patient_id = patient;
  c.role = ContactRole::fast_lakarkontakt;
  c.practitioner_role_id = role_id;
  c.managing_unit_id = "vc-1";
  c.status = ContactStatus::active;
  c.period = Period{D(2026, 1, 1), std::nullopt};
  c.begin_reason = "nyregistrering";
  return c;
}

WriteRequest Request(const std::string& type, const std::string& id) { return nara::testing::MinimalRequest(type, id); }

AuditRecord Audit(const std::string& request_id) {
  AuditRecord a;
  a.request_id = request_id;
  a.agent_hsa_id = "SE2321000016-A1B2";
  a.agent_role = "ehr";
  a.action = "create";
  a.resource_type = "EpisodeOfCare";
  a.resource_ids = {"wt-ep"};
  a.patient_ids = {"wt-p"};
  a.outcome = "success";
  a.http_status = 201;
  return a;
}

class WriteTogetherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("write_together");
    store_ = std::make_unique<PgStore>(url_, 2);
  }

  // One value read directly (not through the store), "NULL" for none.
  std::string Value(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    const auto rows = tx.exec(sql);
    if (rows.empty() || rows[0][0].is_null()) return "NULL";
    return rows[0][0].as<std::string>();
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

TEST_F(WriteTogetherTest, ATransactionReadsItsOwnRowsBackBeforeTheyAreSent) {
  const EpisodeFacts listing =
      nara::testing::MakeEpisode("wt-ep", "wt-p", "vc-1", D(2026, 1, 1), std::nullopt, EpisodeStatus::active);
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto& reg = tx.Registry();
    reg.PutPatient(nara::testing::MakePatient("wt-p"));
    reg.PutListing(listing);
    reg.PutContact(DoctorContact("wt-ct", "wt-p", "wt-role"));
    // By id: from the pending rows, of the right kind only.
    EXPECT_EQ(reg.Listing("wt-ep").value_or(EpisodeFacts{}).unit_id, "vc-1");
    EXPECT_FALSE(reg.Residency("wt-ep").has_value());
    EXPECT_FALSE(reg.HomeCareEpisode("wt-ep").has_value());
    EXPECT_EQ(reg.Contact("wt-ct").value_or(ContactFacts{}).practitioner_role_id, "wt-role");
    // By patient and in counts: sent first, then read.
    EXPECT_EQ(reg.Listings("wt-p").size(), 1u);
    EXPECT_EQ(reg.Contacts("wt-p").size(), 1u);
    EXPECT_EQ(reg.CountDoctorContacts("wt-role", D(2026, 6, 1)), 1);
    EXPECT_EQ(reg.CountListingsAtUnit("vc-1", D(2026, 6, 1)), 1);
    // And after a read sent them, a put waits again and is read back again.
    EpisodeFacts finished = listing;
    finished.status = EpisodeStatus::finished;
    finished.period.end = D(2026, 5, 31);
    reg.PutListing(finished);
    EXPECT_EQ(reg.Listings("wt-p").at(0).status, EpisodeStatus::finished);
    EXPECT_EQ(reg.CountListingsAtUnit("vc-1", D(2026, 6, 1)), 0);
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(Value("SELECT status || ' ' || valid_to FROM registry_listing WHERE episode_id = 'wt-ep'"),
            "finished 2026-05-31");
  EXPECT_EQ(Value("SELECT practitioner_role_id FROM registry_contact WHERE careteam_id = 'wt-ct'"), "wt-role");
}

TEST_F(WriteTogetherTest, ARowPutTwiceIsStoredAsLastPutAndARemovalAfterAPutStays) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto& reg = tx.Registry();
    ContactFacts contact = DoctorContact("wt-twice", "wt-p", "wt-role-a");
    reg.PutContact(contact);
    contact.practitioner_role_id = "wt-role-b";
    contact.end_reason = "byte-av-listning";
    reg.PutContact(contact);
    EXPECT_EQ(reg.Contact("wt-twice").value_or(ContactFacts{}).practitioner_role_id, "wt-role-b");
    reg.PutContact(DoctorContact("wt-gone", "wt-p", "wt-role-a"));
    reg.Remove("CareTeam", "wt-gone");
    EXPECT_FALSE(reg.Contact("wt-gone").has_value());
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(Value("SELECT practitioner_role_id || ' ' || end_reason FROM registry_contact WHERE careteam_id = "
                  "'wt-twice'"),
            "wt-role-b byte-av-listning");
  EXPECT_EQ(Value("SELECT count(*) FROM registry_contact WHERE careteam_id = 'wt-gone'"), "0");
}

TEST_F(WriteTogetherTest, RowsPutBeforeAWriteRolledBackToItsSavepointAreKept) {
  WriteRequest holder = Request("Patient", "wt-holder");
  holder.index.unique.push_back({"identifier", systems::kPersonnummer, "197106254787"});
  Status held = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(holder);
    return written ? Ok() : Status(written.error());
  });
  ASSERT_TRUE(held.ok()) << held.error().text;
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.Registry().PutContact(DoctorContact("wt-kept", "wt-p", "wt-role"));
    WriteRequest taken = Request("Patient", "wt-other");
    taken.index.unique = holder.index.unique;
    auto refused = tx.Write(taken);  // the identifier is taken: rolled back to the write's savepoint
    EXPECT_FALSE(refused.ok());
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(Value("SELECT count(*) FROM registry_contact WHERE careteam_id = 'wt-kept'"), "1");
  EXPECT_EQ(Value("SELECT count(*) FROM resource_current WHERE res_id = 'wt-other'"), "0");
}

TEST_F(WriteTogetherTest, RowsAuditAndOutboxCommitTogetherOrNotAtAll) {
  auto change = [&](const std::string& request_id, bool fail) {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto written = tx.Write(Request("EpisodeOfCare", "wt-ep-" + request_id));
      if (!written) return written.error();
      tx.Registry().PutListing(nara::testing::MakeEpisode("wt-ep-" + request_id, "wt-p", "vc-1", D(2026, 1, 1),
                                                          std::nullopt, EpisodeStatus::active));
      tx.Registry().PutContact(DoctorContact("wt-ct-" + request_id, "wt-p", "wt-role"));
      if (auto audited = tx.AppendAudit(Audit(request_id)); !audited) return audited;
      if (fail) return Error::BusinessRule("test", "refused after everything was put");
      return Ok();
    });
  };
  EXPECT_FALSE(change("refused", true).ok());
  for (const char* table : {"registry_listing", "registry_contact"}) {
    EXPECT_EQ(Value(std::string("SELECT count(*) FROM ") + table), "0") << table;
  }
  EXPECT_EQ(Value("SELECT count(*) FROM audit_event"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM subscription_outbox"), "0");

  ASSERT_TRUE(change("kept", false).ok());
  EXPECT_EQ(Value("SELECT status FROM registry_listing WHERE episode_id = 'wt-ep-kept'"), "active");
  EXPECT_EQ(Value("SELECT role_code FROM registry_contact WHERE careteam_id = 'wt-ct-kept'"), "2");
  EXPECT_EQ(Value("SELECT agent_role || ' ' || http_status || ' ' || array_to_string(patient_ids, ',') "
                  "FROM audit_event WHERE request_id = 'kept'"),
            "ehr 201 wt-p");
  EXPECT_EQ(Value("SELECT res_type || '/' || res_id || '/' || version FROM subscription_outbox"),
            "EpisodeOfCare/wt-ep-kept/1");
}

TEST_F(WriteTogetherTest, AnAuditRecordTheLogCannotHoldIsRefusedWhenAppended) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    AuditRecord bad = Audit("bad");
    bad.outcome = "maybe";
    return tx.AppendAudit(bad);
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(Value("SELECT count(*) FROM audit_event"), "0");
}

}  // namespace
}  // namespace nara::pg
