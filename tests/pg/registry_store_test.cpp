// PgRegistry (pg/internal/pg_registry.*, schema/0003_registry.sql) against a real PostgreSQL cluster:
// the typed registry tables round-trip every fact, answer "in force on date d", and their row locks
// make the capacity and one-active-listing rules hold under concurrent transactions.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "registry/date.h"
#include "registry/facts.h"
#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "registry/registry_store.h"
#include "registry/resource_store.h"
#include "tests/support/concurrency.h"
#include "tests/support/facts.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

using nara::testing::RunConcurrently;

PatientFacts Patient(const std::string& id) {
  PatientFacts p;
  p.id = id;
  p.birth_date = D(1950, 5, 17);
  p.gender = "female";
  p.kommun = "0180";
  return p;
}

RoleFacts Role(const std::string& id, const std::string& unit, const std::string& profession = "lakare",
               int capacity = 1100) {
  RoleFacts r;
  r.id = id;
  r.practitioner_id = "prac-" + id;
  r.unit_id = unit;
  r.profession = profession;
  r.capacity = capacity;
  return r;
}

EpisodeFacts Episode(const std::string& id, const std::string& patient, const std::string& unit, Date start,
                     std::optional<Date> end = std::nullopt, EpisodeStatus status = EpisodeStatus::active) {
  return nara::testing::MakeEpisode(id, patient, unit, start, end, status);
}

ContactFacts Contact(const std::string& id, const std::string& patient, const std::string& role_id, Date start,
                     std::optional<Date> end = std::nullopt, ContactStatus status = ContactStatus::active,
                     ContactRole role = ContactRole::fast_lakarkontakt) {
  ContactFacts c;
  c.id = id;
  c.patient_id = patient;
  c.role = role;
  c.practitioner_role_id = role_id;
  c.managing_unit_id = "vc-1";
  c.status = status;
  c.period = Period{start, end};
  return c;
}

std::string EndText(const Period& p) { return p.end ? p.end->ToString() : "open"; }

void ExpectSame(const EpisodeFacts& want, const EpisodeFacts& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.patient_id, got.patient_id);
  EXPECT_EQ(want.unit_id, got.unit_id);
  EXPECT_EQ(want.status, got.status) << want.id;
  EXPECT_EQ(want.period.start.ToString(), got.period.start.ToString()) << want.id;
  EXPECT_EQ(EndText(want.period), EndText(got.period)) << want.id;
  EXPECT_EQ(want.sip.has_value(), got.sip.has_value()) << want.id;
  if (want.sip && got.sip) {
    EXPECT_EQ(want.sip->ToString(), got.sip->ToString()) << want.id;
  }
}

void ExpectSame(const ContactFacts& want, const ContactFacts& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.patient_id, got.patient_id);
  EXPECT_EQ(want.role, got.role) << want.id;
  EXPECT_EQ(want.practitioner_role_id, got.practitioner_role_id);
  EXPECT_EQ(want.managing_unit_id, got.managing_unit_id);
  EXPECT_EQ(want.status, got.status) << want.id;
  EXPECT_EQ(want.period.start.ToString(), got.period.start.ToString()) << want.id;
  EXPECT_EQ(EndText(want.period), EndText(got.period)) << want.id;
  EXPECT_EQ(want.begin_reason, got.begin_reason);
  EXPECT_EQ(want.end_reason, got.end_reason);
}

void ExpectSame(const RoleFacts& want, const RoleFacts& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.practitioner_id, got.practitioner_id);
  EXPECT_EQ(want.unit_id, got.unit_id);
  EXPECT_EQ(want.profession, got.profession);
  EXPECT_EQ(want.active, got.active);
  EXPECT_DOUBLE_EQ(want.fte, got.fte);
  EXPECT_EQ(want.capacity, got.capacity);
}

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("reg");
    store_ = std::make_unique<PgStore>(url_, 60);
  }

  // Runs fn on the registry inside one committed transaction.
  void InTx(const std::function<void(RegistryTransaction&)>& fn) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      fn(tx.Registry());
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
  }

  // A single text value read directly with SQL, not through the adapter under test.
  std::string Sql(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

// Round trips

// Protected identity (docs/api.md section 8, schema/0009_protected_identity.sql): the mark round-trips,
// an update clears it, and ProtectedAmong names exactly the protected ones among the ids asked for.
TEST_F(RegistryStoreTest, ProtectionMarkRoundTripsAndIsFoundAmongManyIds) {
  PatientFacts hidden = Patient("p-hidden");
  hidden.is_protected = true;
  PatientFacts other = Patient("p-other");
  PatientFacts later = Patient("p-later");
  later.is_protected = true;
  InTx([&](RegistryTransaction& reg) {
    reg.PutPatient(hidden);
    reg.PutPatient(other);
    reg.PutPatient(later);
  });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_TRUE(reg.LockPatient("p-hidden")->is_protected);
    EXPECT_FALSE(reg.LockPatient("p-other")->is_protected);
    auto found = reg.ProtectedAmong({"p-other", "p-hidden", "p-nobody", "p-later"});
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (std::vector<std::string>{"p-hidden", "p-later"}));
    EXPECT_TRUE(reg.ProtectedAmong({}).empty());
    later.is_protected = false;
    reg.PutPatient(later);
  });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_EQ(reg.ProtectedAmong({"p-later", "p-hidden"}), std::vector<std::string>{"p-hidden"});
  });
}

