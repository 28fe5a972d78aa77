// Routing and HTTP semantics of FhirApi over a small in-memory ResourceStore. The real PostgreSQL
// store is tested in tests/pg; this fake only keeps versions, unique identifiers and token search
// well enough for the router's behaviour to be observable.
#include "fhir/http/router.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fhir/http/http_util.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/identifier_system.h"

namespace nara::fhir {
namespace {

// ---------------------------------------------------------------- the fake store

// The registry tables as plain maps: enough for routing tests, where no registry rule is under test
// (the rules have their own unit tests, the PostgreSQL tables their integration tests).
class FakeRegistry : public RegistryTransaction {
 public:
  std::optional<PatientFacts> LockPatient(const std::string& id) override { return Find(patients, id); }
  std::optional<RoleFacts> LockRole(const std::string& id) override { return Find(roles, id); }
  std::optional<UnitFacts> Unit(const std::string& id) override { return Find(units, id); }
  std::optional<RoleFacts> Role(const std::string& id) override { return Find(roles, id); }
  std::vector<EpisodeFacts> Listings(const std::string&) override { return {}; }
  std::vector<EpisodeFacts> Residencies(const std::string&) override { return {}; }
  std::vector<ContactFacts> Contacts(const std::string&) override { return {}; }
  std::optional<EpisodeFacts> Listing(const std::string&) override { return std::nullopt; }
  std::optional<EpisodeFacts> Residency(const std::string&) override { return std::nullopt; }
  std::optional<ContactFacts> Contact(const std::string&) override { return std::nullopt; }
  int CountDoctorContacts(const std::string&, Date) override { return 0; }
  int CountDoctorContactsOn(const std::string&, Date) override { return 0; }
  std::vector<std::pair<RoleFacts, int>> DoctorLoadsAtUnit(const std::string&, Date) override { return {}; }
  std::vector<std::pair<RoleFacts, int>> AllDoctorLoads(Date) override { return {}; }
  long CountListingsAtUnit(const std::string&, Date) override { return 0; }
  void PutPatient(const PatientFacts& f) override { patients[f.id] = f; }
  void PutUnit(const UnitFacts& f) override { units[f.id] = f; }
  void PutRole(const RoleFacts& f) override { roles[f.id] = f; }
  void PutListing(const EpisodeFacts&) override {}
  void PutResidency(const EpisodeFacts&) override {}
  void PutContact(const ContactFacts&) override {}
  void Remove(const std::string& type, const std::string& id) override {
    if (type == "Patient") patients.erase(id);
  }

  std::map<std::string, PatientFacts> patients;
  std::map<std::string, UnitFacts> units;
  std::map<std::string, RoleFacts> roles;

 private:
  template <typename T>
  static std::optional<T> Find(const std::map<std::string, T>& map, const std::string& id) {
    auto it = map.find(id);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
};

class FakeStore : public ResourceStore {
 public:
  struct Entry {
    StoredResource resource;
    IndexEntries index;
  };

  Status Transact(const std::function<Status(ResourceTransaction&)>& work) override {
    ++transactions;
    auto snapshot = data_;
    auto snapshot_seq = sequence_;
    Tx tx(*this);
    Status status = work(tx);
    if (!status) {
      data_ = std::move(snapshot);
      sequence_ = snapshot_seq;
    }
    return status;
  }

  Result<StoredResource> Read(std::string_view type, std::string_view id) override { return ReadLatest(type, id); }

  Result<StoredResource> ReadVersion(std::string_view type, std::string_view id, int version) override {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound("no such resource");
    for (const auto& e : it->second) {
      if (e.resource.version == version) {
        if (e.resource.deleted) return Error::Gone("deleted version");
        return e.resource;
      }
    }
    return Error::NotFound("no such version");
  }

  Result<SearchPage> History(const HistoryQuery& query) override {
    std::vector<StoredResource> all;
    for (const auto& [key, versions] : data_) {
      for (const auto& e : versions) {
        if (!query.type.empty() && e.resource.type != query.type) continue;
        if (!query.id.empty() && e.resource.id != query.id) continue;
        if (query.since && e.resource.last_updated < *query.since) continue;
        all.push_back(e.resource);
      }
    }
    std::sort(all.begin(), all.end(),
              [](const StoredResource& a, const StoredResource& b) { return a.last_updated > b.last_updated; });
    return Page(all, query.offset, query.count, true);  // as the PostgreSQL adapter: has_more even for count 0
  }

  Result<SearchPage> Search(const SearchQuery& query) override {
    ++searches;
    last_search = query;
    std::vector<StoredResource> matches;
    for (const auto& [key, versions] : data_) {
      const Entry& latest = versions.back();
      if (latest.resource.type != query.type || latest.resource.deleted) continue;
      if (Matches(latest, query)) matches.push_back(latest.resource);
    }
    Result<SearchPage> page = Page(matches, query.offset, query.count, query.want_total);
    if (query.count == 0) page->has_more = false;  // as the PostgreSQL adapter: no rows fetched, no next page
    return page;
  }

  Status Ping() override { return Ok(); }

  std::vector<std::string> locked_keys;
  int transactions = 0;
  int searches = 0;
  SearchQuery last_search;

