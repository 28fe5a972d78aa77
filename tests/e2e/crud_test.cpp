// A client's view of versioned CRUD over mTLS: create, read, update with If-Match, history, vread,
// delete as a tombstone, and race-free conditional create (docs/api.md section 1).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/fhir+json"}};

std::string IdFromLocation(const std::string& location) {
  // https://host/fhir/Patient/<id>/_history/1
  const auto history = location.find("/_history/");
  const auto start = location.rfind('/', history - 1);
  return location.substr(start + 1, history - start - 1);
}

TEST(Crud, CreateReadUpdateHistoryDeleteCycle) {
  auto client = Server::Shared().Client("ehr");
  auto created = client->Request("POST", "/fhir/Patient", PatientJson("197106254787", "Cykelsson"), kJson);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers["etag"], "W/\"1\"");
  const std::string id = IdFromLocation(created.headers["location"]);
  ASSERT_FALSE(id.empty());
  EXPECT_NE(created.headers["location"].find("/fhir/Patient/" + id + "/_history/1"), std::string::npos);
  auto created_doc = Parse(created.body);
  EXPECT_EQ(At(created_doc, "/meta/versionId"), "1");
  EXPECT_FALSE(At(created_doc, "/meta/lastUpdated").empty());

  auto read = client->Request("GET", "/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.headers["etag"], "W/\"1\"");
  EXPECT_FALSE(read.headers["last-modified"].empty());
  EXPECT_EQ(At(Parse(read.body), "/name/0/family"), "Cykelsson");

  auto headers = kJson;
  headers["If-Match"] = "W/\"1\"";
  auto updated = client->Request("PUT", "/fhir/Patient/" + id, PatientJson("197106254787", "Nysson", id), headers);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.headers["etag"], "W/\"2\"");
  EXPECT_EQ(At(Parse(updated.body), "/meta/versionId"), "2");

  // The same If-Match again is stale now: optimistic locking refuses it.
  auto stale = client->Request("PUT", "/fhir/Patient/" + id, PatientJson("197106254787", "Gammal", id), headers);
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(IssueCode(stale.body), "conflict");

  auto v1 = client->Request("GET", "/fhir/Patient/" + id + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(At(Parse(v1.body), "/name/0/family"), "Cykelsson");

  auto history = client->Request("GET", "/fhir/Patient/" + id + "/_history");
  ASSERT_EQ(history.status, 200);
  auto history_doc = Parse(history.body);
  EXPECT_EQ(At(history_doc, "/type"), "history");
  EXPECT_EQ(At(history_doc, "/total"), "2");
  EXPECT_EQ(At(history_doc, "/entry/0/resource/meta/versionId"), "2");

  // Deleting a Patient is registry maintenance: admin only (an EHR may not).
  auto refused = client->Request("DELETE", "/fhir/Patient/" + id);
  EXPECT_EQ(refused.status, 403) << refused.body;
  auto admin = Server::Shared().Client("admin");
  auto deleted = admin->Request("DELETE", "/fhir/Patient/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  auto gone = client->Request("GET", "/fhir/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(IssueCode(gone.body), "deleted");
  auto still_there = client->Request("GET", "/fhir/Patient/" + id + "/_history/2");
  EXPECT_EQ(still_there.status, 200);
  auto history_after = Parse(client->Request("GET", "/fhir/Patient/" + id + "/_history").body);
  EXPECT_EQ(At(history_after, "/total"), "3");
  EXPECT_EQ(At(history_after, "/entry/0/request/method"), "DELETE");

  // The personnummer is free again once its patient is deleted.
  auto again = client->Request("POST", "/fhir/Patient", PatientJson("197106254787"), kJson);
  EXPECT_EQ(again.status, 201) << again.body;
  admin->Request("DELETE", "/fhir/Patient/" + IdFromLocation(again.headers["location"]));
}

TEST(Crud, AliasSystemIsStoredCanonicalAndSearchable) {
  auto client = Server::Shared().Client("ehr");
  const std::string body =
      R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.3","value":"196109732393"}]})";
  auto created = client->Request("POST", "/fhir/Patient", body, kJson);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(At(Parse(created.body), "/identifier/0/system"), "http://electronichealth.se/identifier/samordningsnummer");
  auto found = client->Request("GET", "/fhir/Patient?identifier=urn:oid:1.2.752.129.2.1.3.3%7C196109732393");
  ASSERT_EQ(found.status, 200);
  auto bundle = Parse(found.body);
  EXPECT_EQ(At(bundle, "/total"), "1");
  EXPECT_EQ(At(bundle, "/entry/0/resource/id"), IdFromLocation(created.headers["location"]));
}

TEST(Crud, DuplicatePersonnummerIsAConflict) {
  auto client = Server::Shared().Client("ehr");
  auto first = client->Request("POST", "/fhir/Patient", PatientJson("191212121212"), kJson);
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = client->Request("POST", "/fhir/Patient", PatientJson("191212121212"), kJson);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(IssueCode(second.body), "conflict");
}

TEST(Crud, ConcurrentConditionalCreatesMakeExactlyOnePatient) {
  constexpr int kClients = 64;  // issue 7: 64 concurrent conditional creates of one personnummer
  // The shared server must be started here, not on a worker thread: its PR_SET_PDEATHSIG fires when
  // the *thread* that forked it ends (tests/support/server_process.cpp).
  auto client = Server::Shared().Client("ehr");
  std::atomic<int> created{0}, matched{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      auto client = Server::Shared().Client("ehr");
      auto headers = kJson;
      headers["If-None-Exist"] = "identifier=http://electronichealth.se/identifier/personnummer|196408233234";
      auto result = client->Request("POST", "/fhir/Patient", PatientJson("196408233234", "Samtidig"), headers);
      if (result.status == 201) created++;
      else if (result.status == 200) matched++;
      else other++;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(matched.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
  auto search = client->Request("GET", "/fhir/Patient?identifier=196408233234&_summary=count");
  ASSERT_EQ(search.status, 200) << search.error << " " << search.body;
  EXPECT_EQ(At(Parse(search.body), "/total"), "1");
}

TEST(Crud, PreferReturnMinimalAndOperationOutcome) {
  auto client = Server::Shared().Client("admin");  // Organization maintenance is admin's
  auto headers = kJson;
  headers["Prefer"] = "return=minimal";
  auto minimal = client->Request("PUT", "/fhir/Organization/e2e-prefer",
                                 R"({"resourceType":"Organization","id":"e2e-prefer","name":"Prefer VC"})", headers);
  ASSERT_EQ(minimal.status, 201) << minimal.body;
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_EQ(minimal.headers["etag"], "W/\"1\"");
  headers["Prefer"] = "return=OperationOutcome";
  auto outcome = client->Request("PUT", "/fhir/Organization/e2e-prefer",
                                 R"({"resourceType":"Organization","id":"e2e-prefer","name":"Prefer VC 2"})", headers);
  ASSERT_EQ(outcome.status, 200);
  EXPECT_EQ(IssueCode(outcome.body), "informational");
}

TEST(Crud, SearchPagesWithNextLinks) {
  auto client = Server::Shared().Client("admin");  // Practitioner maintenance is admin's
  for (int i = 0; i < 5; ++i) {
    const std::string id = "e2e-page-" + std::to_string(i);
    auto put = client->Request("PUT", "/fhir/Practitioner/" + id,
                               R"({"resourceType":"Practitioner","id":")" + id +
                                   R"(","name":[{"family":"Sidvändare","given":["Nr)" + std::to_string(i) + R"("]}]})",
                               kJson);
    ASSERT_LT(put.status, 300) << put.body;
  }
  auto page1 = Parse(client->Request("GET", "/fhir/Practitioner?family=sidv%C3%A4ndare&_count=2").body);
  EXPECT_EQ(At(page1, "/total"), "5");
  EXPECT_EQ(At(page1, "/link/1/relation"), "next");
  std::string next = At(page1, "/link/1/url");
  ASSERT_NE(next.find("/fhir/"), std::string::npos);
  int seen = 2;
  while (!next.empty()) {
    auto page = Parse(client->Request("GET", next.substr(next.find("/fhir/"))).body);
    seen += static_cast<int>(page["entry"].Size());
    next.clear();
    for (const auto& link : page["link"].GetArray()) {
      if (std::string(link["relation"].GetString()) == "next") next = link["url"].GetString();
    }
  }
  EXPECT_EQ(seen, 5);
}

}  // namespace
}  // namespace nara::e2e