// Reads that bring their facts along (docs/internals.md, "A read of one resource"): the Patient with its
// episodes, contacts and protection in one statement (ResourceTransaction::ReadToAnswer), and a page's
// patients at once (RegistryTransaction::Prefetch), answer exactly what the single-kind reads answer,
// for a patient with everything, one with nothing and one with no registry row at all; and a lock
// taken afterwards reads afresh what another transaction changed in between.
class RegistryReadAlongTest : public RegistryStoreTest {
 protected:
  void SetUp() override {
    RegistryStoreTest::SetUp();
    PatientFacts hidden = Patient("p-full");
    hidden.is_protected = true;
    InTx([&](RegistryTransaction& reg) {
      reg.PutPatient(hidden);
      reg.PutPatient(Patient("p-bare"));
      reg.PutListing(Episode("ep-old", "p-full", "vc-1", D(2020, 1, 1), D(2023, 12, 31), EpisodeStatus::finished));
      reg.PutListing(Episode("ep-now", "p-full", "vc-2", D(2024, 1, 1)));
      reg.PutResidency(Episode("res-1", "p-full", "saebo-1", D(2024, 6, 1)));
      reg.PutContact(Contact("ct-1", "p-full", "role-1", D(2024, 1, 1)));
      reg.PutContact(Contact("ct-2", "p-full", "role-2", D(2024, 2, 1), std::nullopt, ContactStatus::active,
                             ContactRole::fast_vardkontakt));
    });
    for (const char* id : {"p-full", "p-bare", "p-unregistered"}) {
      WriteRequest write;
      write.type = "Patient";
      write.id = id;
      write.render = [](const VersionInfo& info) {
        return R"({"resourceType":"Patient","id":")" + info.id + R"("})";
      };
      ASSERT_TRUE(store_->Transact([&](ResourceTransaction& tx) -> Status {
                          auto w = tx.Write(write);
                          return w ? Ok() : Status(w.error());
                        }).ok());
    }
  }

  struct Seen {
    std::vector<EpisodeFacts> listings, residencies;
    std::vector<ContactFacts> contacts;
    std::vector<std::string> protected_ids;
  };
  static Seen Look(RegistryTransaction& reg, const std::string& id) {
    return Seen{reg.Listings(id), reg.Residencies(id), reg.Contacts(id), reg.ProtectedAmong({id})};
  }
  static void ExpectSameSeen(const Seen& want, const Seen& got, const std::string& id) {
    ASSERT_EQ(want.listings.size(), got.listings.size()) << id;
    for (size_t i = 0; i < want.listings.size(); ++i) ExpectSame(want.listings[i], got.listings[i]);
    ASSERT_EQ(want.residencies.size(), got.residencies.size()) << id;
    for (size_t i = 0; i < want.residencies.size(); ++i) ExpectSame(want.residencies[i], got.residencies[i]);
    ASSERT_EQ(want.contacts.size(), got.contacts.size()) << id;
    for (size_t i = 0; i < want.contacts.size(); ++i) ExpectSame(want.contacts[i], got.contacts[i]);
    EXPECT_EQ(want.protected_ids, got.protected_ids) << id;
  }
  // What the single-kind reads say, in a transaction of their own.
  Seen Plain(const std::string& id) {
    Seen seen;
    InTx([&](RegistryTransaction& reg) { seen = Look(reg, id); });
    return seen;
  }
};

TEST_F(RegistryReadAlongTest, APatientReadToAnswerBringsTheSameFactsAsTheSingleReads) {
  for (const std::string id : {"p-full", "p-bare", "p-unregistered"}) {
    const Seen want = Plain(id);
    Seen got;
    StoredResource read;
    ASSERT_TRUE(store_->Autocommit([&](ResourceTransaction& tx) -> Status {
                        auto r = tx.ReadToAnswer("Patient", id);
                        if (!r) return r.error();
                        read = *r;
                        got = Look(tx.Registry(), id);
                        return Ok();
                      }).ok());
    auto plain = store_->Read("Patient", id);
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(read.json, plain->json);
    EXPECT_EQ(read.version, plain->version);
    EXPECT_EQ(read.last_updated, plain->last_updated);
    ExpectSameSeen(want, got, id);
  }
  EXPECT_EQ(Plain("p-full").contacts.size(), 2u) << "the fixture has what it says";
}

TEST_F(RegistryReadAlongTest, AMissingPatientIsNotFoundAndOtherTypesReadAsUsual) {
  ASSERT_TRUE(store_->Autocommit([&](ResourceTransaction& tx) -> Status {
                      EXPECT_EQ(tx.ReadToAnswer("Patient", "p-nobody").error().kind, ErrorKind::not_found);
                      EXPECT_EQ(tx.ReadToAnswer("Organization", "p-full").error().kind, ErrorKind::not_found);
                      return Ok();
                    }).ok());
}