  size_t Count(const std::string& type) const {
    size_t n = 0;
    for (const auto& [key, versions] : data_) n += versions.back().resource.type == type ? 1 : 0;
    return n;
  }

 private:
  class Tx : public ResourceTransaction {
   public:
    explicit Tx(FakeStore& store) : store_(store) {}
    Result<StoredResource> Read(std::string_view type, std::string_view id) override {
      return store_.ReadLatest(type, id);
    }
    Result<WriteOutcome> Write(const WriteRequest& request) override { return store_.DoWrite(request); }
    Result<StoredResource> Delete(std::string_view type, std::string_view id, std::optional<int> if_match) override {
      return store_.DoDelete(type, id, if_match);
    }
    Result<SearchPage> Search(const SearchQuery& query) override { return store_.Search(query); }
    void LockKey(std::string_view key) override { store_.locked_keys.emplace_back(key); }
    RegistryTransaction& Registry() override { return store_.registry; }
    Status AppendAudit(const AuditRecord& record) override {
      store_.audit.push_back(record);
      return Ok();
    }

   private:
    FakeStore& store_;
  };

  static std::string Key(std::string_view type, std::string_view id) {
    return std::string(type) + "/" + std::string(id);
  }

  std::string Now() {
    ++sequence_;
    char buf[40];
    std::snprintf(buf, sizeof buf, "2026-11-23T10:%02d:%02d.123Z", (sequence_ / 60) % 60, sequence_ % 60);
    return buf;
  }

  static Result<SearchPage> Page(const std::vector<StoredResource>& all, int offset, int count, bool want_total) {
    SearchPage page;
    if (want_total) page.total = static_cast<long>(all.size());
    for (size_t i = static_cast<size_t>(offset); i < all.size() && page.resources.size() < static_cast<size_t>(count);
         ++i) {
      page.resources.push_back(all[i]);
    }
    page.has_more = static_cast<size_t>(offset) + page.resources.size() < all.size();
    return page;
  }

  static bool Matches(const Entry& e, const SearchQuery& query) {
    for (const auto& criterion : query.criteria) {
      bool any = false;
      for (const auto& value : criterion.any_of) {
        if (criterion.kind == SearchKind::id) {
          any = any || e.resource.id == value.value;
        } else if (criterion.kind == SearchKind::token) {
          for (const auto& t : e.index.tokens) {
            if (t.param == criterion.param && t.code == value.value && (!value.system || *value.system == t.system)) {
              any = true;
            }
          }
        } else {
          any = true;  // not modelled by the fake
        }
      }
      if (!any) return false;
    }
    return true;
  }

  Result<StoredResource> ReadLatest(std::string_view type, std::string_view id) {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound(std::string(type) + " finns inte (not found)");
    if (it->second.back().resource.deleted) return Error::Gone("deleted");
    return it->second.back().resource;
  }

  Result<WriteOutcome> DoWrite(const WriteRequest& request) {
    std::string id = request.id;
    if (id.empty()) id = "gen-" + std::to_string(++next_id_);
    auto& versions = data_[Key(request.type, id)];
    const bool exists = !versions.empty();
    const bool live = exists && !versions.back().resource.deleted;
    if (request.must_not_exist && live) return Error::Conflict("exists");
    if (request.if_match && (!live || versions.back().resource.version != *request.if_match)) {
      if (!exists) data_.erase(Key(request.type, id));
      return Error::PreconditionFailed("version mismatch");
    }
    for (const auto& u : request.index.unique) {
      for (const auto& [key, other] : data_) {
        if (key == Key(request.type, id) || other.empty() || other.back().resource.deleted) continue;
        for (const auto& ou : other.back().index.unique) {
          if (ou.system == u.system && ou.code == u.code) {
            if (!exists) data_.erase(Key(request.type, id));
            return Error::Conflict("identifier already in use");
          }
        }
      }
    }
    VersionInfo info{id, exists ? versions.back().resource.version + 1 : 1, Now()};
    Entry entry;
    entry.resource.type = request.type;
    entry.resource.id = id;
    entry.resource.version = info.version;
    entry.resource.last_updated = info.last_updated;
    entry.resource.json = request.render(info);
    entry.index = request.index;
    versions.push_back(entry);
    return WriteOutcome{entry.resource, !live};
  }

  Result<StoredResource> DoDelete(std::string_view type, std::string_view id, std::optional<int> if_match) {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound("not found");
    auto& versions = it->second;
    if (if_match && versions.back().resource.version != *if_match) return Error::PreconditionFailed("mismatch");
    Entry tomb;
    tomb.resource = versions.back().resource;
    tomb.resource.version += 1;
    tomb.resource.deleted = true;
    tomb.resource.json.clear();
    tomb.resource.last_updated = Now();
    versions.push_back(tomb);
    return tomb.resource;
  }

  std::map<std::string, std::vector<Entry>> data_;

