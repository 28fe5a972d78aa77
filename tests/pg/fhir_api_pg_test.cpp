// FhirApi (fhir/http/router.*) over a real PgStore: the FHIR REST contract of docs/api.md sections 1–2 as a
// client sees it — status codes, headers, Prefer, If-Match, If-None-Exist, search bundles, history —
// with real PostgreSQL underneath (no mocks). Every test gets its own fresh, migrated database.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fhir/http/http.h"
#include "fhir/http/http_util.h"
#include "fhir/http/patient_answer_cache.h"
#include "fhir/http/router.h"
#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::fhir {
namespace {

using nara::testing::PgCluster;

constexpr const char* kBase = "https://test/fhir";
constexpr const char* kPnrSystem = "http://electronichealth.se/identifier/personnummer";
constexpr const char* kPnrAlias = "urn:oid:1.2.752.129.2.1.3.1";
constexpr const char* kSamSystem = "http://electronichealth.se/identifier/samordningsnummer";
constexpr const char* kPnrA = "197106254787";
constexpr const char* kPnrB = "191212121212";
constexpr const char* kSamC = "196109732393";

// A resident needs a national identity (fhir/resources/registry_writes.cpp); a reservnummer is not unique.
const std::string kReservSystem = "http://electronichealth.se/identifier/nationelltReservnummer";

std::string PatientJson(const std::string& system, const std::string& value, const std::string& family,
                        const std::string& given = "Anna", const std::string& id = "") {
  std::string json = R"({"resourceType":"Patient",)";
  if (!id.empty()) json += R"("id":")" + id + R"(",)";
  if (!value.empty()) json += R"("identifier":[{"system":")" + system + R"(","value":")" + value + R"("}],)";
  json += R"("name":[{"family":")" + family + R"(","given":[")" + given + R"("]}],"gender":"female"})";
  return json;
}

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  EXPECT_FALSE(doc.HasParseError()) << body;
  if (doc.HasParseError()) doc.SetObject();
  return doc;
}

// Member / element access that yields null instead of asserting when it is not there.
const rapidjson::Value& At(const rapidjson::Value& v, const char* name) {
  static const rapidjson::Value kNull;
  if (!v.IsObject()) return kNull;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? kNull : it->value;
}
const rapidjson::Value& At(const rapidjson::Value& v, unsigned index) {
  static const rapidjson::Value kNull;
  return v.IsArray() && index < v.Size() ? v[index] : kNull;
}

std::string Str(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

// Entries of a Bundle with search.mode == mode ("match" or "outcome").
std::vector<const rapidjson::Value*> Entries(const rapidjson::Document& bundle, const std::string& mode) {
  std::vector<const rapidjson::Value*> out;
  if (!bundle.IsObject() || !bundle.HasMember("entry") || !At(bundle, "entry").IsArray()) return out;
  for (const auto& entry : At(bundle, "entry").GetArray()) {
    if (entry.HasMember("search") && Str(At(entry, "search"), "mode") == mode) out.push_back(&entry);
  }
  return out;
}

std::set<std::string> MatchIds(const rapidjson::Document& bundle) {
  std::set<std::string> ids;
  for (const auto* entry : Entries(bundle, "match")) ids.insert(Str(At((*entry), "resource"), "id"));
  return ids;
}

long Total(const rapidjson::Document& bundle) {
  return bundle.IsObject() && bundle.HasMember("total") && At(bundle, "total").IsInt64() ? At(bundle, "total").GetInt64()
                                                                                    : -1;
}

std::string Link(const rapidjson::Document& bundle, const std::string& relation) {
  if (!bundle.IsObject() || !bundle.HasMember("link") || !At(bundle, "link").IsArray()) return {};
  for (const auto& link : At(bundle, "link").GetArray()) {
    if (Str(link, "relation") == relation) return Str(link, "url");
  }
  return {};
}

std::string FirstIssueCode(const std::string& body) {
  rapidjson::Document doc = Parse(body);
  if (Str(doc, "resourceType") != "OperationOutcome" || !doc.HasMember("issue") || !At(doc, "issue").IsArray() ||
      At(doc, "issue").Empty()) {
    return "<no OperationOutcome issue>";
  }
  return Str(At(At(doc, "issue"), 0u), "code");
}

std::string TodayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &utc);
  return buf;
}

class FhirApiPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = nara::testing::MigratedDatabase("fhirapi");
    store_ = std::make_unique<pg::PgStore>(url, 24);
    api_ = std::make_unique<FhirApi>(*store_, ApiOptions{});
  }

  static HttpRequest Make(const std::string& method, const std::string& path, QueryParams query = {},
                          std::map<std::string, std::string> headers = {}, std::string body = "") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.base_url = kBase;
    request.caller.hsa_id = "SE2321000016-A001";  // the FHIR API is under test, not the policy
    request.caller.role = "admin";
    request.request_id = "test";
    if (!request.body.empty() && !request.headers.count("content-type")) {
      request.headers["content-type"] = "application/fhir+json";
    }
    return request;
  }

  HttpResponse Post(const std::string& path, const std::string& body, std::map<std::string, std::string> headers = {}) {
    return api_->Handle(Make("POST", path, {}, std::move(headers), body));
  }
  HttpResponse Put(const std::string& path, const std::string& body, std::map<std::string, std::string> headers = {}) {
    return api_->Handle(Make("PUT", path, {}, std::move(headers), body));
  }
  HttpResponse Get(const std::string& path, QueryParams query = {}, std::map<std::string, std::string> headers = {}) {
    return api_->Handle(Make("GET", path, std::move(query), std::move(headers)));
  }
  HttpResponse Delete(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return api_->Handle(Make("DELETE", path, {}, std::move(headers)));
  }

  // Creates a Patient and returns its id (fails the test otherwise).
  std::string CreatePatient(const std::string& body) {
    HttpResponse response = Post("/Patient", body);
    EXPECT_EQ(response.status, 201) << response.body;
    return Str(Parse(response.body), "id");
  }

  // Follows a Bundle link: its query part, decoded, run as a GET on path.
  HttpResponse Follow(const std::string& url, const std::string& path) {
    const auto q = url.find('?');
    return Get(path, q == std::string::npos ? QueryParams{} : ParseQueryString(url.substr(q + 1)));
  }

  // The API from now on keeps Patient answers in a cache that is live but never hears the feed:
  // only what this node forgets itself is forgotten. (Silence counts as deaf only after an hour, so
  // a slow machine cannot turn it off halfway through a test.)
  PatientAnswerCache& KeepAnswersWithoutFeed() {
    answers_ = std::make_unique<PatientAnswerCache>(100, std::chrono::hours(1));
    answers_->SetLive(true);
    ApiOptions options;
    options.patient_answers = answers_.get();
    api_ = std::make_unique<FhirApi>(*store_, options);
    return *answers_;
  }

  std::unique_ptr<pg::PgStore> store_;
  std::unique_ptr<PatientAnswerCache> answers_;  // (declared before api_: outlives it)
  std::unique_ptr<FhirApi> api_;
};

// The Patient answer cache (fhir/http/patient_answer_cache.h) without a feed: what this node writes,
// it forgets itself before the write is answered, so its next read is never the old answer.
TEST_F(FhirApiPgTest, AWriteOnThisNodeIsReadAtOnceWhenTheAnswerWasKept) {
  PatientAnswerCache& cache = KeepAnswersWithoutFeed();
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Före", "Anna"));
  const std::string path = "/Patient/" + id;
  ASSERT_EQ(Get(path).status, 200);
  HttpResponse kept = Get(path);
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(cache.counts().hits, 1);
  EXPECT_EQ(HeaderOf(kept, "ETag"), "W/\"1\"");

  ASSERT_EQ(Put(path, PatientJson(kPnrSystem, kPnrA, "Efter", "Anna", id)).status, 200);
  HttpResponse after_put = Get(path);
  EXPECT_EQ(HeaderOf(after_put, "ETag"), "W/\"2\"");
  EXPECT_NE(after_put.body.find("Efter"), std::string::npos) << after_put.body;

  // A transaction Bundle forgets the patients of its entries before its own reads and its answer.
  ASSERT_EQ(Get(path).status, 200);  // kept again
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)" +
                             PatientJson(kPnrSystem, kPnrA, "Bunten", "Anna", id) +
                             R"(,"request":{"method":"PUT","url":"Patient/)" + id + R"("}}]})";
  HttpResponse done = Post("", bundle);
  ASSERT_EQ(done.status, 200) << done.body;
  HttpResponse after_bundle = Get(path);
  EXPECT_EQ(HeaderOf(after_bundle, "ETag"), "W/\"3\"");

  // A municipality's read and a read echoing another node's commit position do not use what is kept.
  const long hits = cache.counts().hits;
  HttpRequest echoed = Make("GET", path, {}, {{"x-nara-commit-lsn", "0/1"}});
  EXPECT_EQ(api_->Handle(echoed).status, 200);
  EXPECT_EQ(cache.counts().hits, hits);
  EXPECT_EQ(Get(path).status, 200);
  EXPECT_EQ(cache.counts().hits, hits + 1);
}