TEST_F(RegistryReadAlongTest, APrefetchedPageAnswersAsTheSingleReads) {
  const std::vector<std::string> ids = {"p-full", "p-bare", "p-unregistered", "p-nobody"};
  std::vector<Seen> want;
  for (const auto& id : ids) want.push_back(Plain(id));
  InTx([&](RegistryTransaction& reg) {
    reg.Prefetch(ids);
    for (size_t i = 0; i < ids.size(); ++i) ExpectSameSeen(want[i], Look(reg, ids[i]), ids[i]);
    auto all = reg.ProtectedAmong(ids);
    EXPECT_EQ(all, std::vector<std::string>{"p-full"});
  });
}

TEST_F(RegistryReadAlongTest, ALockTakenAfterAReadAlongReadsAfresh) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto& reg = tx.Registry();
    reg.Prefetch({"p-bare"});
    EXPECT_TRUE(reg.Contacts("p-bare").empty());
    // Another transaction gives the patient a contact and commits.
    InTx([&](RegistryTransaction& other) { other.PutContact(Contact("ct-new", "p-bare", "role-1", D(2025, 1, 1))); });
    EXPECT_TRUE(reg.Contacts("p-bare").empty()) << "before the lock: the rows read along, as read";
    EXPECT_TRUE(reg.LockPatient("p-bare").has_value());
    const auto after = reg.Contacts("p-bare");
    EXPECT_EQ(after.size(), 1u) << "after the lock the rows are read again";
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
}

TEST_F(RegistryStoreTest, PatientRoundTripsWithAndWithoutDateOfDeath) {
  PatientFacts alive = Patient("p-alive");
  PatientFacts dead = Patient("p-dead");
  dead.deceased = D(2024, 2, 29);
  dead.birth_date = std::nullopt;
  dead.gender = "male";
  dead.kommun = "1480";
  InTx([&](RegistryTransaction& reg) {
    reg.PutPatient(alive);
    reg.PutPatient(dead);
  });
  InTx([&](RegistryTransaction& reg) {
    auto a = reg.LockPatient("p-alive");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, "p-alive");
    EXPECT_FALSE(a->deceased);
    ASSERT_TRUE(a->birth_date);
    EXPECT_EQ(a->birth_date->ToString(), "1950-05-17");
    EXPECT_EQ(a->gender, "female");
    EXPECT_EQ(a->kommun, "0180");

    auto d = reg.LockPatient("p-dead");
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->deceased);
    EXPECT_EQ(d->deceased->ToString(), "2024-02-29");
    EXPECT_FALSE(d->birth_date);
    EXPECT_EQ(d->gender, "male");
    EXPECT_EQ(d->kommun, "1480");

    EXPECT_FALSE(reg.LockPatient("p-nobody"));
  });
  // The column holds the real calendar date, for reports written in SQL.
  EXPECT_EQ(Sql("SELECT deceased::text FROM registry_patient WHERE patient_id = 'p-dead'"), "2024-02-29");
  EXPECT_EQ(Sql("SELECT deceased::text FROM registry_patient WHERE patient_id = 'p-alive'"), "NULL");

  // Upsert: recording death, then correcting it away again.
  alive.deceased = D(1969, 12, 31);  // before the epoch: negative days
  InTx([&](RegistryTransaction& reg) { reg.PutPatient(alive); });
  InTx([&](RegistryTransaction& reg) {
    auto a = reg.LockPatient("p-alive");
    ASSERT_TRUE(a && a->deceased);
    EXPECT_EQ(a->deceased->ToString(), "1969-12-31");
  });
  alive.deceased = std::nullopt;
  InTx([&](RegistryTransaction& reg) { reg.PutPatient(alive); });
  InTx([&](RegistryTransaction& reg) {
    auto a = reg.LockPatient("p-alive");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->deceased);
  });
  EXPECT_EQ(Sql("SELECT count(*) FROM registry_patient"), "2");
}