 public:
  FakeRegistry registry;
  std::vector<AuditRecord> audit;
  Status AppendAudit(const AuditRecord& record) override {
    audit.push_back(record);
    return Ok();
  }
  int next_id_ = 0;
  int sequence_ = 0;
};

// ---------------------------------------------------------------- helpers

const std::string kBase = "https://localhost:8443/fhir";
constexpr const char* kPnr = "197106254787";

const std::string kPatient = R"({"resourceType":"Patient",
  "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}],
  "name":[{"family":"Åberg","given":["Anna"]}],"gender":"female","birthDate":"1971-06-25"})";

HttpRequest Req(std::string method, std::string path, std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.base_url = kBase;
  r.request_id = "test";
  // Routing is under test here, not the access policy (auth/ has its table test): an admin caller.
  r.caller.hsa_id = "SE2321000016-A001";
  r.caller.role = "admin";
  if (!r.body.empty()) r.headers["content-type"] = "application/fhir+json";
  return r;
}

std::string HeaderValue(const HttpResponse& response, const std::string& name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return {};
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << "not valid JSON: " << text;
  return doc;
}

// An error response: the status, a FHIR JSON content type, and an OperationOutcome with an error issue.
std::string ExpectOutcome(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(HeaderValue(response, "Content-Type"), kFhirJson);
  rapidjson::Document doc = ParseJson(response.body);
  if (!doc.IsObject()) {
    ADD_FAILURE() << "not an object: " << response.body;
    return {};
  }
  EXPECT_TRUE(doc.HasMember("resourceType") && doc["resourceType"].IsString() &&
              std::string(doc["resourceType"].GetString()) == "OperationOutcome")
      << response.body;
  if (!doc.HasMember("issue") || !doc["issue"].IsArray() || doc["issue"].Empty()) {
    ADD_FAILURE() << "no issue: " << response.body;
    return {};
  }
  const auto& issue = doc["issue"][0];
  EXPECT_STREQ(issue["severity"].GetString(), "error");
  EXPECT_TRUE(issue["diagnostics"].IsString());
  EXPECT_GT(issue["diagnostics"].GetStringLength(), 0u);
  return issue["code"].GetString();
}

class Router : public ::testing::Test {
 protected:
  Router() : api_(store_, ApiOptions{"1.2.3", {}}) {}

  HttpResponse Do(const HttpRequest& request) { return api_.Handle(request); }

  // Creates a Patient and returns its id.
  std::string CreatePatient(const std::string& body = kPatient) {
    HttpResponse r = Do(Req("POST", "/Patient", body));
    EXPECT_EQ(r.status, 201) << r.body;
    rapidjson::Document doc = ParseJson(r.body);
    return doc.IsObject() && doc.HasMember("id") ? doc["id"].GetString() : std::string();
  }

  FakeStore store_;
  FhirApi api_;
};

// ---------------------------------------------------------------- metadata and routing

TEST_F(Router, MetadataIsTheCapabilityStatement) {
  HttpResponse r = Do(Req("GET", "/metadata"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderValue(r, "Content-Type"), kFhirJson);
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "CapabilityStatement");
  EXPECT_STREQ(doc["software"]["version"].GetString(), "1.2.3");
  EXPECT_STREQ(doc["implementation"]["url"].GetString(), kBase.c_str());
  EXPECT_EQ(store_.transactions, 0);
}

TEST_F(Router, MetadataWithJsonFormatAndPostIsNotAllowed) {
  HttpRequest r = Req("GET", "/metadata");
  r.query.emplace_back("_format", "json");
  r.headers["accept"] = "application/fhir+json";
  EXPECT_EQ(Do(r).status, 200);
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/metadata", "{}")), 405), "not-supported");
}

TEST_F(Router, UnknownTypeIs404) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Foo")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Foo/1")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Observation", "{}")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/patient/1")), 404), "not-found");
}

TEST_F(Router, UnknownPathBelowAnInstanceIs404) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/foo")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/1/extra")), 404), "not-found");
}

TEST_F(Router, UnsupportedMethodsAndFormsAre405Or415Or400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("PATCH", "/Patient", "[]")), 405), "not-supported");
  // PATCH takes JSON Patch only; a FHIR JSON body is not a patch.
  EXPECT_EQ(ExpectOutcome(Do(Req("PATCH", "/Patient/p1", "[]")), 415), "not-supported");
  // A conditional delete needs criteria: without them it would name every Patient.
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/_search")), 405), "not-supported");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient/p1/_history/1", "{}")), 405), "not-supported");
}

TEST_F(Router, MethodNotAllowedCarriesAllowHeader) {
  // RFC 9110 15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
  HttpResponse r = Do(Req("PATCH", "/Patient", "[]"));
  ASSERT_EQ(r.status, 405);
  if (HeaderValue(r, "Allow").empty()) {
    FAIL() << "regression: fhir/http/router.cpp MethodNotAllowed sends 405 without an Allow header";
  }
  EXPECT_NE(HeaderValue(r, "Allow").find("POST"), std::string::npos);
}

TEST_F(Router, BodyTooLargeIs413) {
  HttpRequest r = Req("POST", "/Patient", "{\"resourceType\":\"Patient\"");
  r.body_too_large = true;
  EXPECT_EQ(ExpectOutcome(Do(r), 413), "too-costly");
  EXPECT_EQ(store_.transactions, 0);
}

