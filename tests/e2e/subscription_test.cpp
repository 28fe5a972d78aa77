// Change notifications end to end (docs/api.md section 10): real `nara serve` processes, real mutual TLS
// both ways (the receivers started here check the server's client certificate), real PostgreSQL.
// Many changes reach every subscription numbered 1..N without gap; a change of listing reaches the old
// and the new unit; a receiver that is down catches up, and after the retries `$events` and a PUT
// bring the subscription back; a receiver that never answers does not hold up another; kill -9 of the
// server mid-stream loses no event; two nodes on one database deliver each event once; a municipality
// hears only of its residents, of their death and of a move out.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <iostream>
#include <tuple>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/scrape.h"
#include "tests/e2e/subscription_receiver.h"
#include "tests/support/concurrency.h"

namespace nara::e2e {
namespace {

using reg::kFhirJson;
using Mode = SubscriptionReceiver::Mode;

const std::string kTopicBase = reg::kNr + "/SubscriptionTopic/";
const std::string kBackport = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";
const std::string kMunicipalityExt = reg::kNr + "/StructureDefinition/municipality";
const std::string kKommunSystem = reg::kNr + "/CodeSystem/kommun";

std::map<std::string, std::string> Overrides() {
  const auto& shared = Server::Shared();
  return {{"NARA_SUBSCRIPTION_ENDPOINT_ALLOWLIST", "localhost, 127.0.0.1"},
          {"NARA_SUBSCRIPTION_CLIENT_CERT", shared.Pki("clients/nara-server.pem")},
          {"NARA_SUBSCRIPTION_CLIENT_KEY", shared.Pki("clients/nara-server.key")},
          {"NARA_SUBSCRIPTION_RETRY_FIRST_MS", "100"},
          {"NARA_SUBSCRIPTION_MAX_ATTEMPTS", "4"},
          {"NARA_THREADS", "32"},
          {"NARA_DB_POOL_SIZE", "8"}};
}

// A Subscription on `topic` (a code) posting to `endpoint`; filter "" = none.
std::string SubscriptionJson(const std::string& topic, const std::string& endpoint, const std::string& filter = "",
                             const std::string& payload = "id-only", int timeout = 1) {
  std::string json = R"({"resourceType":"Subscription","status":"requested","reason":"test","criteria":")" +
                     kTopicBase + topic + R"(")";
  if (!filter.empty()) {
    json += R"(,"_criteria":{"extension":[{"url":")" + kBackport + R"(backport-filter-criteria","valueString":")" +
            filter + R"("}]})";
  }
  return json + R"(,"channel":{"type":"rest-hook","endpoint":")" + endpoint +
         R"(","payload":"application/fhir+json","_payload":{"extension":[{"url":")" + kBackport +
         R"(backport-payload-content","valueCode":")" + payload + R"("}]},"extension":[{"url":")" + kBackport +
         R"(backport-timeout","valueUnsignedInt":)" + std::to_string(timeout) + "}]}}";
}

// pnr "" = a fresh personnummer.
std::string PatientInKommun(const std::string& id, const std::string& kommun, const std::string& deceased = "",
                            const std::string& pnr = "") {
  std::string json = R"({"resourceType":"Patient","id":")" + id + R"(","identifier":[{"system":")" +
                     reg::kPersonnummerSystem + R"(","value":")" + (pnr.empty() ? reg::NextPersonnummer() : pnr) +
                     R"("}],"name":[{"family":"Prenumerant","given":["Test"]}],"gender":"female")";
  if (!deceased.empty()) json += R"(,"deceasedDateTime":")" + deceased + R"(")";
  return json + R"(,"address":[{"use":"home","extension":[{"url":")" + kMunicipalityExt +
         R"(","valueCoding":{"system":")" + kKommunSystem + R"(","code":")" + kommun +
         R"("}}],"line":["Testgatan 1"],"city":"Testby"}]})";
}

// A Patient (or any resource) marked protected (sekretessmarkering, docs/api.md section 8).
std::string Protected(std::string json) {
  return json.insert(json.find('{') + 1,
                     R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},)");
}

// A server of the suite's own with the directory written: region, vårdcentraler A and B below it, the
// municipality client's kommun (0180) with a hemsjukvård unit.
struct Site {
  std::unique_ptr<OwnServer> server;
  std::unique_ptr<testing::TlsClient> admin, ehr, municipality;