TEST_F(RegistryStoreTest, UnitRoundTripsEveryTypeAndServesSaeboArray) {
  const std::vector<UnitType> types = {UnitType::region,      UnitType::vardcentral,
                                       UnitType::kommun,      UnitType::saebo,
                                       UnitType::hemsjukvard, UnitType::specialistmottagning,
                                       UnitType::other};
  InTx([&](RegistryTransaction& reg) {
    for (size_t i = 0; i < types.size(); ++i) {
      UnitFacts u;
      u.id = "unit-" + std::to_string(i);
      u.hsa_id = "SE2321000016-" + std::to_string(1000 + i);
      u.name = "Enhet åäö " + std::to_string(i);
      u.type = types[i];
      u.part_of = i ? "unit-0" : "";
      u.kommun = "0180";
      u.active = i % 2 == 0;
      reg.PutUnit(u);
    }
  });
  InTx([&](RegistryTransaction& reg) {
    for (size_t i = 0; i < types.size(); ++i) {
      auto u = reg.Unit("unit-" + std::to_string(i));
      ASSERT_TRUE(u) << i;
      EXPECT_EQ(u->type, types[i]) << i;
      EXPECT_EQ(u->hsa_id, "SE2321000016-" + std::to_string(1000 + i));
      EXPECT_EQ(u->name, "Enhet åäö " + std::to_string(i));
      EXPECT_EQ(u->part_of, i ? "unit-0" : "");
      EXPECT_EQ(u->kommun, "0180");
      EXPECT_EQ(u->active, i % 2 == 0);
      EXPECT_TRUE(u->serves_saebo.empty());
    }
    EXPECT_FALSE(reg.Unit("unit-none"));
  });
  EXPECT_EQ(Sql("SELECT string_agg(type, ',' ORDER BY unit_id) FROM registry_unit"),
            "region,vardcentral,kommun,saebo,hemsjukvard,specialistmottagning,other");

  // Array elements are bind parameters: quotes, commas, braces and backslashes are just characters.
  UnitFacts vc;
  vc.id = "vc-1";
  vc.type = UnitType::vardcentral;
  vc.serves_saebo = {"saebo-1", "saebo,2", "sa\"ebo{3}", "x'); DROP TABLE registry_unit; --", "back\\slash", "NULL"};
  InTx([&](RegistryTransaction& reg) { reg.PutUnit(vc); });
  InTx([&](RegistryTransaction& reg) {
    auto u = reg.Unit("vc-1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->serves_saebo, vc.serves_saebo);
  });
  EXPECT_EQ(Sql("SELECT cardinality(serves_saebo) FROM registry_unit WHERE unit_id = 'vc-1'"), "6");
  EXPECT_EQ(Sql("SELECT count(*) FROM registry_unit WHERE serves_saebo @> ARRAY['saebo,2']"), "1");

  // Upsert replaces the array, also by an empty one.
  vc.serves_saebo.clear();
  vc.name = "Nytt namn";
  InTx([&](RegistryTransaction& reg) { reg.PutUnit(vc); });
  InTx([&](RegistryTransaction& reg) {
    auto u = reg.Unit("vc-1");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->serves_saebo.empty());
    EXPECT_EQ(u->name, "Nytt namn");
  });
}

TEST_F(RegistryStoreTest, RoleRoundTripsThroughLockAndPlainRead) {
  RoleFacts full = Role("role-full", "vc-1");
  RoleFacts part = Role("role-part", "vc-2", "sjukskoterska", 413);
  part.fte = 0.375;
  part.active = false;
  RoleFacts odd = Role("role-odd", "vc-1");
  odd.fte = 0.8;
  odd.capacity = 880;
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(full);
    reg.PutRole(part);
    reg.PutRole(odd);
  });
  InTx([&](RegistryTransaction& reg) {
    for (const auto& want : {full, part, odd}) {
      auto locked = reg.LockRole(want.id);
      ASSERT_TRUE(locked) << want.id;
      ExpectSame(want, *locked);
      auto read = reg.Role(want.id);
      ASSERT_TRUE(read) << want.id;
      ExpectSame(want, *read);
    }
    EXPECT_FALSE(reg.LockRole("role-none"));
    EXPECT_FALSE(reg.Role("role-none"));
  });
  EXPECT_EQ(Sql("SELECT fte::text FROM registry_role WHERE role_id = 'role-odd'"), "0.800000");

  full.capacity = 900;
  full.fte = 0.9;
  full.unit_id = "vc-3";
  InTx([&](RegistryTransaction& reg) { reg.PutRole(full); });
  InTx([&](RegistryTransaction& reg) {
    auto read = reg.Role("role-full");
    ASSERT_TRUE(read);
    ExpectSame(full, *read);
  });
}

// Hemsjukvård (docs/api.md section 11): its own kind beside listings and residencies, with the SIP date,
// read alike with and without the patient's row lock (the lock reads every kind in one query).
TEST_F(RegistryStoreTest, HomeCareEpisodesKeepTheirKindAndSipDate) {
  auto with_sip = Episode("ep-hsv", "p1", "hsv-1", D(2024, 2, 1), D(2024, 9, 1), EpisodeStatus::finished);
  with_sip.sip = D(2024, 2, 20);
  const auto without = Episode("ep-hsv2", "p1", "hsv-2", D(2024, 9, 1));
  const auto residency = Episode("ep-saebo", "p1", "saebo-1", D(2024, 1, 15));
  InTx([&](RegistryTransaction& reg) {
    PatientFacts patient;
    patient.id = "p1";
    reg.PutPatient(patient);
    reg.PutHomeCare(with_sip);
    reg.PutHomeCare(without);
    reg.PutResidency(residency);
  });
  for (bool locked : {false, true}) {
    InTx([&](RegistryTransaction& reg) {
      if (locked) {
        ASSERT_TRUE(reg.LockPatient("p1"));
      }
      auto home = reg.HomeCare("p1");
      ASSERT_EQ(home.size(), 2u) << locked;
      ExpectSame(with_sip, home[0]);
      ExpectSame(without, home[1]);
      auto one = reg.HomeCareEpisode("ep-hsv");
      ASSERT_TRUE(one);
      ExpectSame(with_sip, *one);
      auto residencies = reg.Residencies("p1");
      ASSERT_EQ(residencies.size(), 1u) << "home care is not a residency";
      ExpectSame(residency, residencies[0]);
      EXPECT_TRUE(reg.Listings("p1").empty());
      EXPECT_FALSE(reg.Residency("ep-hsv"));
      EXPECT_FALSE(reg.HomeCareEpisode("ep-saebo"));
    });
  }
}