TEST_F(Router, XmlAcceptIs406) {
  HttpRequest r = Req("GET", "/Patient/p1");
  r.headers["accept"] = "application/fhir+xml";
  EXPECT_EQ(ExpectOutcome(Do(r), 406), "not-supported");
  HttpRequest f = Req("GET", "/metadata");
  f.query.emplace_back("_format", "xml");
  EXPECT_EQ(ExpectOutcome(Do(f), 406), "not-supported");
  HttpRequest post = Req("POST", "/Patient", kPatient);
  post.headers["accept"] = "application/xml";
  EXPECT_EQ(ExpectOutcome(Do(post), 406), "not-supported");
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, LenientAcceptIsServed) {
  HttpRequest r = Req("GET", "/metadata");
  r.headers["accept"] = "application/fhir+json;q=0.9, */*";
  EXPECT_EQ(Do(r).status, 200);
}

TEST_F(Router, XmlOrMissingContentTypeIs415) {
  HttpRequest xml = Req("POST", "/Patient", "<Patient xmlns=\"http://hl7.org/fhir\"/>");
  xml.headers["content-type"] = "application/fhir+xml";
  EXPECT_EQ(ExpectOutcome(Do(xml), 415), "not-supported");
  HttpRequest none = Req("POST", "/Patient", kPatient);
  none.headers.erase("content-type");
  EXPECT_EQ(ExpectOutcome(Do(none), 415), "not-supported");
  HttpRequest put = Req("PUT", "/Patient/p1", kPatient);
  put.headers["content-type"] = "text/xml";
  EXPECT_EQ(ExpectOutcome(Do(put), 415), "not-supported");
  HttpRequest plain_json = Req("POST", "/Patient", kPatient);
  plain_json.headers["content-type"] = "application/json";
  EXPECT_EQ(Do(plain_json).status, 201);
}

TEST_F(Router, MalformedJsonIs400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", "{\"resourceType\":\"Patient\",")), 400), "structure");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", "[1,2]")), 400), "structure");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", R"({"resourceType":"Organization"})")), 400), "invalid");
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, DeeplyNestedBodyIs400) {
  std::string body = R"({"resourceType":"Patient","extension":[{"url":"u","x":)";
  for (int i = 0; i < 100000; ++i) body += "[";
  for (int i = 0; i < 100000; ++i) body += "]";
  body += "}]}";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", body)), 400), "structure");
}

TEST_F(Router, InvalidPersonnummerIs422WithoutTheNumber) {
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})"));
  EXPECT_EQ(ExpectOutcome(r, 422), "value");
  EXPECT_EQ(r.body.find("197106254788"), std::string::npos) << r.body;
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, ErrorTextsStayValidUtf8) {
  // The resourceType echoed in the error text is cut to 64 bytes; here that falls inside an "Å".
  std::string type = "a";
  for (int i = 0; i < 40; ++i) type += "Å";
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":")" + type + "\"}"));
  ASSERT_EQ(r.status, 400);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str(), r.body.size());
  HttpResponse path = Do(Req("GET", "/" + type));
  ASSERT_EQ(path.status, 404);
  rapidjson::Document path_doc;
  path_doc.Parse<rapidjson::kParseValidateEncodingFlag>(path.body.c_str(), path.body.size());
  if (doc.HasParseError() || path_doc.HasParseError()) {
    FAIL() << "regression: OperationOutcome bodies carry invalid UTF-8 when an echoed client value is cut "
                    "mid-character: fhir/resources/resource_mapper.cpp PrepareResource resource_type.substr(0, 64) "
                    "(resourceType mismatch) and fhir/http/router.cpp segments[0].substr(0, 64) (unknown type); "
                    "same pattern for _format value.substr(0, 40) in http_util.cpp and method.substr(0, 16)";
  }
  ExpectOutcome(r, 400);
  ExpectOutcome(path, 404);
}

// ---------------------------------------------------------------- create / read / vread

TEST_F(Router, CreateReturns201WithLocationEtagAndBody) {
  HttpResponse r = Do(Req("POST", "/Patient", kPatient));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"1\"");
  EXPECT_EQ(HeaderValue(r, "Content-Type"), kFhirJson);
  EXPECT_FALSE(HeaderValue(r, "Last-Modified").empty());
  EXPECT_NE(HeaderValue(r, "Last-Modified").find("GMT"), std::string::npos);
  rapidjson::Document doc = ParseJson(r.body);
  ASSERT_TRUE(doc.IsObject());
  const std::string id = doc["id"].GetString();
  EXPECT_TRUE(IsValidId(id));
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/1");
  EXPECT_STREQ(doc["resourceType"].GetString(), "Patient");
  EXPECT_STREQ(doc["meta"]["versionId"].GetString(), "1");
  EXPECT_STREQ(doc["identifier"][0]["system"].GetString(), systems::kPersonnummer);
  EXPECT_EQ(store_.Count("Patient"), 1u);
}

TEST_F(Router, CreateIgnoresBodyId) {
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":"Patient","id":"chosen-by-client"})"));
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(HeaderValue(r, "Location").find("chosen-by-client"), std::string::npos);
}