// A doctor's list (fhir/search/doctor_list_page.h) without a feed: a page answered from what is kept
// is the general search's page, and a contact this node writes is on the list at its next read.
TEST_F(FhirApiPgTest, ADoctorsListFromKeptAnswersFollowsThisNodesWrites) {
  PatientAnswerCache& cache = KeepAnswersWithoutFeed();
  const std::string nr = "https://fhir.nara-registry.org";
  ASSERT_EQ(Put("/Organization/dl-vc", R"({"resourceType":"Organization","id":"dl-vc","identifier":[{"system":)"
                                       R"("urn:oid:1.2.752.29.4.19","value":"SE2321000016-DL01"}],"active":true,)"
                                       R"("type":[{"coding":[{"system":")" + nr + R"(/CodeSystem/organization-type",)"
                                       R"("code":"vardcentral"}]}],"name":"VC"})").status, 201);
  ASSERT_EQ(Put("/Practitioner/dl-doc", R"({"resourceType":"Practitioner","id":"dl-doc","name":[{"family":"Berg"}]})")
                .status, 201);
  ASSERT_EQ(Put("/PractitionerRole/dl-role", R"({"resourceType":"PractitionerRole","id":"dl-role","active":true,)"
                                             R"("practitioner":{"reference":"Practitioner/dl-doc"},)"
                                             R"("organization":{"reference":"Organization/dl-vc"},"code":[{"coding":)"
                                             R"([{"system":")" + nr + R"(/CodeSystem/profession","code":"lakare"}]}]})")
                .status, 201);
  auto contact = [&](const std::string& patient) {  // listed at dl-vc, with a fast läkarkontakt at dl-role
    HttpResponse listed = Put("/EpisodeOfCare/" + patient + "-l",
                              R"({"resourceType":"EpisodeOfCare","id":")" + patient + R"(-l","status":"active",)"
                              R"("type":[{"coding":[{"system":")" + nr + R"(/CodeSystem/episode-type","code":"listning"}]}],)"
                              R"("patient":{"reference":"Patient/)" + patient + R"("},)"
                              R"("managingOrganization":{"reference":"Organization/dl-vc"},"period":{"start":"2025-01-01"}})");
    if (listed.status != 201) return listed;
    return Put("/CareTeam/" + patient + "-c",
               R"({"resourceType":"CareTeam","id":")" + patient + R"(-c","status":"active","category":[{"coding":)"
               R"([{"system":"https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs","code":"fast-kontakt"}]}],)"
               R"("subject":{"reference":"Patient/)" + patient + R"("},"participant":[{"role":[{"coding":[{"system":)"
               R"("urn:oid:1.2.752.129.5.1.69","code":"2"}]}],"member":{"reference":"PractitionerRole/dl-role"}}],)"
               R"("managingOrganization":[{"reference":"Organization/dl-vc"}],"period":{"start":"2025-01-01"}})");
  };
  const std::string a = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Först", "Anna"));
  const std::string b = CreatePatient(PatientJson(kPnrSystem, kPnrB, "Sedan", "Bo"));
  HttpResponse first_contact = contact(a);
  ASSERT_EQ(first_contact.status, 201) << first_contact.body;
  const QueryParams list{{"general-practitioner", "PractitionerRole/dl-role"}};
  HttpResponse general = Get("/Patient", list);  // the general way; the list and the answer are kept
  ASSERT_EQ(general.status, 200) << general.body;
  EXPECT_EQ(MatchIds(Parse(general.body)), std::set<std::string>{a});
  const long hits = cache.counts().hits;
  HttpResponse kept = Get("/Patient", list);
  EXPECT_EQ(cache.counts().list_hits, 1);
  EXPECT_EQ(cache.counts().hits, hits + 1);
  EXPECT_EQ(kept.body, general.body);

  ASSERT_EQ(contact(b).status, 201);  // only this node's own forgetting can show it
  HttpResponse after = Get("/Patient", list);
  EXPECT_EQ(MatchIds(Parse(after.body)), (std::set<std::string>{a, b}));
  EXPECT_EQ(Total(Parse(after.body)), 2);
}

// create / read