TEST_F(RegistryStoreTest, ListingsAndResidenciesPerPatientWithOpenAndClosedPeriods) {
  const auto old_listing = Episode("ep-old", "p1", "vc-1", D(2019, 1, 1), D(2023, 6, 1), EpisodeStatus::finished);
  const auto listing = Episode("ep-now", "p1", "vc-2", D(2023, 6, 1));
  // Changed on the day it began: an empty period that must still say where and when.
  const auto same_day = Episode("ep-same-day", "p1", "vc-3", D(2023, 6, 1), D(2023, 6, 1),
                                EpisodeStatus::entered_in_error);
  const auto cancelled = Episode("ep-cancelled", "p1", "vc-4", D(2018, 3, 3), D(2018, 4, 4),
                                 EpisodeStatus::cancelled);
  const auto other = Episode("ep-other", "p1", "vc-5", D(2017, 1, 1), std::nullopt, EpisodeStatus::other);
  const auto residency = Episode("ep-saebo", "p1", "saebo-1", D(2024, 1, 15));
  const auto other_patient = Episode("ep-p2", "p2", "vc-1", D(2020, 1, 1));
  InTx([&](RegistryTransaction& reg) {
    for (const auto& e : {old_listing, listing, same_day, cancelled, other, other_patient}) reg.PutListing(e);
    reg.PutResidency(residency);
  });
  InTx([&](RegistryTransaction& reg) {
    auto listings = reg.Listings("p1");
    ASSERT_EQ(listings.size(), 5u);
    for (const auto& want : {old_listing, listing, same_day, cancelled, other}) {
      auto it = std::find_if(listings.begin(), listings.end(), [&](const EpisodeFacts& e) { return e.id == want.id; });
      ASSERT_NE(it, listings.end()) << want.id;
      ExpectSame(want, *it);
      auto one = reg.Listing(want.id);
      ASSERT_TRUE(one) << want.id;
      ExpectSame(want, *one);
      EXPECT_FALSE(reg.Residency(want.id)) << "a listing is not a residency";
    }
    auto residencies = reg.Residencies("p1");
    ASSERT_EQ(residencies.size(), 1u);
    ExpectSame(residency, residencies[0]);
    auto one = reg.Residency("ep-saebo");
    ASSERT_TRUE(one);
    ExpectSame(residency, *one);
    EXPECT_FALSE(reg.Listing("ep-saebo")) << "a residency is not a listing";

    EXPECT_EQ(reg.Listings("p2").size(), 1u);
    EXPECT_TRUE(reg.Residencies("p2").empty());
    EXPECT_TRUE(reg.Listings("p-none").empty());
    EXPECT_FALSE(reg.Listing("ep-none"));
  });
  // The period column answers "in force on a date" in SQL, half-open like Period.
  EXPECT_EQ(Sql("SELECT period::text FROM registry_listing WHERE episode_id = 'ep-old'"), "[2019-01-01,2023-06-01)");
  EXPECT_EQ(Sql("SELECT period::text FROM registry_listing WHERE episode_id = 'ep-now'"), "[2023-06-01,)");
  EXPECT_EQ(Sql("SELECT string_agg(episode_id, ',' ORDER BY episode_id) FROM registry_listing "
                "WHERE patient_id = 'p1' AND kind = 'listning' AND status = 'active' AND period @> DATE '2023-06-01'"),
            "ep-now");
  EXPECT_EQ(Sql("SELECT count(*) FROM registry_listing WHERE episode_id = 'ep-old' AND period @> DATE '2023-06-01'"),
            "0");

  // Finishing a listing (upsert) closes its period; turning an episode into a residency moves it.
  auto finished = listing;
  finished.status = EpisodeStatus::finished;
  finished.period.end = D(2025, 1, 1);
  InTx([&](RegistryTransaction& reg) {
    reg.PutListing(finished);
    reg.PutResidency(Episode("ep-other", "p1", "saebo-2", D(2017, 1, 1)));
  });
  InTx([&](RegistryTransaction& reg) {
    auto one = reg.Listing("ep-now");
    ASSERT_TRUE(one);
    ExpectSame(finished, *one);
    EXPECT_EQ(reg.Listings("p1").size(), 4u);
    EXPECT_EQ(reg.Residencies("p1").size(), 2u);
  });
}