TEST_F(Router, PreferMinimalAndOperationOutcome) {
  HttpRequest minimal = Req("POST", "/Organization", R"({"resourceType":"Organization","name":"VC"})");
  minimal.headers["prefer"] = "return=minimal";
  HttpResponse m = Do(minimal);
  EXPECT_EQ(m.status, 201);
  EXPECT_TRUE(m.body.empty());
  EXPECT_FALSE(HeaderValue(m, "Location").empty());
  EXPECT_EQ(HeaderValue(m, "ETag"), "W/\"1\"");

  HttpRequest oo = Req("POST", "/Organization", R"({"resourceType":"Organization","name":"VC 2"})");
  oo.headers["prefer"] = "return=OperationOutcome";
  HttpResponse o = Do(oo);
  EXPECT_EQ(o.status, 201);
  rapidjson::Document doc = ParseJson(o.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(doc["issue"][0]["severity"].GetString(), "information");
}

TEST_F(Router, ReadAndVread) {
  const std::string id = CreatePatient();
  ASSERT_FALSE(id.empty());
  HttpResponse read = Do(Req("GET", "/Patient/" + id));
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(HeaderValue(read, "ETag"), "W/\"1\"");
  EXPECT_TRUE(HeaderValue(read, "Location").empty());
  EXPECT_STREQ(ParseJson(read.body)["id"].GetString(), id.c_str());
  HttpResponse vread = Do(Req("GET", "/Patient/" + id + "/_history/1"));
  EXPECT_EQ(vread.status, 200);
  EXPECT_EQ(vread.body, read.body);
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + id + "/_history/2")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/nobody")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Organization/" + id)), 404), "not-found");
}

TEST_F(Router, BadIdsAre400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/bad id")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + std::string(65, 'a'))), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/a_b")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient/bad id")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/bad id", R"({"resourceType":"Patient","id":"bad id"})")), 400),
            "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/abc")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/-1")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/1234567890")), 400), "invalid");
  EXPECT_EQ(store_.transactions, 0);
}

// ---------------------------------------------------------------- update / delete

TEST_F(Router, UpdateWithIfMatch) {
  const std::string id = CreatePatient();
  const std::string body = R"({"resourceType":"Patient","id":")" + id + R"(","gender":"male"})";
  HttpRequest put = Req("PUT", "/Patient/" + id, body);
  put.headers["if-match"] = "W/\"1\"";
  HttpResponse r = Do(put);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/2");
  EXPECT_STREQ(ParseJson(r.body)["meta"]["versionId"].GetString(), "2");
  // the same If-Match again is now stale
  EXPECT_EQ(ExpectOutcome(Do(put), 412), "conflict");
  HttpRequest junk = put;
  junk.headers["if-match"] = "junk";
  EXPECT_EQ(ExpectOutcome(Do(junk), 400), "invalid");
}

TEST_F(Router, UpdateIdRules) {
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient","id":"p2"})")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient"})")), 400), "invalid");
  // update as create
  HttpResponse created = Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient","id":"p1"})"));
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(HeaderValue(created, "Location"), kBase + "/Patient/p1/_history/1");
}

TEST_F(Router, DeleteThenReadIsGone) {
  const std::string id = CreatePatient();
  HttpResponse del = Do(Req("DELETE", "/Patient/" + id));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(HeaderValue(del, "ETag"), "W/\"2\"");
  EXPECT_STREQ(ParseJson(del.body)["resourceType"].GetString(), "OperationOutcome");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + id)), 410), "deleted");
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient/nobody")), 404), "not-found");
}

TEST_F(Router, DuplicatePersonnummerIs409) {
  CreatePatient();
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", kPatient)), 409), "conflict");
  EXPECT_EQ(store_.Count("Patient"), 1u);
}

TEST_F(Router, ConditionalCreateReturnsTheExistingMatch) {
  const std::string id = CreatePatient();
  HttpRequest again = Req("POST", "/Patient", kPatient);
  again.headers["if-none-exist"] = std::string("identifier=") + systems::kPersonnummer + "|" + kPnr;
  HttpResponse r = Do(again);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/1");
  EXPECT_EQ(store_.Count("Patient"), 1u);
  ASSERT_FALSE(store_.locked_keys.empty());
  // the lock key does not depend on the alias the client used
  HttpRequest alias = again;
  alias.headers["if-none-exist"] = std::string("identifier=urn:oid:1.2.752.129.2.1.3.1|") + kPnr;
  EXPECT_EQ(Do(alias).status, 200);
  EXPECT_EQ(store_.locked_keys.back(), store_.locked_keys.front());

  HttpRequest empty = again;
  empty.headers["if-none-exist"] = "_count=1";
  EXPECT_EQ(ExpectOutcome(Do(empty), 400), "invalid");
  HttpRequest unknown = again;
  unknown.headers["if-none-exist"] = "nonsense=1";
  ExpectOutcome(Do(unknown), 400);
}

// ---------------------------------------------------------------- search and history

TEST_F(Router, SearchReturnsASearchset) {
  CreatePatient();
  HttpRequest search = Req("GET", "/Patient");
  search.query = {{"gender", "female"}, {"_format", "json"}};
  HttpResponse r = Do(search);
  EXPECT_EQ(r.status, 200);
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "searchset");
  EXPECT_EQ(doc["total"].GetInt64(), 1);
  ASSERT_EQ(doc["entry"].Size(), 1u);
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "match");
  const std::string self = doc["link"][0]["url"].GetString();
  EXPECT_EQ(self.rfind(kBase + "/Patient?", 0), 0u) << self;
  EXPECT_EQ(self.find("_format"), std::string::npos) << self;
}