TEST_F(FhirApiPgTest, CreatePatientStoresCanonicalSystemAndReturnsVersionHeaders) {
  HttpResponse created = Post("/Patient", PatientJson(kPnrAlias, kPnrA, "Andersson"));
  ASSERT_EQ(created.status, 201) << created.body;
  rapidjson::Document doc = Parse(created.body);
  EXPECT_EQ(Str(doc, "resourceType"), "Patient");
  const std::string id = Str(doc, "id");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(doc.HasMember("meta"));
  EXPECT_EQ(Str(At(doc, "meta"), "versionId"), "1");
  EXPECT_FALSE(Str(At(doc, "meta"), "lastUpdated").empty());
  ASSERT_TRUE(doc.HasMember("identifier") && At(doc, "identifier").IsArray() && At(doc, "identifier").Size() == 1);
  EXPECT_EQ(Str(At(At(doc, "identifier"), 0u), "system"), kPnrSystem);
  EXPECT_EQ(Str(At(At(doc, "identifier"), 0u), "value"), kPnrA);
  EXPECT_EQ(HeaderOf(created, "Location"), std::string(kBase) + "/Patient/" + id + "/_history/1");
  EXPECT_EQ(HeaderOf(created, "ETag"), "W/\"1\"");
  EXPECT_FALSE(HeaderOf(created, "Last-Modified").empty());
  EXPECT_NE(HeaderOf(created, "Content-Type").find("application/fhir+json"), std::string::npos);

  HttpResponse read = Get("/Patient/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.body, created.body);
  EXPECT_EQ(HeaderOf(read, "ETag"), "W/\"1\"");
  EXPECT_EQ(created.body.find(kPnrAlias), std::string::npos) << "outputs use the canonical system only";

  // A body id on create is ignored: the server assigns one.
  HttpResponse with_id = Post("/Patient", PatientJson(kPnrSystem, kPnrB, "Berg", "Bo", "chosen-by-client"));
  ASSERT_EQ(with_id.status, 201) << with_id.body;
  EXPECT_NE(Str(Parse(with_id.body), "id"), "chosen-by-client");

  HttpResponse unknown = Get("/Patient/does-not-exist");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(FirstIssueCode(unknown.body), "not-found");
}

TEST_F(FhirApiPgTest, ConcurrentIdenticalConditionalCreatesMakeOnePatient) {
  constexpr int kThreads = 20;
  const std::string condition = std::string("identifier=") + kPnrSystem + "|" + kPnrB;
  const std::string body = PatientJson(kPnrSystem, kPnrB, "Tolvansson", "Tolvan");
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::vector<int> statuses(kThreads);
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      HttpResponse response = Post("/Patient", body, {{"if-none-exist", condition}});
      statuses[i] = response.status;
      rapidjson::Document doc;
      doc.Parse(response.body.c_str());
      if (!doc.HasParseError() && doc.IsObject()) ids[i] = Str(doc, "id");
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();

  int created = 0, existing = 0;
  for (int status : statuses) {
    if (status == 201) ++created;
    if (status == 200) ++existing;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(existing, kThreads - 1);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u) << "every answer names the same Patient";

  HttpResponse search = Get("/Patient", {{"identifier", std::string(kPnrSystem) + "|" + kPnrB}});
  ASSERT_EQ(search.status, 200) << search.body;
  rapidjson::Document bundle = Parse(search.body);
  EXPECT_EQ(Total(bundle), 1);
  EXPECT_EQ(MatchIds(bundle), std::set<std::string>{ids[0]});
  HttpResponse all = Get("/Patient", {{"_summary", "count"}});
  EXPECT_EQ(Total(Parse(all.body)), 1);
}

TEST_F(FhirApiPgTest, ConditionalCreateWithAnExistingMatchReturnsIt) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  HttpResponse again = Post("/Patient", PatientJson(kPnrSystem, kPnrA, "Andersson"),
                            {{"if-none-exist", std::string("identifier=") + kPnrAlias + "|" + kPnrA}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Str(Parse(again.body), "id"), id);
  EXPECT_EQ(HeaderOf(again, "ETag"), "W/\"1\"");
  HttpResponse history = Get("/Patient/" + id + "/_history");
  EXPECT_EQ(Total(Parse(history.body)), 1) << "a matched conditional create writes nothing";
}

TEST_F(FhirApiPgTest, PreferReturnMinimalAndOperationOutcome) {
  HttpResponse minimal = Post("/Patient", PatientJson(kPnrSystem, kPnrA, "Andersson"), {{"prefer", "return=minimal"}});
  ASSERT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty()) << minimal.body;
  EXPECT_NE(HeaderOf(minimal, "Location").find("/_history/1"), std::string::npos);
  EXPECT_EQ(HeaderOf(minimal, "ETag"), "W/\"1\"");

  HttpResponse outcome =
      Post("/Patient", PatientJson(kPnrSystem, kPnrB, "Berg"), {{"prefer", "return=OperationOutcome"}});
  ASSERT_EQ(outcome.status, 201);
  rapidjson::Document doc = Parse(outcome.body);
  EXPECT_EQ(Str(doc, "resourceType"), "OperationOutcome");
  ASSERT_TRUE(doc.HasMember("issue") && At(doc, "issue").IsArray() && !At(doc, "issue").Empty());
  EXPECT_EQ(Str(At(At(doc, "issue"), 0u), "severity"), "information");
  EXPECT_FALSE(HeaderOf(outcome, "Location").empty());

  HttpResponse representation =
      Post("/Patient", PatientJson(kPnrSystem, kSamC, "Cedergren"), {{"prefer", "return=representation"}});
  EXPECT_EQ(representation.status, 422) << "a samordningsnummer under the personnummer system is invalid";
  HttpResponse full =
      Post("/Patient", PatientJson(kSamSystem, kSamC, "Cedergren"), {{"prefer", "return=representation"}});
  ASSERT_EQ(full.status, 201) << full.body;
  EXPECT_EQ(Str(Parse(full.body), "resourceType"), "Patient");
}

// update