TEST_F(RegistryStoreTest, ContactsPerPatientRoundTripEveryRoleAndStatus) {
  auto doctor = Contact("ct-doctor", "p1", "role-1", D(2024, 1, 10));
  doctor.begin_reason = "patientens-val";
  auto nurse = Contact("ct-nurse", "p1", "role-2", D(2022, 5, 1), D(2024, 1, 10), ContactStatus::inactive,
                       ContactRole::fast_vardkontakt);
  nurse.managing_unit_id = "hsjv-1";
  nurse.begin_reason = "inskrivning";
  nurse.end_reason = "avflyttad";
  auto care = Contact("ct-care", "p1", "role-3", D(2021, 1, 1), std::nullopt, ContactStatus::entered_in_error,
                      ContactRole::fast_omsorgskontakt_hemtjanst);
  auto coord = Contact("ct-coord", "p1", "role-4", D(2020, 2, 2), D(2020, 3, 3), ContactStatus::other,
                       ContactRole::fast_vardkontakt_samordning);
  auto someone_else = Contact("ct-p2", "p2", "role-1", D(2024, 1, 10));
  InTx([&](RegistryTransaction& reg) {
    for (const auto& c : {doctor, nurse, care, coord, someone_else}) reg.PutContact(c);
  });
  InTx([&](RegistryTransaction& reg) {
    auto contacts = reg.Contacts("p1");
    ASSERT_EQ(contacts.size(), 4u);
    for (const auto& want : {doctor, nurse, care, coord}) {
      auto it = std::find_if(contacts.begin(), contacts.end(), [&](const ContactFacts& c) { return c.id == want.id; });
      ASSERT_NE(it, contacts.end()) << want.id;
      ExpectSame(want, *it);
      auto one = reg.Contact(want.id);
      ASSERT_TRUE(one) << want.id;
      ExpectSame(want, *one);
    }
    EXPECT_EQ(reg.Contacts("p2").size(), 1u);
    EXPECT_TRUE(reg.Contacts("p-none").empty());
    EXPECT_FALSE(reg.Contact("ct-none"));
  });
  EXPECT_EQ(Sql("SELECT string_agg(role_code || ':' || status, ',' ORDER BY role_code) FROM registry_contact "
                "WHERE patient_id = 'p1'"),
            "1:inactive,2:active,3:entered-in-error,4:other");

  // Ending the doctor contact (upsert) keeps one row with the closed period and the reason.
  doctor.status = ContactStatus::inactive;
  doctor.period.end = D(2025, 3, 1);
  doctor.end_reason = "listningsbyte";
  InTx([&](RegistryTransaction& reg) { reg.PutContact(doctor); });
  InTx([&](RegistryTransaction& reg) {
    auto one = reg.Contact("ct-doctor");
    ASSERT_TRUE(one);
    ExpectSame(doctor, *one);
    EXPECT_EQ(reg.Contacts("p1").size(), 4u);
  });
}

TEST_F(RegistryStoreTest, RemoveDeletesTheFactsRowOfEachType) {
  UnitFacts unit;
  unit.id = "same-id";
  InTx([&](RegistryTransaction& reg) {
    reg.PutPatient(Patient("same-id"));
    reg.PutUnit(unit);
    reg.PutRole(Role("same-id", "vc-1"));
    reg.PutListing(Episode("same-id", "p1", "vc-1", D(2024, 1, 1)));
    reg.PutResidency(Episode("ep-saebo", "p1", "saebo-1", D(2024, 1, 1)));
    reg.PutContact(Contact("same-id", "p1", "role-1", D(2024, 1, 1)));
  });
  // Types without a facts table, and unknown ids, change nothing.
  InTx([&](RegistryTransaction& reg) {
    reg.Remove("Practitioner", "same-id");
    reg.Remove("DocumentReference", "same-id");
    reg.Remove("Patient", "other-id");
  });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_TRUE(reg.LockPatient("same-id"));
    EXPECT_TRUE(reg.Unit("same-id"));
    EXPECT_TRUE(reg.Role("same-id"));
    EXPECT_TRUE(reg.Listing("same-id"));
    EXPECT_TRUE(reg.Contact("same-id"));
  });

  // Each type removes only its own table's row.
  InTx([&](RegistryTransaction& reg) { reg.Remove("Patient", "same-id"); });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_FALSE(reg.LockPatient("same-id"));
    EXPECT_TRUE(reg.Unit("same-id"));
  });
  InTx([&](RegistryTransaction& reg) {
    reg.Remove("Organization", "same-id");
    reg.Remove("PractitionerRole", "same-id");
    reg.Remove("EpisodeOfCare", "same-id");
    reg.Remove("EpisodeOfCare", "ep-saebo");
    reg.Remove("CareTeam", "same-id");
  });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_FALSE(reg.Unit("same-id"));
    EXPECT_FALSE(reg.Role("same-id"));
    EXPECT_FALSE(reg.Listing("same-id"));
    EXPECT_FALSE(reg.Residency("ep-saebo"));
    EXPECT_FALSE(reg.Contact("same-id"));
    EXPECT_TRUE(reg.Listings("p1").empty());
    EXPECT_TRUE(reg.Residencies("p1").empty());
    EXPECT_TRUE(reg.Contacts("p1").empty());
  });
  for (const char* table : {"registry_patient", "registry_unit", "registry_role", "registry_listing",
                            "registry_contact"}) {
    EXPECT_EQ(Sql(std::string("SELECT count(*) FROM ") + table), "0") << table;
  }
}