TEST_F(Router, UnknownSearchParameterStrictAndLenient) {
  HttpRequest lenient = Req("GET", "/Organization");
  lenient.query = {{"shoe-size", "42"}};
  HttpResponse l = Do(lenient);
  EXPECT_EQ(l.status, 200);
  rapidjson::Document doc = ParseJson(l.body);
  ASSERT_EQ(doc["entry"].Size(), 1u);
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "outcome");
  EXPECT_STREQ(doc["entry"][0]["resource"]["resourceType"].GetString(), "OperationOutcome");

  HttpRequest strict = lenient;
  strict.headers["prefer"] = "handling=strict";
  ExpectOutcome(Do(strict), 400);
}

TEST_F(Router, PostSearch) {
  CreatePatient();
  HttpRequest form = Req("POST", "/Patient/_search", "gender=female");
  form.headers["content-type"] = "application/x-www-form-urlencoded";
  HttpResponse r = Do(form);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ParseJson(r.body)["total"].GetInt64(), 1);
  HttpRequest json = Req("POST", "/Patient/_search", "{}");
  EXPECT_EQ(ExpectOutcome(Do(json), 415), "not-supported");
}

TEST_F(Router, InstanceTypeAndSystemHistory) {
  const std::string id = CreatePatient();
  HttpRequest put = Req("PUT", "/Patient/" + id, R"({"resourceType":"Patient","id":")" + id + R"("})");
  ASSERT_EQ(Do(put).status, 200);
  for (const std::string& path : {"/Patient/" + id + "/_history", std::string("/Patient/_history"),
                                  std::string("/_history")}) {
    SCOPED_TRACE(path);
    HttpResponse r = Do(Req("GET", path));
    EXPECT_EQ(r.status, 200) << r.body;
    rapidjson::Document doc = ParseJson(r.body);
    EXPECT_STREQ(doc["type"].GetString(), "history");
    ASSERT_EQ(doc["entry"].Size(), 2u);
    EXPECT_STREQ(doc["entry"][0]["request"]["method"].GetString(), "PUT");
    EXPECT_STREQ(doc["entry"][1]["request"]["method"].GetString(), "POST");
  }
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/nobody/_history")), 404), "not-found");
  HttpRequest bad_count = Req("GET", "/_history");
  bad_count.query = {{"_count", "ten"}};
  ExpectOutcome(Do(bad_count), 400);
  HttpRequest bad_since = Req("GET", "/_history");
  bad_since.query = {{"_since", "yesterday"}};
  ExpectOutcome(Do(bad_since), 400);
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/_history")), 405), "not-supported");
}

TEST_F(Router, VersionIdZeroIsRejected) {
  // The router's own message says "versionId must be a positive integer"; 0 reaches the store instead.
  HttpResponse r = Do(Req("GET", "/Patient/x/_history/0"));
  if (r.status != 400) {
    FAIL() << "regression: fhir/http/router.cpp vread accepts versionId 0 (only digits are checked), answers "
                 << r.status << " instead of 400";
  }
  EXPECT_EQ(ExpectOutcome(r, 400), "invalid");
}

// With _count=0 (or _summary=count) a page holds nothing, so a "next" link with the same offset sends a
// client that follows next links round in a loop.
bool HasLoopingNext(const rapidjson::Document& doc) {
  std::string self, next;
  for (const auto& link : doc["link"].GetArray()) {
    if (std::string(link["relation"].GetString()) == "self") self = link["url"].GetString();
    if (std::string(link["relation"].GetString()) == "next") next = link["url"].GetString();
  }
  return !next.empty() && next == self;
}

TEST_F(Router, CountZeroHasNoLoopingNextLink) {
  CreatePatient();
  HttpRequest search = Req("GET", "/Patient");
  search.query = {{"_count", "0"}};
  HttpResponse s = Do(search);
  ASSERT_EQ(s.status, 200) << s.body;
  rapidjson::Document search_doc = ParseJson(s.body);
  EXPECT_EQ(search_doc["total"].GetInt64(), 1);
  EXPECT_EQ(search_doc["entry"].Size(), 0u);
  HttpRequest summary = Req("GET", "/Patient");
  summary.query = {{"_summary", "count"}};
  rapidjson::Document summary_doc = ParseJson(Do(summary).body);
  HttpRequest history = Req("GET", "/_history");
  history.query = {{"_count", "0"}};
  HttpResponse h = Do(history);
  ASSERT_EQ(h.status, 200) << h.body;
  rapidjson::Document history_doc = ParseJson(h.body);
  EXPECT_FALSE(HasLoopingNext(search_doc)) << s.body;
  EXPECT_FALSE(HasLoopingNext(summary_doc));
  if (HasLoopingNext(history_doc)) {
    FAIL() << "regression: GET _history?_count=0 links next == self: the PostgreSQL History reports has_more "
                    "when count is 0 (LIMIT count+1 returns a row) and fhir/http/router.cpp PageLinks emits next "
                    "without checking count > 0";
  }
}