  void Connect() {
    admin = server->Client("admin");
    ehr = server->Client("ehr");
    municipality = server->Client("municipality");
  }
  void Directory() {
    reg::World::Put(*admin, "Organization", "region", reg::OrganizationJson("region", reg::kRegionHsa, "region"));
    reg::World::Put(*admin, "Organization", "vc-a", reg::OrganizationJson("vc-a", reg::UnitHsa(reg::kRegionHsa), "vardcentral", "region"));
    reg::World::Put(*admin, "Organization", "vc-b", reg::OrganizationJson("vc-b", reg::UnitHsa(reg::kRegionHsa), "vardcentral", "region"));
    reg::World::Put(*admin, "Organization", "kommun", reg::KommunJson("kommun", reg::kKommunHsa, "0180"));
    reg::World::Put(*admin, "Organization", "hsv",
                    reg::OrganizationJson("hsv", reg::UnitHsa(reg::kKommunHsa), "hemsjukvard", "kommun"));
  }
  // A patient in kommun 0180 listed at `unit` (episode id "ep-<patient>-<unit>").
  void Listed(const std::string& patient, const std::string& unit, const std::string& start = "2025-01-01") {
    reg::World::Put(*admin, "Patient", patient, PatientInKommun(patient, "0180"));
    List(patient, unit, start);
  }
  testing::HttpResult List(const std::string& patient, const std::string& unit, const std::string& start) {
    const std::string id = "ep-" + patient + "-" + unit;
    return ehr->Request("PUT", "/fhir/EpisodeOfCare/" + id, reg::EpisodeJson(id, patient, unit, start), kFhirJson);
  }
  // A doctor (Practitioner and fast-läkarkontakt PractitionerRole) at `unit` with `capacity` places.
  void Doctor(const std::string& role, const std::string& unit, int capacity) {
    reg::World::Put(*admin, "Practitioner", role + "-pr", reg::PractitionerJson(role + "-pr", "Köläkare"));
    reg::World::Put(*admin, "PractitionerRole", role, reg::RoleJson(role, role + "-pr", unit, "lakare", capacity));
  }
  // A fast läkarkontakt with `role` for `patient`; queue = ask for a place in line when the list is full.
  testing::HttpResult Contact(const std::string& id, const std::string& patient, const std::string& role,
                              const std::string& unit, bool queue = false) {
    auto headers = kFhirJson;
    if (queue) headers["Prefer"] = "waitlist=true";
    return ehr->Request("PUT", "/fhir/CareTeam/" + id, reg::CareTeamJson(id, patient, role, unit, "2025-02-01"), headers);
  }
  // Creates a subscription as `client` and returns its id.
  std::string Subscribe(testing::TlsClient& client, const std::string& json) {
    auto created = client.Request("POST", "/fhir/Subscription", json, kFhirJson);
    EXPECT_EQ(created.status, 201) << created.body;
    return At(Parse(created.body), "/id");
  }
  std::string Status(const std::string& id, testing::TlsClient* client = nullptr) {
    auto read = (client ? *client : *admin).Request("GET", "/fhir/Subscription/" + id);
    return At(Parse(read.body), "/status");
  }
  // events-since-subscription-start from $status.
  long long EventsSinceStart(const std::string& id) {
    auto status = admin->Request("GET", "/fhir/Subscription/" + id + "/$status");
    auto doc = Parse(status.body);
    const auto& params = doc["entry"][0]["resource"]["parameter"];
    for (const auto& p : params.GetArray()) {
      if (std::string(p["name"].GetString()) == "events-since-subscription-start") {
        return std::stoll(p["valueString"].GetString());
      }
    }
    return -1;
  }
};

std::unique_ptr<Site> StartSite(const std::string& prefix) {
  auto site = std::make_unique<Site>();
  site->server = std::make_unique<OwnServer>(prefix, Overrides());
  if (!site->server->Migrate() || !site->server->Start()) throw std::runtime_error("the subscription server did not start");
  site->Connect();
  site->Directory();
  return site;
}

bool Handshaken(const std::vector<Notification>& got) {
  return std::any_of(got.begin(), got.end(), [](const Notification& n) { return n.type == "handshake"; });
}

// Until the subscription's events 1..n have all arrived at `receiver` (n from $status at each look).
bool AllArrived(SubscriptionReceiver& receiver, const std::string& id, long long at_least) {
  return receiver.WaitFor([&](const std::vector<Notification>&) {
    std::set<long long> have;
    for (const auto& n : receiver.Numbers(id)) have.insert(n);
    return static_cast<long long>(have.size()) >= at_least;
  });
}

class SubscriptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { site_ = StartSite("subs").release(); }
  static void TearDownTestSuite() {
    delete site_;
    site_ = nullptr;
  }
  // Each test's receivers are gone after it: so are its subscriptions (a later receiver may get the port).
  void TearDown() override {
    auto all = Parse(site_->admin->Request("GET", "/fhir/Subscription?_count=1000").body);
    if (!all.HasMember("entry")) return;
    for (const auto& entry : all["entry"].GetArray()) {
      site_->admin->Request("DELETE", std::string("/fhir/Subscription/") + entry["resource"]["id"].GetString());
    }
  }
  static Site* site_;
};
Site* SubscriptionTest::site_ = nullptr;

TEST_F(SubscriptionTest, CreateChecksTheEndpointAndTheTopicAndTheHandshakeMakesItActive) {
  SubscriptionReceiver receiver;
  auto& ehr = *site_->ehr;
  auto refused = ehr.Request("POST", "/fhir/Subscription", SubscriptionJson("listing-change", "https://evil.example/hook"),
                             kFhirJson);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("endpoint-allowlist"), std::string::npos) << refused.body;
  auto plain = ehr.Request("POST", "/fhir/Subscription", SubscriptionJson("listing-change", "http://localhost:1/hook"),
                           kFhirJson);
  EXPECT_EQ(plain.status, 422) << plain.body;
  auto topic = ehr.Request("POST", "/fhir/Subscription", SubscriptionJson("no-such-topic", receiver.Endpoint()), kFhirJson);
  EXPECT_EQ(topic.status, 422) << topic.body;
  auto filter = ehr.Request("POST", "/fhir/Subscription",
                            SubscriptionJson("listing-change", receiver.Endpoint(), "EpisodeOfCare?status=active"),
                            kFhirJson);
  EXPECT_EQ(filter.status, 422) << filter.body;
  auto statistics = site_->server->Client("statistics");
  EXPECT_EQ(statistics->Request("POST", "/fhir/Subscription", SubscriptionJson("listing-change", receiver.Endpoint()),
                                kFhirJson).status,
            403);

  auto created = ehr.Request("POST", "/fhir/Subscription", SubscriptionJson("listing-change", receiver.Endpoint()),
                             kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  auto doc = Parse(created.body);
  const std::string id = At(doc, "/id");
  EXPECT_EQ(At(doc, "/status"), "requested");
  EXPECT_EQ(At(doc, "/meta/profile/0"), kBackport + "backport-subscription");
  ASSERT_TRUE(receiver.WaitFor(Handshaken)) << "no handshake";
  EXPECT_EQ(receiver.Received().front().subscription, id);
  // Called with the registry's own client certificate (checked by the receiver: chain, dates, clientAuth).
  EXPECT_NE(receiver.Received().front().caller.find("SE2321000016-N001"), std::string::npos)
      << receiver.Received().front().caller;
  ASSERT_TRUE(receiver.WaitFor([&](const auto&) { return site_->Status(id, &ehr) == "active"; }));
  auto status = ehr.Request("GET", "/fhir/Subscription/" + id + "/$status");
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(At(Parse(status.body), "/entry/0/resource/resourceType"), "Parameters");
  // Another caller does not see it; its owner finds it by search and deletes it.
  EXPECT_EQ(site_->municipality->Request("GET", "/fhir/Subscription/" + id).status, 404);
  auto search = ehr.Request("GET", "/fhir/Subscription?status=active");
  EXPECT_NE(search.body.find(id), std::string::npos);
  EXPECT_EQ(ehr.Request("DELETE", "/fhir/Subscription/" + id).status, 204);
  EXPECT_EQ(ehr.Request("GET", "/fhir/Subscription/" + id).status, 404);
}