TEST_F(RegistryStoreTest, WritesOfARolledBackTransactionLeaveNothing) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.Registry().PutPatient(Patient("p1"));
    tx.Registry().PutListing(Episode("ep-1", "p1", "vc-1", D(2024, 1, 1)));
    return Error::BusinessRule("list-full", "rolled back");
  });
  ASSERT_FALSE(status.ok());
  InTx([&](RegistryTransaction& reg) {
    EXPECT_FALSE(reg.LockPatient("p1"));
    EXPECT_TRUE(reg.Listings("p1").empty());
  });
}

// Capacity queries

// A place is taken from a contact's start until its end, and a future-dated contact takes its place
// already now: capacity counts what is in force on the date or promised after it (rule 3).
TEST_F(RegistryStoreTest, CountDoctorContactsCountsPlacesTakenOnOrAfterTheDate) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Role("role-1", "vc-1"));
    reg.PutContact(Contact("ct-open", "p1", "role-1", D(2024, 1, 1)));
    reg.PutContact(Contact("ct-closed", "p2", "role-1", D(2024, 1, 1), D(2024, 7, 1)));
    reg.PutContact(Contact("ct-later", "p3", "role-1", D(2024, 9, 1)));
    // Not counted whatever the date: not active, not role 2, or another role.
    reg.PutContact(Contact("ct-inactive", "p4", "role-1", D(2024, 1, 1), std::nullopt, ContactStatus::inactive));
    reg.PutContact(Contact("ct-error", "p5", "role-1", D(2024, 1, 1), std::nullopt,
                           ContactStatus::entered_in_error));
    reg.PutContact(Contact("ct-nurse", "p6", "role-1", D(2024, 1, 1), std::nullopt, ContactStatus::active,
                           ContactRole::fast_vardkontakt));
    reg.PutContact(Contact("ct-other-role", "p7", "role-2", D(2024, 1, 1)));
  });
  InTx([&](RegistryTransaction& reg) {
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2023, 12, 31)), 3) << "all three are promised";
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2024, 1, 1)), 3);
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2024, 6, 30)), 3);
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2024, 7, 1)), 2) << "end is exclusive";
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2024, 9, 1)), 2);
    EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2099, 1, 1)), 2);
    EXPECT_EQ(reg.CountDoctorContacts("role-2", D(2024, 9, 1)), 1);
    EXPECT_EQ(reg.CountDoctorContacts("role-none", D(2024, 9, 1)), 0);
  });
  // Ending a contact frees the place from its end date on.
  InTx([&](RegistryTransaction& reg) {
    reg.PutContact(Contact("ct-open", "p1", "role-1", D(2024, 1, 1), D(2024, 10, 1), ContactStatus::inactive));
  });
  InTx([&](RegistryTransaction& reg) { EXPECT_EQ(reg.CountDoctorContacts("role-1", D(2024, 9, 15)), 1); });
}