TEST_F(Router, BaseTakesOnlyTransactionOrBatchBundles) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/")), 405), "not-supported");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", kPatient)), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"collection"})")), 422), "value");
  HttpResponse empty = Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"transaction"})"));
  EXPECT_EQ(empty.status, 200) << empty.body;
  EXPECT_STREQ(ParseJson(empty.body)["type"].GetString(), "transaction-response");
}

}  // namespace
}  // namespace nara::fhir

namespace nara::fhir {
namespace {

// ---------------------------------------------------------------- access policy and audit

TEST_F(Router, WritesAndReadsOfPatientDataAreAuditedOnce) {
  const std::string id = CreatePatient();
  ASSERT_EQ(store_.audit.size(), 1u);
  EXPECT_EQ(store_.audit[0].action, "create");
  EXPECT_EQ(store_.audit[0].patient_ids, std::vector<std::string>{id});
  EXPECT_EQ(store_.audit[0].outcome, "success");
  EXPECT_EQ(store_.audit[0].agent_hsa_id, "SE2321000016-A001");
  ASSERT_EQ(Do(Req("GET", "/Patient/" + id)).status, 200);
  ASSERT_EQ(store_.audit.size(), 2u);
  EXPECT_EQ(store_.audit[1].action, "read");
  EXPECT_EQ(store_.audit[1].resource_ids, std::vector<std::string>{id});
  // Directory data is not patient data: no record.
  ASSERT_EQ(Do(Req("GET", "/metadata")).status, 200);
  EXPECT_EQ(store_.audit.size(), 2u);
}

TEST_F(Router, ARoleThatMayNotReadPatientsIsRefusedAndTheRefusalAudited) {
  const std::string id = CreatePatient();
  HttpRequest read = Req("GET", "/Patient/" + id);
  read.caller.role = "statistics";
  read.caller.hsa_id = "SE2021005521-S001";
  EXPECT_EQ(ExpectOutcome(Do(read), 403), "forbidden");
  ASSERT_EQ(store_.audit.size(), 2u);
  EXPECT_EQ(store_.audit[1].outcome, "refused");
  EXPECT_EQ(store_.audit[1].http_status, 403);
  EXPECT_EQ(store_.audit[1].agent_hsa_id, "SE2021005521-S001");
}

TEST_F(Router, AnUnknownCallerIsRefusedBeforeRouting) {
  HttpRequest read = Req("GET", "/Patient/abc");
  read.caller.role.clear();
  HttpResponse r = api_.Refuse(read, Error{ErrorKind::forbidden, "forbidden", "okänt HSA-id (unknown caller)", {}});
  EXPECT_EQ(ExpectOutcome(r, 403), "forbidden");
  ASSERT_EQ(store_.audit.size(), 1u);
  EXPECT_EQ(store_.audit[0].outcome, "refused");
  EXPECT_EQ(store_.audit[0].resource_ids, std::vector<std::string>{"abc"});
}

}  // namespace
}  // namespace nara::fhir

// ---------------------------------------------------------------- PATCH, conditional writes, Bundles
namespace nara::fhir {
namespace {

HttpRequest PatchReq(const std::string& path, const std::string& patch) {
  HttpRequest r = Req("PATCH", path, patch);
  r.headers["content-type"] = "application/json-patch+json";
  return r;
}

std::string Family(const std::string& patient_json) {
  rapidjson::Document doc = ParseJson(patient_json);
  return doc["name"][0]["family"].GetString();
}

TEST_F(Router, PatchChangesOneElementAsANewVersion) {
  const std::string id = CreatePatient();
  HttpResponse r = Do(PatchReq("/Patient/" + id, R"([{"op":"test","path":"/name/0/family","value":"Åberg"},
      {"op":"replace","path":"/name/0/family","value":"Berg"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(Family(r.body), "Berg");
  auto stored = store_.Read("Patient", id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(Family(stored->json), "Berg");
  // The identifier is untouched and still canonical.
  EXPECT_NE(stored->json.find("http://electronichealth.se/identifier/personnummer"), std::string::npos);
}

TEST_F(Router, PatchIsCheckedLikeAPut) {
  const std::string id = CreatePatient();
  // A failed test op changes nothing: 422 processing.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"([{"op":"test","path":"/gender","value":"male"},
      {"op":"replace","path":"/gender","value":"other"}])")), 422), "processing");
  // The patched resource breaks a rule (a personnummer with a wrong check digit): 422 value.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id,
                                      R"([{"op":"replace","path":"/identifier/0/value","value":"197106254788"}])")),
                          422), "value");
  // Changing the id is not an update of this resource.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"([{"op":"replace","path":"/id","value":"other"}])")), 400),
            "invalid");
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"({"op":"add"})")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/nobody", R"([])")), 404), "not-found");
  HttpRequest stale = PatchReq("/Patient/" + id, R"([{"op":"remove","path":"/gender"}])");
  stale.headers["if-match"] = "W/\"7\"";
  EXPECT_EQ(ExpectOutcome(Do(stale), 412), "conflict");
  auto stored = store_.Read("Patient", id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version, 1) << "no refused patch may write a version";
}