TEST_F(FhirApiPgTest, PutWithIfMatchThenStaleIfMatchThenNewClientId) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  const std::string path = "/Patient/" + id;
  const std::string body = PatientJson(kPnrSystem, kPnrA, "Andersson", "Annika", id);

  HttpResponse first = Put(path, body, {{"if-match", "W/\"1\""}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(HeaderOf(first, "ETag"), "W/\"2\"");
  EXPECT_EQ(HeaderOf(first, "Location"), std::string(kBase) + path + "/_history/2");
  rapidjson::Document doc = Parse(first.body);
  EXPECT_EQ(Str(At(doc, "meta"), "versionId"), "2");

  HttpResponse stale = Put(path, body, {{"if-match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(Str(Parse(stale.body), "resourceType"), "OperationOutcome");
  EXPECT_EQ(HeaderOf(Get(path), "ETag"), "W/\"2\"");

  HttpResponse created = Put("/Patient/client-chosen-1", PatientJson(kReservSystem, "NILS1", "Nilsson", "Nils", "client-chosen-1"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(HeaderOf(created, "ETag"), "W/\"1\"");
  EXPECT_EQ(HeaderOf(created, "Location"), std::string(kBase) + "/Patient/client-chosen-1/_history/1");
  EXPECT_EQ(Str(Parse(created.body), "id"), "client-chosen-1");
  EXPECT_EQ(Get("/Patient/client-chosen-1").status, 200);

  HttpResponse mismatch = Put("/Patient/client-chosen-1", PatientJson(kReservSystem, "NILS1", "Nilsson", "Nils", "other-id"));
  EXPECT_EQ(mismatch.status, 400);
}

// search

class FhirSearchPgTest : public FhirApiPgTest {
 protected:
  void SetUp() override {
    FhirApiPgTest::SetUp();
    if (HasFatalFailure()) return;
    // A few milliseconds apart, so _lastUpdated order (the default sort) is creation order.
    a_ = CreatePatient(PatientJson(kPnrAlias, kPnrA, "Andersson", "Anna"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    b_ = CreatePatient(PatientJson(kPnrSystem, kPnrB, "Bengtsson", "Bo"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    c_ = CreatePatient(PatientJson(kSamSystem, kSamC, "Anderberg", "Cecilia"));
  }

  rapidjson::Document Search(QueryParams query, std::map<std::string, std::string> headers = {}) {
    HttpResponse response = Get("/Patient", std::move(query), std::move(headers));
    EXPECT_EQ(response.status, 200) << response.body;
    rapidjson::Document doc = Parse(response.body);
    EXPECT_EQ(Str(doc, "type"), "searchset");
    return doc;
  }

  using Set = std::set<std::string>;
  std::string a_, b_, c_;
};

TEST_F(FhirSearchPgTest, IdentifierByAliasOrCanonicalSystem) {
  rapidjson::Document by_alias = Search({{"identifier", std::string(kPnrAlias) + "|" + kPnrA}});
  EXPECT_EQ(Total(by_alias), 1);
  EXPECT_EQ(MatchIds(by_alias), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"identifier", std::string(kPnrSystem) + "|" + kPnrA}})), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"identifier", kPnrA}})), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"identifier", std::string(kSamSystem) + "|" + kPnrA}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"identifier", std::string("urn:oid:1.2.752.129.2.1.3.3|") + kSamC}})), Set{c_});
}

TEST_F(FhirSearchPgTest, NamePrefixContainsAndExact) {
  rapidjson::Document and_prefix = Search({{"name", "and"}});
  EXPECT_EQ(MatchIds(and_prefix), (Set{a_, c_}));
  EXPECT_EQ(Total(and_prefix), 2);
  EXPECT_EQ(MatchIds(Search({{"name", "ANDERS"}})), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"family", "beng"}})), Set{b_});
  EXPECT_EQ(MatchIds(Search({{"given", "ceci"}})), Set{c_});
  EXPECT_EQ(MatchIds(Search({{"name:contains", "erb"}})), Set{c_});
  EXPECT_EQ(MatchIds(Search({{"name:exact", "Andersson"}})), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"name:exact", "andersson"}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"name", "and"}, {"gender", "female"}})), (Set{a_, c_}));
  EXPECT_EQ(MatchIds(Search({{"name", "and"}, {"gender", "male"}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"_id", b_ + "," + c_}})), (Set{b_, c_}));
  // Search values are data, not SQL.
  EXPECT_EQ(MatchIds(Search({{"name", "' OR 1=1 --"}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"name", "%"}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"identifier", "'); DROP TABLE resource_version; --"}})), Set{});
  EXPECT_EQ(Total(Search({})), 3);
}