TEST_F(SubscriptionTest, ManyChangesArriveNumberedWithoutGapAndAChangeOfListingReachesBothUnits) {
  SubscriptionReceiver all, at_a, at_b, at_region;
  const std::string s_all = site_->Subscribe(*site_->ehr, SubscriptionJson("listing-change", all.Endpoint()));
  const std::string s_a = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", at_a.Endpoint(), "EpisodeOfCare?managing-organization=Organization/vc-a"));
  const std::string s_b = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", at_b.Endpoint(), "managing-organization=Organization/vc-b", "full-resource"));
  const std::string s_region = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", at_region.Endpoint(), "managing-organization=Organization/region"));
  constexpr int kPatients = 24, kMoved = 8;
  for (int i = 0; i < kPatients; ++i) site_->Listed("many-" + std::to_string(i), "vc-a", "2025-01-01");
  for (int i = 0; i < kMoved; ++i) {
    auto moved = site_->List("many-" + std::to_string(i), "vc-b", "2025-06-01");
    ASSERT_EQ(moved.status, 201) << moved.body;
  }
  // A change of listing is two versions: the old episode finished (at A) and the new one (at B).
  const long long a = kPatients + kMoved, b = kMoved, region = kPatients + 2 * kMoved;
  ASSERT_TRUE(AllArrived(all, s_all, region));
  ASSERT_TRUE(AllArrived(at_a, s_a, a));
  ASSERT_TRUE(AllArrived(at_b, s_b, b));
  ASSERT_TRUE(AllArrived(at_region, s_region, region));
  for (const auto& [receiver, id, n] : {std::tuple<SubscriptionReceiver*, std::string, long long>{&all, s_all, region},
                                        {&at_a, s_a, a}, {&at_b, s_b, b}, {&at_region, s_region, region}}) {
    const auto numbers = receiver->Numbers(id);
    EXPECT_EQ(GaplessProblem(numbers, n), "") << id;
    EXPECT_TRUE(std::is_sorted(numbers.begin(), numbers.end())) << "events arrive in number order";
    EXPECT_EQ(numbers.size(), static_cast<size_t>(n)) << "one node, no crash: each event once";
    EXPECT_EQ(site_->EventsSinceStart(id), n);
  }
  // A heard of the moved patients' old episodes being finished, B of their new ones (in full).
  std::set<std::string> focus_a, resources_b;
  for (const auto& n : at_a.Received()) focus_a.insert(n.focus.begin(), n.focus.end());
  for (const auto& n : at_b.Received()) {
    resources_b.insert(n.resources.begin(), n.resources.end());
    if (n.type == "event-notification") {
      EXPECT_NE(n.body.find("\"resource\":{\"resourceType\":\"EpisodeOfCare\""), std::string::npos);
    }
  }
  for (int i = 0; i < kMoved; ++i) {
    const std::string p = "many-" + std::to_string(i);
    EXPECT_TRUE(focus_a.count("EpisodeOfCare/ep-" + p + "-vc-a/_history/2")) << p;
    EXPECT_TRUE(std::any_of(resources_b.begin(), resources_b.end(), [&](const std::string& url) {
      return url.find("EpisodeOfCare/ep-" + p + "-vc-b") != std::string::npos;
    }))
        << p;
  }
}

TEST_F(SubscriptionTest, AReceiverThatNeverAnswersDoesNotHoldUpAnother) {
  SubscriptionReceiver stuck(Mode::hang), fast;
  const std::string s_stuck = site_->Subscribe(*site_->ehr, SubscriptionJson("listing-change", stuck.Endpoint(),
                                                                             "managing-organization=Organization/vc-b",
                                                                             "id-only", 60));
  const std::string s_fast = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", fast.Endpoint(), "managing-organization=Organization/vc-b"));
  ASSERT_TRUE(stuck.WaitHeld()) << "the stuck receiver's handshake never came";
  for (int i = 0; i < 6; ++i) site_->Listed("stuck-" + std::to_string(i), "vc-b");
  ASSERT_TRUE(AllArrived(fast, s_fast, 6));
  // All of it arrived while the other endpoint still held its first call unanswered.
  EXPECT_EQ(stuck.held(), 1);
  EXPECT_EQ(GaplessProblem(fast.Numbers(s_fast), 6), "");
  stuck.Release();
  stuck.SetMode(Mode::ok);
  ASSERT_TRUE(AllArrived(stuck, s_stuck, 6))
      << "once it answers, it gets everything; received " << stuck.Numbers(s_stuck).size() << "; server log tail:\n"
      << [&] {
           const std::string log = site_->server->process().log();
           return log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
         }();
  EXPECT_EQ(GaplessProblem(stuck.Numbers(s_stuck), 6), "");
}