TEST_F(Router, ConditionalUpdateCreatesThenUpdatesTheOneMatch) {
  HttpRequest put = Req("PUT", "/Patient", kPatient);
  put.query = {{"identifier", std::string(systems::kPersonnummer) + "|" + kPnr}};
  HttpResponse first = Do(put);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = ParseJson(first.body)["id"].GetString();
  HttpResponse second = Do(put);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(std::string(ParseJson(second.body)["id"].GetString()), id);
  EXPECT_EQ(HeaderValue(second, "ETag"), "W/\"2\"");
  EXPECT_EQ(store_.Count("Patient"), 1u);
  EXPECT_FALSE(store_.locked_keys.empty()) << "a conditional write must serialise on its criteria";
  // A body naming another id than the match is refused.
  HttpRequest wrong = put;
  wrong.body = R"({"resourceType":"Patient","id":"someone-else",
    "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]})";
  EXPECT_EQ(ExpectOutcome(Do(wrong), 400), "invalid");
}

TEST_F(Router, ConditionalDeleteDeletesTheMatchOrNothing) {
  const std::string id = CreatePatient();
  HttpRequest del = Req("DELETE", "/Patient");
  del.query = {{"identifier", std::string(systems::kPersonnummer) + "|" + kPnr}};
  HttpResponse r = Do(del);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(Do(Req("GET", "/Patient/" + id)).status, 410);
  HttpResponse again = Do(del);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("nothing matched"), std::string::npos);
}

const std::string kTwoUnits = R"({"resourceType":"Bundle","type":"transaction","entry":[
  {"fullUrl":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000001",
   "resource":{"resourceType":"Organization","name":"Region Test"},
   "request":{"method":"POST","url":"Organization"}},
  {"fullUrl":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000002",
   "resource":{"resourceType":"Organization","name":"VC Test",
               "partOf":{"reference":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000001"}},
   "request":{"method":"POST","url":"Organization"}}]})";

TEST_F(Router, TransactionResolvesUrnUuidReferences) {
  HttpResponse r = Do(Req("POST", "/", kTwoUnits));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "transaction-response");
  ASSERT_EQ(doc["entry"].Size(), 2u);
  EXPECT_STREQ(doc["entry"][0]["response"]["status"].GetString(), "201 Created");
  const std::string region_id = doc["entry"][0]["resource"]["id"].GetString();
  const std::string part_of = doc["entry"][1]["resource"]["partOf"]["reference"].GetString();
  EXPECT_EQ(part_of, "Organization/" + region_id);
  EXPECT_NE(std::string(doc["entry"][1]["response"]["location"].GetString()).find("/_history/1"), std::string::npos);
  EXPECT_EQ(store_.Count("Organization"), 2u);
  EXPECT_EQ(store_.transactions, 1) << "a transaction Bundle is one database transaction";
}

TEST_F(Router, TransactionFailureRollsBackEverythingAndNamesTheEntry) {
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Organization","name":"VC Test"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]},
     "request":{"method":"POST","url":"Patient"}}]})";
  HttpResponse r = Do(Req("POST", "/", bundle));
  EXPECT_EQ(ExpectOutcome(r, 409), "conflict");
  EXPECT_NE(r.body.find("Bundle.entry[2]"), std::string::npos) << r.body;
  EXPECT_EQ(store_.Count("Organization"), 0u);
  EXPECT_EQ(store_.Count("Patient"), 0u);
  // A malformed entry fails the Bundle before anything is touched.
  const std::string malformed = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Organization","name":"VC"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","gender":7},"request":{"method":"POST","url":"Patient"}}]})";
  const int before = store_.transactions;
  HttpResponse bad = Do(Req("POST", "/", malformed));
  EXPECT_GE(bad.status, 400);
  EXPECT_NE(bad.body.find("Bundle.entry[1]"), std::string::npos) << bad.body;
  EXPECT_EQ(store_.transactions, before);
}

TEST_F(Router, TransactionRefusesTwoWritesOfOneResourceAndOversizedBundles) {
  const std::string twice = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"request":{"method":"DELETE","url":"Patient/a"}},{"request":{"method":"DELETE","url":"Patient/a"}}]})";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", twice)), 422), "value");
  std::string big = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + R"({"request":{"method":"GET","url":"Patient/x"}})";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", big + "]}")), 413), "too-costly");
}

TEST_F(Router, BatchEntriesSucceedOrFailAlone) {
  const std::string id = CreatePatient();
  const std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Organization","name":"VC Test"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254788"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/)" + id + R"("}},
    {"request":{"method":"GET","url":"Patient/nobody"}}]})";
  HttpResponse r = Do(Req("POST", "/", bundle));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "batch-response");
  ASSERT_EQ(doc["entry"].Size(), 4u);
  EXPECT_STREQ(doc["entry"][0]["response"]["status"].GetString(), "201 Created");
  EXPECT_STREQ(doc["entry"][1]["response"]["status"].GetString(), "422 Unprocessable Entity");
  EXPECT_STREQ(doc["entry"][1]["response"]["outcome"]["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(doc["entry"][2]["resource"]["id"].GetString(), id.c_str());
  EXPECT_STREQ(doc["entry"][3]["response"]["status"].GetString(), "404 Not Found");
  EXPECT_EQ(store_.Count("Organization"), 1u);
}

}  // namespace
}  // namespace nara::fhir