TEST_F(FhirSearchPgTest, BirthdateAddressAndMunicipality) {
  // No birthDate written: the date in the personnummer or samordningsnummer (day + 60) answers.
  EXPECT_EQ(MatchIds(Search({{"birthdate", "1971"}})), Set{a_});
  EXPECT_EQ(MatchIds(Search({{"birthdate", "1961-09-13"}})), Set{c_});
  EXPECT_EQ(MatchIds(Search({{"birthdate", "ge1960-01-01"}})), (Set{a_, c_}));
  const std::string d = CreatePatient(R"({"resourceType":"Patient","birthDate":"1980-02-03",
    "identifier":[{"system":")" + kReservSystem + R"(","value":"RADDR1"}],
    "address":[{"use":"home","line":["Storgatan 1"],"postalCode":"171 65","city":"Solna",
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
                    "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"0184"}}]}]})");
  EXPECT_EQ(MatchIds(Search({{"birthdate", "1980-02"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"address-city", "soln"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"address-city", "Stockholm"}})), Set{});
  EXPECT_EQ(MatchIds(Search({{"address-postalcode", "17165"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"address-postalcode", "171 65"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"address", "storgatan"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"municipality", "0184"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"municipality", "https://fhir.nara-registry.org/CodeSystem/kommun|0184"}})), Set{d});
  EXPECT_EQ(MatchIds(Search({{"municipality", "0180"}})), Set{});
}

TEST_F(FhirSearchPgTest, CountGivesANextLinkWhoseCursorWorks) {
  rapidjson::Document first = Search({{"_count", "2"}});
  EXPECT_EQ(Total(first), 3);
  ASSERT_EQ(Entries(first, "match").size(), 2u);
  const std::string next = Link(first, "next");
  ASSERT_FALSE(next.empty()) << "a next link";
  EXPECT_EQ(next.rfind(std::string(kBase) + "/Patient?", 0), 0u) << next;
  EXPECT_NE(next.find("_cursor="), std::string::npos) << next;  // keyset paging, not an offset
  EXPECT_EQ(next.find("_offset"), std::string::npos) << next;
  EXPECT_FALSE(Link(first, "self").empty());
  EXPECT_TRUE(Link(first, "previous").empty());

  HttpResponse second_response = Follow(next, "/Patient");
  ASSERT_EQ(second_response.status, 200) << second_response.body;
  rapidjson::Document second = Parse(second_response.body);
  EXPECT_EQ(Total(second), 3);
  ASSERT_EQ(Entries(second, "match").size(), 1u);
  EXPECT_TRUE(Link(second, "next").empty());
  EXPECT_FALSE(Link(second, "previous").empty());

  std::set<std::string> seen = MatchIds(first);
  for (const auto& id : MatchIds(second)) EXPECT_TRUE(seen.insert(id).second) << "pages do not overlap";
  EXPECT_EQ(seen, (Set{a_, b_, c_}));
  // Default order is by id (stable under concurrent writes: ids never change).
  const std::string first_id = Str(At(*Entries(first, "match")[0], "resource"), "id");
  EXPECT_EQ(Str((*Entries(first, "match")[0]), "fullUrl"), std::string(kBase) + "/Patient/" + first_id);
}

TEST_F(FhirSearchPgTest, SummaryCountGivesTotalWithoutEntries) {
  rapidjson::Document counted = Search({{"_summary", "count"}});
  EXPECT_EQ(Total(counted), 3);
  EXPECT_TRUE(Entries(counted, "match").empty());
  EXPECT_TRUE(Link(counted, "next").empty());
  rapidjson::Document counted_and = Search({{"name", "and"}, {"_summary", "count"}});
  EXPECT_EQ(Total(counted_and), 2);
  EXPECT_TRUE(Entries(counted_and, "match").empty());
}

TEST_F(FhirSearchPgTest, LastUpdatedToday) {
  const std::string today = TodayUtc();
  rapidjson::Document on_day = Search({{"_lastUpdated", today}});
  // Created at most a few seconds ago: on today's date unless the UTC date just turned over.
  if (today == TodayUtc()) {
    EXPECT_EQ(Total(on_day), 3);
  }
  EXPECT_EQ(Total(Search({{"_lastUpdated", "2001-01-01"}})), 0);
  EXPECT_EQ(Total(Search({{"_lastUpdated", "ne2001-01-01"}})), 3);
}

TEST_F(FhirSearchPgTest, LastUpdatedGreaterOrEqualToday) {
  // Regression (fixed): GET /Patient?_lastUpdated=ge<date> answers 503 (and lt: 503, gt/le: an uncaught pqxx::sql_error): pg/internal/search_sql.cpp DateCondition binds a parameter it does not use (see PgSearchTest.LastUpdatedOneSidedPrefixes)
  const std::string today = TodayUtc();
  rapidjson::Document since_today = Search({{"_lastUpdated", "ge" + today}});
  EXPECT_EQ(Total(since_today), 3);
  EXPECT_EQ(MatchIds(since_today), (Set{a_, b_, c_}));
  EXPECT_EQ(Total(Search({{"_lastUpdated", "lt2001-01-01"}})), 0);
  EXPECT_EQ(Total(Search({{"_lastUpdated", "gt2001-01-01"}})), 3);
  EXPECT_EQ(Total(Search({{"_lastUpdated", "le2001-01-01"}})), 0);
  EXPECT_EQ(Total(Search({{"_lastUpdated", "ge2001-01-01"}, {"name", "and"}})), 2);
}

TEST_F(FhirSearchPgTest, UnknownParameterIsReportedUnderLenientAndRefusedUnderStrict) {
  rapidjson::Document lenient = Search({{"name", "and"}, {"shoe-size", "42"}});
  EXPECT_EQ(MatchIds(lenient), (Set{a_, c_}));
  EXPECT_EQ(Total(lenient), 2);
  auto outcomes = Entries(lenient, "outcome");
  ASSERT_EQ(outcomes.size(), 1u) << "one OperationOutcome entry with search.mode outcome";
  const rapidjson::Value& outcome = At((*outcomes[0]), "resource");
  EXPECT_EQ(Str(outcome, "resourceType"), "OperationOutcome");
  ASSERT_TRUE(outcome.HasMember("issue") && At(outcome, "issue").IsArray() && !At(outcome, "issue").Empty());
  EXPECT_EQ(Str(At(At(outcome, "issue"), 0u), "severity"), "warning");
  EXPECT_NE(Str(At(At(outcome, "issue"), 0u), "diagnostics").find("shoe-size"), std::string::npos)
      << "the ignored parameter is named";
  EXPECT_EQ(Link(lenient, "self").find("shoe-size"), std::string::npos) << "self shows what was applied";

  // With a criterion that restricts nothing in practice: an unknown one alone would widen a Patient
  // search to everyone and is refused (fhir/search/search_params.h).
  rapidjson::Document explicit_lenient =
      Search({{"shoe-size", "42"}, {"_lastUpdated", "gt2001-01-01"}}, {{"prefer", "handling=lenient"}});
  EXPECT_EQ(Entries(explicit_lenient, "outcome").size(), 1u);
  EXPECT_EQ(Total(explicit_lenient), 3);

  HttpResponse strict = Get("/Patient", {{"name", "and"}, {"shoe-size", "42"}}, {{"prefer", "handling=strict"}});
  EXPECT_EQ(strict.status, 400) << strict.body;
  EXPECT_EQ(Str(Parse(strict.body), "resourceType"), "OperationOutcome");
  EXPECT_EQ(FirstIssueCode(strict.body), "not-supported");
}

// validation and duplicates

TEST_F(FhirApiPgTest, InvalidPersonnummerIs422Value) {
  HttpResponse bad_check = Post("/Patient", PatientJson(kPnrSystem, "197106254788", "Andersson"));
  EXPECT_EQ(bad_check.status, 422) << bad_check.body;
  EXPECT_EQ(FirstIssueCode(bad_check.body), "value");
  EXPECT_EQ(bad_check.body.find("197106254788"), std::string::npos) << "never echo a personnummer";

  HttpResponse bad_date = Post("/Patient", PatientJson(kPnrAlias, "19711325" "4787", "Andersson"));
  EXPECT_EQ(bad_date.status, 422) << bad_date.body;
  EXPECT_EQ(FirstIssueCode(bad_date.body), "value");

  HttpResponse samordning_as_pnr = Post("/Patient", PatientJson(kPnrSystem, kSamC, "Cedergren"));
  EXPECT_EQ(samordning_as_pnr.status, 422) << samordning_as_pnr.body;
  EXPECT_EQ(FirstIssueCode(samordning_as_pnr.body), "value");

  HttpResponse search = Get("/Patient", {{"_summary", "count"}});
  EXPECT_EQ(Total(Parse(search.body)), 0) << "nothing was stored";
}

TEST_F(FhirApiPgTest, DuplicatePersonnummerByPlainPostIs409) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  HttpResponse duplicate = Post("/Patient", PatientJson(kPnrAlias, kPnrA, "Annan"));
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(FirstIssueCode(duplicate.body), "conflict");
  EXPECT_EQ(duplicate.body.find(kPnrA), std::string::npos) << "never echo a personnummer";

  // Another patient cannot take it over by update either.
  const std::string other = CreatePatient(PatientJson(kPnrSystem, kPnrB, "Berg"));
  HttpResponse steal = Put("/Patient/" + other, PatientJson(kPnrSystem, kPnrA, "Berg", "Bo", other));
  EXPECT_EQ(steal.status, 409) << steal.body;

  rapidjson::Document bundle = Parse(Get("/Patient", {{"identifier", kPnrA}}).body);
  EXPECT_EQ(MatchIds(bundle), std::set<std::string>{id});
}

// history, vread, delete

TEST_F(FhirApiPgTest, HistoryVreadAndReadAfterDelete) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  const std::string path = "/Patient/" + id;
  HttpResponse updated = Put(path, PatientJson(kPnrSystem, kPnrA, "Andersson", "Annika", id));
  ASSERT_EQ(updated.status, 200) << updated.body;
  HttpResponse deleted = Delete(path);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(HeaderOf(deleted, "ETag"), "W/\"3\"");

  HttpResponse history = Get(path + "/_history");
  ASSERT_EQ(history.status, 200) << history.body;
  rapidjson::Document bundle = Parse(history.body);
  EXPECT_EQ(Str(bundle, "type"), "history");
  EXPECT_EQ(Total(bundle), 3);
  ASSERT_TRUE(bundle.HasMember("entry") && At(bundle, "entry").IsArray());
  ASSERT_EQ(At(bundle, "entry").Size(), 3u);
  const auto& e0 = At(At(bundle, "entry"), 0u);
  const auto& e1 = At(At(bundle, "entry"), 1u);
  const auto& e2 = At(At(bundle, "entry"), 2u);
  EXPECT_EQ(Str(At(e0, "request"), "method"), "DELETE");
  EXPECT_FALSE(e0.HasMember("resource"));
  EXPECT_EQ(Str(At(e0, "response"), "etag"), "W/\"3\"");
  EXPECT_EQ(Str(At(e1, "request"), "method"), "PUT");
  EXPECT_EQ(Str(At(At(e1, "resource"), "meta"), "versionId"), "2");
  const rapidjson::Value& given = At(At(At(At(At(e1, "resource"), "name"), 0u), "given"), 0u);
  ASSERT_TRUE(given.IsString());
  EXPECT_EQ(std::string(given.GetString()), "Annika");
  EXPECT_EQ(Str(At(e2, "request"), "method"), "POST");
  EXPECT_EQ(Str(At(At(e2, "resource"), "meta"), "versionId"), "1");
  EXPECT_EQ(Str(e2, "fullUrl"), std::string(kBase) + path);

  for (int v = 1; v <= 2; ++v) {
    HttpResponse vread = Get(path + "/_history/" + std::to_string(v));
    ASSERT_EQ(vread.status, 200) << vread.body;
    EXPECT_EQ(Str(At(Parse(vread.body), "meta"), "versionId"), std::to_string(v));
    EXPECT_EQ(HeaderOf(vread, "ETag"), "W/\"" + std::to_string(v) + "\"");
  }
  EXPECT_EQ(Get(path + "/_history/2").body, updated.body);
  EXPECT_EQ(Get(path + "/_history/3").status, 410);
  EXPECT_EQ(Get(path + "/_history/4").status, 404);

  HttpResponse read = Get(path);
  EXPECT_EQ(read.status, 410) << read.body;
  EXPECT_EQ(FirstIssueCode(read.body), "deleted");

  // Deleting again is harmless; the identifier is free for a new patient.
  HttpResponse again = Delete(path);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(HeaderOf(again, "ETag"), "W/\"3\"");
  EXPECT_EQ(Post("/Patient", PatientJson(kPnrSystem, kPnrA, "Andersson")).status, 201);

  EXPECT_EQ(Get("/Patient/never-existed/_history").status, 404);

  // Type and system history include the new patient too.
  rapidjson::Document type_history = Parse(Get("/Patient/_history").body);
  EXPECT_EQ(Total(type_history), 4);
  rapidjson::Document system_history = Parse(Get("/_history").body);
  EXPECT_EQ(Total(system_history), 4);
}