TEST_F(SubscriptionTest, AReceiverDownForAWhileCatchesUpAndAfterTheRetriesEventsAndPutBringItBack) {
  SubscriptionReceiver receiver;
  const std::string id = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", receiver.Endpoint(), "managing-organization=Organization/vc-a"));
  ASSERT_TRUE(receiver.WaitFor([&](const auto&) { return site_->Status(id) == "active"; }));
  receiver.SetMode(Mode::down);
  const int before = receiver.attempts();
  for (int i = 0; i < 4; ++i) site_->Listed("down-" + std::to_string(i), "vc-a");
  ASSERT_TRUE(receiver.WaitFor([&](const auto&) { return receiver.attempts() >= before + 2; }));
  receiver.SetMode(Mode::ok);  // back before the fourth attempt
  ASSERT_TRUE(AllArrived(receiver, id, 4));
  EXPECT_EQ(GaplessProblem(receiver.Numbers(id), 4), "");
  EXPECT_EQ(site_->Status(id), "active");

  // Down for good: after four failures in a row the subscription turns `error`.
  receiver.SetMode(Mode::down);
  for (int i = 4; i < 7; ++i) site_->Listed("down-" + std::to_string(i), "vc-a");
  ASSERT_TRUE(receiver.WaitFor([&](const auto&) { return site_->Status(id) == "error"; }));
  auto read = Parse(site_->admin->Request("GET", "/fhir/Subscription/" + id).body);
  EXPECT_NE(At(read, "/error").find("503"), std::string::npos);
  // $events gives what was missed: events 5..7 (after the last acknowledged one).
  auto events = site_->ehr->Request("GET", "/fhir/Subscription/" + id + "/$events");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_EQ(At(Parse(events.body), "/type"), "history");
  const std::string missed = events.body;
  for (const char* number : {"\"5\"", "\"6\"", "\"7\""}) EXPECT_NE(missed.find(number), std::string::npos) << number;
  auto ranged = site_->ehr->Request("GET", "/fhir/Subscription/" + id + "/$events?eventsSinceNumber=2&eventsUntilNumber=3&content=full-resource");
  EXPECT_EQ(ranged.status, 200) << ranged.body;
  EXPECT_NE(ranged.body.find("\"resourceType\":\"EpisodeOfCare\""), std::string::npos);
  // A query value that is not one of the operation's is a malformed request, 400 like a bad number.
  auto bad_number = site_->ehr->Request("GET", "/fhir/Subscription/" + id + "/$events?eventsSinceNumber=two");
  EXPECT_EQ(bad_number.status, 400) << bad_number.body;
  auto bad_content = site_->ehr->Request("GET", "/fhir/Subscription/" + id + "/$events?content=everything");
  EXPECT_EQ(bad_content.status, 400) << bad_content.body;
  EXPECT_EQ(IssueCode(bad_content.body), "value");
  // The endpoint is fixed; a PUT asks for a new handshake and delivery goes on from event 5.
  receiver.SetMode(Mode::ok);
  auto put = site_->ehr->Request("PUT", "/fhir/Subscription/" + id,
                                 SubscriptionJson("listing-change", receiver.Endpoint(), "managing-organization=Organization/vc-a"),
                                 kFhirJson);
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_TRUE(AllArrived(receiver, id, 7));
  EXPECT_EQ(GaplessProblem(receiver.Numbers(id), 7), "");
  EXPECT_EQ(site_->Status(id), "active");
}

TEST_F(SubscriptionTest, AMunicipalityHearsOnlyOfItsResidentsTheirDeathAndAMoveOut) {
  SubscriptionReceiver deaths, moves;
  const std::string s_death = site_->Subscribe(*site_->municipality, SubscriptionJson("patient-death", deaths.Endpoint()));
  const std::string s_move = site_->Subscribe(
      *site_->municipality,
      SubscriptionJson("residence-change", moves.Endpoint(), "Patient?managing-organization=Organization/kommun"));
  const std::string pnr_elsewhere = reg::NextPersonnummer(), pnr_resident = reg::NextPersonnummer(),
                    pnr_mover = reg::NextPersonnummer();
  reg::World::Put(*site_->admin, "Patient", "elsewhere", PatientInKommun("elsewhere", "1280", "", pnr_elsewhere));
  reg::World::Put(*site_->admin, "Patient", "resident", PatientInKommun("resident", "0180", "", pnr_resident));
  reg::World::Put(*site_->admin, "Patient", "mover", PatientInKommun("mover", "0180", "", pnr_mover));
  ASSERT_TRUE(deaths.WaitFor(Handshaken));
  ASSERT_TRUE(moves.WaitFor(Handshaken));
  // Written first, so it would be event 1 if the kommun heard of it.
  reg::World::Put(*site_->admin, "Patient", "elsewhere", PatientInKommun("elsewhere", "1280", "2025-09-01", pnr_elsewhere));
  reg::World::Put(*site_->admin, "Patient", "resident", PatientInKommun("resident", "0180", "2025-09-02", pnr_resident));
  reg::World::Put(*site_->admin, "Patient", "mover", PatientInKommun("mover", "1280", "", pnr_mover));

  ASSERT_TRUE(AllArrived(deaths, s_death, 1));
  ASSERT_TRUE(AllArrived(moves, s_move, 1));
  std::vector<std::string> death_focus, move_focus;
  for (const auto& n : deaths.Received()) death_focus.insert(death_focus.end(), n.focus.begin(), n.focus.end());
  for (const auto& n : moves.Received()) move_focus.insert(move_focus.end(), n.focus.begin(), n.focus.end());
  ASSERT_EQ(death_focus.size(), 1u);
  EXPECT_EQ(death_focus[0].rfind("Patient/resident/", 0), 0u) << death_focus[0];
  ASSERT_EQ(move_focus.size(), 1u);
  EXPECT_EQ(move_focus[0].rfind("Patient/mover/", 0), 0u) << move_focus[0];
  EXPECT_EQ(site_->EventsSinceStart(s_death), 1) << "the death outside the kommun is no event for it";
  // The notification is a disclosure of patient data: in the PDL log under the subscriber's HSA-id.
  pqxx::connection conn(site_->server->database_url());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM audit_event WHERE request_id = $1 AND patient_ids @> ARRAY['resident'] "
                            "AND agent_role = 'municipality' AND action = 'read'",
                            "subscription-" + s_death)[0]
                .as<int>(),
            1);
}