TEST_F(RegistryStoreTest, DoctorLoadsAtUnitListsActiveDoctorsWithTheirLoads) {
  const Date on = D(2024, 6, 1);
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Role("doc-busy", "vc-1", "lakare", 3));
    reg.PutRole(Role("doc-free", "vc-1", "lakare", 1100));
    auto gone = Role("doc-inactive", "vc-1");
    gone.active = false;
    reg.PutRole(gone);
    reg.PutRole(Role("nurse", "vc-1", "sjukskoterska"));
    reg.PutRole(Role("doc-elsewhere", "vc-2"));
    for (int i = 0; i < 3; ++i) {
      reg.PutContact(Contact("ct-busy-" + std::to_string(i), "p" + std::to_string(i), "doc-busy", D(2024, 1, 1)));
    }
    reg.PutContact(Contact("ct-busy-ended", "p9", "doc-busy", D(2023, 1, 1), D(2024, 1, 1)));
    reg.PutContact(Contact("ct-busy-inactive", "p8", "doc-busy", D(2024, 1, 1), std::nullopt,
                           ContactStatus::inactive));
    reg.PutContact(Contact("ct-busy-nurse", "p7", "doc-busy", D(2024, 1, 1), std::nullopt, ContactStatus::active,
                           ContactRole::fast_vardkontakt));
    reg.PutContact(Contact("ct-inactive-doc", "p6", "doc-inactive", D(2024, 1, 1)));
    reg.PutContact(Contact("ct-elsewhere", "p5", "doc-elsewhere", D(2024, 1, 1)));
  });
  InTx([&](RegistryTransaction& reg) {
    auto loads = reg.DoctorLoadsAtUnit("vc-1", on);
    std::sort(loads.begin(), loads.end(), [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
    ASSERT_EQ(loads.size(), 2u);
    EXPECT_EQ(loads[0].first.id, "doc-busy");
    EXPECT_EQ(loads[0].first.capacity, 3);
    EXPECT_EQ(loads[0].first.profession, "lakare");
    EXPECT_EQ(loads[0].second, 3);
    EXPECT_EQ(loads[1].first.id, "doc-free");
    EXPECT_EQ(loads[1].first.capacity, 1100);
    EXPECT_EQ(loads[1].second, 0) << "a doctor without contacts is listed with load 0";

    auto before = reg.DoctorLoadsAtUnit("vc-1", D(2023, 6, 1));
    std::sort(before.begin(), before.end(), [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
    ASSERT_EQ(before.size(), 2u);
    EXPECT_EQ(before[0].second, 4) << "the one in force then and the three promised from 2024";
    EXPECT_EQ(before[1].second, 0);

    EXPECT_TRUE(reg.DoctorLoadsAtUnit("vc-none", on).empty());
  });
}

// Concurrency: the row locks serialise rule checks (docs/architecture.md "Storage")

TEST_F(RegistryStoreTest, RoleLockKeepsConcurrentAssignmentsWithinCapacity) {
  const Date today = Date::Today();
  constexpr int kCapacity = 10;
  constexpr int kExisting = 8;
  constexpr int kThreads = 50;
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Role("doc", "vc-1", "lakare", kCapacity));
    for (int i = 0; i < kExisting; ++i) {
      reg.PutContact(Contact("ct-existing-" + std::to_string(i), "p-existing-" + std::to_string(i), "doc",
                             today.AddDays(-30)));
    }
  });

  std::atomic<int> assigned{0};
  std::atomic<int> full{0};
  std::atomic<int> failed{0};
  RunConcurrently(kThreads, [&](int i) {
    bool got_place = false;
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      got_place = false;  // the adapter may run the work again after a transient conflict
      auto& reg = tx.Registry();
      auto role = reg.LockRole("doc");
      if (!role) return Error::NotFound("role");
      if (reg.CountDoctorContacts("doc", today) >= role->capacity) {
        return Error::BusinessRule("list-full", "full");
      }
      reg.PutContact(Contact("ct-new-" + std::to_string(i), "p-new-" + std::to_string(i), "doc", today));
      got_place = true;
      return Ok();
    });
    if (status.ok() && got_place) {
      ++assigned;
    } else if (!status.ok() && status.error().detail_code == "list-full") {
      ++full;
    } else {
      ++failed;
    }
  });
  EXPECT_EQ(assigned.load(), kCapacity - kExisting);
  EXPECT_EQ(full.load(), kThreads - (kCapacity - kExisting));
  EXPECT_EQ(failed.load(), 0);
  InTx([&](RegistryTransaction& reg) { EXPECT_EQ(reg.CountDoctorContacts("doc", today), kCapacity); });
  EXPECT_EQ(Sql("SELECT count(*) FROM registry_contact WHERE practitioner_role_id = 'doc'"),
            std::to_string(kCapacity));
}

TEST_F(RegistryStoreTest, PatientLockLetsExactlyOneConcurrentListingBecomeActive) {
  const Date today = Date::Today();
  constexpr int kThreads = 20;
  InTx([&](RegistryTransaction& reg) {
    reg.PutPatient(Patient("p1"));
    // History that is not active today must not count.
    reg.PutListing(Episode("ep-past", "p1", "vc-old", today.AddDays(-400), today.AddDays(-10),
                           EpisodeStatus::finished));
  });

  std::atomic<int> listed{0};
  std::atomic<int> already{0};
  std::atomic<int> failed{0};
  RunConcurrently(kThreads, [&](int i) {
    bool made = false;
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      made = false;
      auto& reg = tx.Registry();
      if (!reg.LockPatient("p1")) return Error::NotFound("patient");
      for (const auto& e : reg.Listings("p1")) {
        if (e.ActiveOn(today)) return Ok();
      }
      reg.PutListing(Episode("ep-new-" + std::to_string(i), "p1", "vc-" + std::to_string(i), today));
      made = true;
      return Ok();
    });
    if (!status.ok()) {
      ++failed;
    } else if (made) {
      ++listed;
    } else {
      ++already;
    }
  });
  EXPECT_EQ(listed.load(), 1);
  EXPECT_EQ(already.load(), kThreads - 1);
  EXPECT_EQ(failed.load(), 0);
  InTx([&](RegistryTransaction& reg) {
    auto listings = reg.Listings("p1");
    EXPECT_EQ(listings.size(), 2u);
    EXPECT_EQ(std::count_if(listings.begin(), listings.end(), [&](const EpisodeFacts& e) { return e.ActiveOn(today); }),
              1);
  });
}

}  // namespace
}  // namespace nara::pg