TEST_F(FhirApiPgTest, HistoryPagingFollowsNextLinks) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Put("/Patient/" + id, PatientJson(kPnrSystem, kPnrA, "Andersson", "A" + std::to_string(i), id)).status,
              200);
  }
  std::vector<std::string> versions;
  std::string next = std::string(kBase) + "/Patient/" + id + "/_history?_count=2";
  for (int page = 0; page < 5 && !next.empty(); ++page) {
    HttpResponse response = Follow(next, "/Patient/" + id + "/_history");
    ASSERT_EQ(response.status, 200) << response.body;
    rapidjson::Document bundle = Parse(response.body);
    ASSERT_TRUE(At(bundle, "entry").IsArray()) << response.body;
    for (const auto& entry : At(bundle, "entry").GetArray()) {
      versions.push_back(Str(At(At(entry, "resource"), "meta"), "versionId"));
    }
    next = Link(bundle, "next");
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"5", "4", "3", "2", "1"}));
}

// _count=0 asks for the total only; a next link equal to self would make a client loop forever.
TEST_F(FhirApiPgTest, HistoryCountZeroHasNoNextLinkToItself) {
  const std::string id = CreatePatient(PatientJson(kPnrSystem, kPnrA, "Andersson"));
  HttpResponse response = Get("/Patient/" + id + "/_history", {{"_count", "0"}});
  ASSERT_EQ(response.status, 200) << response.body;
  rapidjson::Document bundle = Parse(response.body);
  EXPECT_EQ(Total(bundle), 1);
  EXPECT_FALSE(bundle.HasMember("entry")) << "FHIR JSON has no empty arrays: " << response.body;
  const std::string next = Link(bundle, "next");
  EXPECT_TRUE(next.empty() || next != Link(bundle, "self")) << next;
}

}  // namespace
}  // namespace nara::fhir