// Home health care has a topic of its own beside saebo-change: the region whose vårdcentral lists the
// person hears when the kommun registers it (filtered on the kommun), and a SÄBO subscriber does not.
TEST_F(SubscriptionTest, HomeCareRegisteredByTheKommunReachesTheRegionOnItsOwnTopic) {
  SubscriptionReceiver home, saebo;
  const std::string s_home =
      site_->Subscribe(*site_->ehr, SubscriptionJson("hemsjukvard-change", home.Endpoint(),
                                                     "EpisodeOfCare?managing-organization=Organization/kommun"));
  const std::string s_saebo =
      site_->Subscribe(*site_->municipality, SubscriptionJson("saebo-change", saebo.Endpoint()));
  ASSERT_TRUE(home.WaitFor(Handshaken));
  ASSERT_TRUE(saebo.WaitFor(Handshaken));
  site_->Listed("home-1", "vc-a");
  auto registered = site_->municipality->Request(
      "PUT", "/fhir/EpisodeOfCare/hsv-home-1",
      reg::EpisodeJson("hsv-home-1", "home-1", "hsv", "2025-03-01", "hemsjukvard"), kFhirJson);
  ASSERT_EQ(registered.status, 201) << registered.body;

  ASSERT_TRUE(AllArrived(home, s_home, 1));
  std::vector<std::string> focus;
  for (const auto& n : home.Received()) focus.insert(focus.end(), n.focus.begin(), n.focus.end());
  EXPECT_EQ(focus, std::vector<std::string>{"EpisodeOfCare/hsv-home-1/_history/1"});
  EXPECT_EQ(site_->EventsSinceStart(s_home), 1) << "the listing at vc-a is no home-care event";
  EXPECT_EQ(site_->EventsSinceStart(s_saebo), 0);
}

// Protected identity (docs/api.md section 8): the kommun is shown a protected resident redacted, so it
// is not told of their death either (the notice would say where the person lives); admin is.
TEST_F(SubscriptionTest, AProtectedPersonsDeathReachesOnlyThoseWhoSeeEverything) {
  SubscriptionReceiver kommun, admin;
  const std::string s_kommun = site_->Subscribe(*site_->municipality, SubscriptionJson("patient-death", kommun.Endpoint()));
  const std::string s_admin = site_->Subscribe(*site_->admin, SubscriptionJson("patient-death", admin.Endpoint()));
  const auto protect = Protected;
  const std::string pnr_hidden = reg::NextPersonnummer(), pnr_open = reg::NextPersonnummer();
  reg::World::Put(*site_->admin, "Patient", "hidden", protect(PatientInKommun("hidden", "0180", "", pnr_hidden)));
  reg::World::Put(*site_->admin, "Patient", "open", PatientInKommun("open", "0180", "", pnr_open));
  ASSERT_TRUE(kommun.WaitFor(Handshaken));
  ASSERT_TRUE(admin.WaitFor(Handshaken));
  // The protected death first, so it would be the kommun's event 1.
  reg::World::Put(*site_->admin, "Patient", "hidden", protect(PatientInKommun("hidden", "0180", "2025-09-01", pnr_hidden)));
  reg::World::Put(*site_->admin, "Patient", "open", PatientInKommun("open", "0180", "2025-09-02", pnr_open));
  ASSERT_TRUE(AllArrived(admin, s_admin, 2));
  ASSERT_TRUE(AllArrived(kommun, s_kommun, 1));
  std::vector<std::string> kommun_focus;
  for (const auto& n : kommun.Received()) kommun_focus.insert(kommun_focus.end(), n.focus.begin(), n.focus.end());
  ASSERT_EQ(kommun_focus.size(), 1u);
  EXPECT_EQ(kommun_focus[0].rfind("Patient/open/", 0), 0u) << kommun_focus[0];
  EXPECT_EQ(site_->EventsSinceStart(s_kommun), 1) << "the protected person's death is no event for the kommun";
  EXPECT_EQ(site_->EventsSinceStart(s_admin), 2);
}

// The waiting list (docs/api.md section 9) in change notifications: a queue entry's creation, its
// withdrawal and its promotion (completed, in the transaction that frees the place) are
// `waitlist-change` events at the doctor's unit, the region above it and the patient's kommun; the
// CareTeam the promotion creates is a `fixed-contact-change` event. A protected person's place in line
// reaches only those who see them in full.
TEST_F(SubscriptionTest, AQueueEntryCreatedWithdrawnAndPromotedReachesTheUnitTheRegionAndTheKommun) {
  site_->Doctor("wl-doc", "vc-a", 1);
  site_->Listed("wl-0", "vc-a");
  site_->Listed("wl-1", "vc-a");
  const std::string pnr_hidden = reg::NextPersonnummer();
  reg::World::Put(*site_->admin, "Patient", "wl-hidden", Protected(PatientInKommun("wl-hidden", "0180", "", pnr_hidden)));
  ASSERT_EQ(site_->List("wl-hidden", "vc-a", "2025-01-01").status, 201);
  ASSERT_EQ(site_->Contact("ct-wl-0", "wl-0", "wl-doc", "vc-a").status, 201) << "the one place";

  SubscriptionReceiver unit, region, kommun, everything, other, contacts;
  const std::string s_unit = site_->Subscribe(
      *site_->ehr, SubscriptionJson("waitlist-change", unit.Endpoint(), "Task?managing-organization=Organization/vc-a"));
  const std::string s_region = site_->Subscribe(
      *site_->ehr, SubscriptionJson("waitlist-change", region.Endpoint(),
                                    "managing-organization=Organization/region&patient=Patient/wl-1"));
  const std::string s_kommun = site_->Subscribe(
      *site_->municipality, SubscriptionJson("waitlist-change", kommun.Endpoint(), "managing-organization=Organization/kommun"));
  const std::string s_everything = site_->Subscribe(
      *site_->admin, SubscriptionJson("waitlist-change", everything.Endpoint(), "managing-organization=Organization/vc-a",
                                      "full-resource"));
  const std::string s_other = site_->Subscribe(
      *site_->ehr, SubscriptionJson("waitlist-change", other.Endpoint(), "managing-organization=Organization/vc-b"));
  const std::string s_contacts = site_->Subscribe(
      *site_->ehr, SubscriptionJson("fixed-contact-change", contacts.Endpoint(), "managing-organization=Organization/vc-a"));
  for (auto* receiver : {&unit, &region, &kommun, &everything, &other, &contacts}) ASSERT_TRUE(receiver->WaitFor(Handshaken));

  // The list is full: wl-1 queues, then the protected person, who is withdrawn by the unit.
  auto queued = site_->Contact("ct-wl-1", "wl-1", "wl-doc", "vc-a", true);
  ASSERT_EQ(queued.status, 201) << queued.body;
  const std::string task = At(Parse(queued.body), "/id");
  auto hidden = site_->Contact("ct-wl-hidden", "wl-hidden", "wl-doc", "vc-a", true);
  ASSERT_EQ(hidden.status, 201) << hidden.body;
  const std::string hidden_task = At(Parse(hidden.body), "/id");
  std::string withdrawal = site_->admin->Request("GET", "/fhir/Task/" + hidden_task).body;
  const std::string requested = R"("status":"requested")";
  ASSERT_NE(withdrawal.find(requested), std::string::npos) << withdrawal;
  withdrawal.replace(withdrawal.find(requested), requested.size(), R"("status":"cancelled")");
  ASSERT_EQ(site_->ehr->Request("PUT", "/fhir/Task/" + hidden_task, withdrawal, kFhirJson).status, 200);
  // A place frees: wl-1 is promoted in the same transaction.
  auto ended = site_->ehr->Request(
      "PUT", "/fhir/CareTeam/ct-wl-0",
      reg::CareTeamJson("ct-wl-0", "wl-0", "wl-doc", "vc-a", "2025-02-01", "2", "inactive", "2025-06-01"), kFhirJson);
  ASSERT_EQ(ended.status, 200) << ended.body;

  const std::vector<std::string> created_and_completed = {"Task/" + task + "/_history/1", "Task/" + task + "/_history/2"};
  for (const auto& [receiver, id] : {std::pair<SubscriptionReceiver*, std::string>{&region, s_region}, {&kommun, s_kommun}}) {
    ASSERT_TRUE(AllArrived(*receiver, id, 2)) << id;
    std::vector<std::string> focus;
    for (const auto& n : receiver->Received()) focus.insert(focus.end(), n.focus.begin(), n.focus.end());
    EXPECT_EQ(focus, created_and_completed) << id << ": the kommun is not told of the protected person's place in line";
    EXPECT_EQ(GaplessProblem(receiver->Numbers(id), 2), "") << id;
    EXPECT_EQ(site_->EventsSinceStart(id), 2) << id;
  }
  // Admin, and the ehr of the region whose unit lists the protected person, see everything: the four
  // versions in commit order (admin's in full).
  const std::vector<std::string> all_four = {"Task/" + task + "/_history/1", "Task/" + hidden_task + "/_history/1",
                                             "Task/" + hidden_task + "/_history/2", "Task/" + task + "/_history/2"};
  for (const auto& [receiver, id] : {std::pair<SubscriptionReceiver*, std::string>{&everything, s_everything}, {&unit, s_unit}}) {
    ASSERT_TRUE(AllArrived(*receiver, id, 4)) << id;
    std::vector<std::string> focus;
    for (const auto& n : receiver->Received()) focus.insert(focus.end(), n.focus.begin(), n.focus.end());
    EXPECT_EQ(focus, all_four) << id;
    EXPECT_EQ(GaplessProblem(receiver->Numbers(id), 4), "") << id;
  }
  std::string bodies;
  for (const auto& n : everything.Received()) bodies += n.body;
  EXPECT_NE(bodies.find(R"("status":"cancelled")"), std::string::npos);
  EXPECT_NE(bodies.find(R"("status":"completed")"), std::string::npos);
  // The promotion's CareTeam: the old contact ended and the new one created, events 1 and 2.
  ASSERT_TRUE(AllArrived(contacts, s_contacts, 2));
  std::vector<std::string> teams;
  for (const auto& n : contacts.Received()) teams.insert(teams.end(), n.focus.begin(), n.focus.end());
  ASSERT_EQ(teams.size(), 2u);
  EXPECT_EQ(teams[0], "CareTeam/ct-wl-0/_history/2");
  const std::string promoted = At(Parse(site_->admin->Request("GET", "/fhir/Task/" + task).body), "/output/0/valueReference/reference");
  EXPECT_EQ(teams[1], promoted + "/_history/1");
  EXPECT_EQ(GaplessProblem(contacts.Numbers(s_contacts), 2), "");
  // Dispatched with the others (they arrived, so every earlier outbox row is numbered): nothing at B.
  EXPECT_EQ(site_->EventsSinceStart(s_other), 0);
}

// /metrics after deliveries (docs/api.md section 7 and 10): calls by type and outcome, the latency of
// each acknowledged event, subscriptions and their pending events by status, the outbox backlog.
TEST_F(SubscriptionTest, MetricsShowDeliveriesLatencyPendingEventsAndSubscriptionsByStatus) {
  const int ops = site_->server->ops_port();
  const std::string before = Scrape(ops);
  const std::string ok_events = R"(nara_subscription_deliveries_total{type="event-notification",outcome="ok"})";
  const std::string failed_handshakes = R"(nara_subscription_deliveries_total{type="handshake",outcome="failed"})";
  const std::string latency = "nara_subscription_delivery_latency_seconds_count";

  SubscriptionReceiver up, down(Mode::down);
  const std::string s_up = site_->Subscribe(
      *site_->ehr, SubscriptionJson("listing-change", up.Endpoint(), "managing-organization=Organization/vc-a"));
  const std::string s_down = site_->Subscribe(*site_->ehr, SubscriptionJson("listing-change", down.Endpoint()));
  ASSERT_TRUE(up.WaitFor(Handshaken));
  // Four failed handshakes in a row (NARA_SUBSCRIPTION_MAX_ATTEMPTS): `error`.
  ASSERT_TRUE(down.WaitFor([&](const auto&) { return site_->Status(s_down) == "error"; }));
  for (int i = 0; i < 3; ++i) site_->Listed("metrics-" + std::to_string(i), "vc-a");
  ASSERT_TRUE(AllArrived(up, s_up, 3));
  // The endpoint's 2xx is recorded just after the receiver has the events: wait for that, no longer.
  std::string after;
  ASSERT_TRUE(up.WaitFor([&](const auto&) {
    after = Scrape(ops);
    return Sample(after, R"(nara_subscription_events_pending{status="active"})") == 0 &&
           Sample(after, "nara_subscription_outbox_backlog") == 0;
  })) << after;
  EXPECT_GE(Sample(after, ok_events), Sample(before, ok_events) + 1) << after;
  EXPECT_EQ(Sample(after, failed_handshakes), Sample(before, failed_handshakes) + 4) << after;
  EXPECT_EQ(Sample(after, latency), Sample(before, latency) + 3) << "one latency per event acknowledged";
  EXPECT_GT(Sample(after, R"(nara_subscription_delivery_latency_seconds_bucket{le="+Inf"})"), 0) << after;
  // This test's two subscriptions (the fixture removes each test's): one active, one in error with
  // the three events it could not take.
  EXPECT_EQ(Sample(after, R"(nara_subscriptions{status="active"})"), 1) << after;
  EXPECT_EQ(Sample(after, R"(nara_subscriptions{status="error"})"), 1) << after;
  EXPECT_EQ(Sample(after, R"(nara_subscription_events_pending{status="error"})"), 3) << after;
  EXPECT_EQ(Sample(after, R"(nara_subscriptions{status="requested"})"), 0) << after;
}

// Numbering and delivery are separate steps of the worker: while numbering is held up (here a
// maintenance lock on resource_version, so each attempt to number the outbox gives up after its 1 s
// lock timeout), handshakes, heartbeats and retries, which need no numbering, still go out.
TEST_F(SubscriptionTest, DeliveriesGoOnWhileNumberingIsHeldUp) {
  SubscriptionReceiver receiver;
  pqxx::connection locker(site_->server->database_url());
  pqxx::work maintenance(locker);
  maintenance.exec("LOCK TABLE resource_version IN ACCESS EXCLUSIVE MODE");
  {
    // An outbox row for the dispatcher to try (committed on a connection of its own).
    pqxx::connection writer(site_->server->database_url());
    pqxx::work tx(writer);
    tx.exec("INSERT INTO subscription_outbox (res_type, res_id, version) VALUES ('Organization', 'vc-a', 1)");
    tx.commit();
  }
  const std::string id = site_->Subscribe(*site_->ehr, SubscriptionJson("saebo-change", receiver.Endpoint()));
  EXPECT_TRUE(receiver.WaitFor(Handshaken, std::chrono::seconds(20))) << "no handshake while numbering is held up";
  maintenance.abort();
  // Then numbering goes on: the row leaves the outbox (an Organization is no event).
  pqxx::connection reader(site_->server->database_url());
  EXPECT_TRUE(receiver.WaitFor([&](const auto&) {
    pqxx::read_transaction tx(reader);
    return tx.exec1("SELECT count(*) FROM subscription_outbox")[0].as<long>() == 0;
  }));
  EXPECT_EQ(site_->EventsSinceStart(id), 0);
}

TEST_F(SubscriptionTest, AQuietSubscriptionGetsHeartbeats) {
  SubscriptionReceiver receiver;
  std::string json = SubscriptionJson("saebo-change", receiver.Endpoint());
  json.insert(json.rfind("]}}"), R"(,{"url":")" + kBackport + R"(backport-heartbeat-period","valueUnsignedInt":1})");
  const std::string id = site_->Subscribe(*site_->municipality, json);
  ASSERT_TRUE(receiver.WaitFor([](const std::vector<Notification>& got) {
    return std::count_if(got.begin(), got.end(), [](const Notification& n) { return n.type == "heartbeat"; }) >= 2;
  }));
  for (const auto& n : receiver.Received()) {
    EXPECT_EQ(n.subscription, id);
    EXPECT_TRUE(n.numbers.empty()) << "no events in a heartbeat";
  }
}

// Events numbered by the database are what a count of the committed changes says.
long long CommittedEpisodeVersions(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  return tx.exec1("SELECT count(*) FROM resource_version WHERE res_type = 'EpisodeOfCare'")[0].as<long long>();
}

TEST(SubscriptionCrashTest, KillNineMidStreamLosesNoEvent) {
  auto site = StartSite("subs-kill");
  SubscriptionReceiver receiver;
  const std::string id = site->Subscribe(*site->ehr, SubscriptionJson("listing-change", receiver.Endpoint()));
  ASSERT_TRUE(receiver.WaitFor(Handshaken));
  std::atomic<bool> writing{true};
  std::atomic<int> acknowledged{0};
  std::vector<std::string> acked_patients;
  std::thread writer([&] {
    auto admin = site->server->Client("admin");
    auto ehr = site->server->Client("ehr");
    for (int i = 0; writing && i < 400; ++i) {
      const std::string p = "kill-" + std::to_string(i);
      if (admin->Request("PUT", "/fhir/Patient/" + p, PatientInKommun(p, "0180"), kFhirJson).status / 100 != 2) break;
      const std::string ep = "ep-" + p + "-vc-a";
      if (ehr->Request("PUT", "/fhir/EpisodeOfCare/" + ep, reg::EpisodeJson(ep, p, "vc-a", "2025-01-01"), kFhirJson)
              .status == 201) {
        acked_patients.push_back(p);
        ++acknowledged;
      } else {
        break;
      }
    }
  });
  // Mid-stream: changes being written and notifications being delivered.
  ASSERT_TRUE(receiver.WaitFor([&](const auto&) { return receiver.Numbers(id).size() >= 5; }));
  site->server->process().Terminate(SIGKILL);
  writing = false;
  writer.join();
  ASSERT_TRUE(site->server->Start()) << "restart on the same database";
  site->Connect();
  for (int i = 0; i < 3; ++i) site->Listed("after-" + std::to_string(i), "vc-a");

  const long long committed = CommittedEpisodeVersions(site->server->database_url());
  ASSERT_TRUE(AllArrived(receiver, id, committed)) << "events lost: " << GaplessProblem(receiver.Numbers(id), committed);
  EXPECT_EQ(site->EventsSinceStart(id), committed) << "one event per committed change";
  EXPECT_EQ(GaplessProblem(receiver.Numbers(id), committed), "");
  std::set<std::string> focus;
  for (const auto& n : receiver.Received()) {
    for (const auto& f : n.focus) focus.insert(f.substr(0, f.find("/_history")));
  }
  for (const auto& p : acked_patients) EXPECT_TRUE(focus.count("EpisodeOfCare/ep-" + p + "-vc-a")) << p;
  std::cout << "[ info ] kill -9 after " << acknowledged << " acknowledged listings; " << committed
            << " committed changes, " << receiver.Numbers(id).size() << " events received ("
            << receiver.Numbers(id).size() - static_cast<size_t>(committed) << " sent again after the crash)\n";
}

TEST(SubscriptionTwoNodesTest, TwoNodesOnOneDatabaseDeliverEachEventOncePerSubscription) {
  auto site = StartSite("subs-two");
  // A second node on the same database, on ports of its own.
  auto env = site->server->Env();
  const int port = testing::FreePort(), ops = testing::FreePort();
  env["NARA_PORT"] = std::to_string(port);
  env["NARA_OPS_PORT"] = std::to_string(ops);
  testing::ServerProcess second({"serve"}, env);
  ASSERT_TRUE(second.WaitHealthy(ops)) << second.log();
  const auto& shared = Server::Shared();
  testing::TlsClient ehr2("localhost", port, shared.Pki("ca-bundle.pem"),
                          {shared.Pki("clients/ehr.pem"), shared.Pki("clients/ehr.key")});
  testing::TlsClient admin2("localhost", port, shared.Pki("ca-bundle.pem"),
                            {shared.Pki("clients/admin.pem"), shared.Pki("clients/admin.key")});

  SubscriptionReceiver one, two;
  const std::string s1 = site->Subscribe(*site->ehr, SubscriptionJson("listing-change", one.Endpoint()));
  const std::string s2 = site->Subscribe(ehr2, SubscriptionJson("listing-change", two.Endpoint()));
  constexpr int kChanges = 20;
  for (int i = 0; i < kChanges; ++i) {
    const std::string p = "two-" + std::to_string(i);
    auto& admin = i % 2 ? admin2 : *site->admin;
    auto& ehr = i % 2 ? ehr2 : *site->ehr;
    reg::World::Put(admin, "Patient", p, PatientInKommun(p, "0180"));
    const std::string ep = "ep-" + p;
    ASSERT_EQ(ehr.Request("PUT", "/fhir/EpisodeOfCare/" + ep, reg::EpisodeJson(ep, p, "vc-a", "2025-01-01"), kFhirJson)
                  .status,
              201);
  }
  ASSERT_TRUE(AllArrived(one, s1, kChanges));
  ASSERT_TRUE(AllArrived(two, s2, kChanges));
  for (const auto& [receiver, id] : {std::pair<SubscriptionReceiver*, std::string>{&one, s1}, {&two, s2}}) {
    const auto numbers = receiver->Numbers(id);
    EXPECT_EQ(GaplessProblem(numbers, kChanges), "");
    EXPECT_EQ(numbers.size(), static_cast<size_t>(kChanges)) << "two nodes, no crash: each event exactly once";
    const auto received = receiver->Received();
    EXPECT_EQ(std::count_if(received.begin(), received.end(), [](const Notification& n) { return n.type == "handshake"; }),
              1);
  }
}

// Under concurrent writers every event still arrives, numbered without gap; prints the figures for
// bench/RESULTS.md: changes committed per second, events delivered per second, delivery latency from
// the write's 201 to the notification's arrival (p50, p99). NARA_SUBSCRIPTION_BENCH_CHANGES sets the
// size (default 240, a few seconds).
TEST(SubscriptionLoadTest, ConcurrentWritersEveryEventArrivesAndTheFiguresArePrinted) {
  const char* size = std::getenv("NARA_SUBSCRIPTION_BENCH_CHANGES");
  const int changes = size && *size ? std::atoi(size) : 240;
  constexpr int kWriters = 8;
  auto site = StartSite("subs-load");
  SubscriptionReceiver receiver;
  const std::string id = site->Subscribe(*site->ehr, SubscriptionJson("listing-change", receiver.Endpoint()));
  ASSERT_TRUE(receiver.WaitFor(Handshaken));
  for (int i = 0; i < changes; ++i) {
    const std::string p = "load-" + std::to_string(i);
    reg::World::Put(*site->admin, "Patient", p, PatientInKommun(p, "0180"));
  }
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> acked(changes);
  const auto start = Clock::now();
  nara::testing::RunConcurrently(kWriters, [&](int writer) {
    auto ehr = site->server->Client("ehr");
    for (int i = writer; i < changes; i += kWriters) {
      const std::string p = "load-" + std::to_string(i), ep = "ep-" + p;
      auto written = ehr->Request("PUT", "/fhir/EpisodeOfCare/" + ep, reg::EpisodeJson(ep, p, "vc-a", "2025-01-01"),
                                  kFhirJson);
      ASSERT_EQ(written.status, 201) << written.body;
      acked[i] = Clock::now();
    }
  });
  const auto written = Clock::now();
  ASSERT_TRUE(AllArrived(receiver, id, changes));
  const auto numbers = receiver.Numbers(id);
  EXPECT_EQ(GaplessProblem(numbers, changes), "");
  EXPECT_EQ(numbers.size(), static_cast<size_t>(changes));

  std::vector<double> latency_ms;
  Clock::time_point last_arrival = start;
  for (const auto& n : receiver.Received()) {
    if (n.type != "event-notification") continue;
    last_arrival = std::max(last_arrival, n.arrived);
    for (const auto& focus : n.focus) {
      const auto at = focus.find("ep-load-");
      if (at == std::string::npos) continue;
      const int i = std::stoi(focus.substr(at + 8));
      latency_ms.push_back(std::chrono::duration<double, std::milli>(n.arrived - acked[i]).count());
    }
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  ASSERT_EQ(latency_ms.size(), static_cast<size_t>(changes));
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  const auto received = receiver.Received();
  const auto bundles = std::count_if(received.begin(), received.end(),
                                     [](const Notification& n) { return n.type == "event-notification"; });
  std::cout << "[ bench ] " << changes << " changes by " << kWriters << " writers: "
            << static_cast<long>(changes / seconds(written - start)) << " changes/s committed, "
            << static_cast<long>(changes / seconds(last_arrival - start)) << " events/s delivered in " << bundles
            << " notifications; latency 201 → arrival p50 " << static_cast<long>(latency_ms[latency_ms.size() / 2])
            << " ms, p99 " << static_cast<long>(latency_ms[latency_ms.size() * 99 / 100]) << " ms\n";
}

}  // namespace
}  // namespace nara::e2e
