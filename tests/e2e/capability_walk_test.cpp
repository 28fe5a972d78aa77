// The CapabilityStatement tells the truth (docs/api.md section 1): a client walks GET /metadata and calls
// every interaction, search parameter, include and operation it lists, as the admin role, with
// `Prefer: handling=strict` so that a parameter the server does not really support is a 400 here
// instead of being silently ignored. An operation this walk does not know how to call fails the
// test: whoever adds one adds its sample call below.
#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>
#include <string>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

std::string Encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// A value of the parameter's FHIR type that any server supporting the parameter must accept.
std::string SampleValue(const std::string& name, const std::string& type) {
  static const std::map<std::string, std::string> kByName = {
      {"active", "true"}, {"has-free-capacity", "true"}, {"gender", "female"}, {"status", "active"},
      {"_lastUpdated", "ge2020-01-01"}, {"_id", "x"}};
  if (auto it = kByName.find(name); it != kByName.end()) return it->second;
  if (type == "date") return "2026-01-01";
  if (type == "string") return "a";
  if (type == "reference") return "x";
  return "x";  // token
}

TEST(CapabilityWalk, EverythingListedAnswersAsListed) {
  reg::World w("cw");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc, "lakare", 10);
  const std::string patient = w.Patient("p1");
  w.Require(w.List(w.Id("l1"), patient, vc, "2026-01-10"), "listing");
  auto& admin = w.admin();
  const std::map<std::string, std::string> strict = {{"Prefer", "handling=strict"}};

  // A subscription to walk Subscription with (no endpoint listens there: it ends in error, harmlessly).
  auto subscribed = admin.Request(
      "POST", "/fhir/Subscription",
      R"({"resourceType":"Subscription","status":"requested","reason":"walk",)"
      R"("criteria":"https://fhir.nara-registry.org/SubscriptionTopic/listing-change",)"
      R"("channel":{"type":"rest-hook","endpoint":"https://localhost:9/walk","payload":"application/fhir+json"}})",
      {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(subscribed.status, 201) << subscribed.body;
  const std::string subscription = At(Parse(subscribed.body), "/id");

  auto metadata = admin.Request("GET", "/fhir/metadata");
  ASSERT_EQ(metadata.status, 200);
  auto doc = Parse(metadata.body);
  const auto& rest = doc["rest"][0];
  int calls = 0;
  auto expect = [&](const std::string& method, const std::string& path, int status, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}) {
    for (const auto& [k, v] : strict) headers.emplace(k, v);
    if (!body.empty()) headers.emplace("Content-Type", "application/fhir+json");
    auto result = admin.Request(method, path, body, headers);
    ++calls;
    EXPECT_EQ(result.status, status) << method << " " << path << " → " << result.body.substr(0, 400);
    return result;
  };

  // Bulk Data kick-off: 202 with a status URL, then cancelled so the walk holds no export place.
  auto kick_off = [&](const std::string& path) {
    auto started = expect("GET", path + "?_type=Organization", 202, "", {{"Prefer", "respond-async, handling=strict"}});
    const std::string status_url = started.headers["content-location"];
    ASSERT_NE(status_url.find("/fhir/"), std::string::npos) << path;
    auto cancelled = admin.Request("DELETE", status_url.substr(status_url.find("/fhir/")));
    EXPECT_EQ(cancelled.status, 202) << cancelled.body;
  };

  for (const auto& resource : rest["resource"].GetArray()) {
    const std::string type = resource["type"].GetString();
    std::string some_id;
    for (const auto& interaction : resource["interaction"].GetArray()) {
      const std::string code = interaction["code"].GetString();
      if (code == "search-type") {
        auto found = Parse(expect("GET", "/fhir/" + type, 200).body);
        some_id = At(found, "/entry/0/resource/id");
      } else if (code == "history-type") {
        expect("GET", "/fhir/" + type + "/_history?_count=1", 200);
      }
    }
    // Instance interactions on a resource the search found (every type has one in this world or the demo-free
    // test database, except those without search).
    for (const auto& interaction : resource["interaction"].GetArray()) {
      const std::string code = interaction["code"].GetString();
      if (some_id.empty()) break;
      if (code == "read") expect("GET", "/fhir/" + type + "/" + some_id, 200);
      if (code == "vread") expect("GET", "/fhir/" + type + "/" + some_id + "/_history/1", 200);
      if (code == "history-instance") expect("GET", "/fhir/" + type + "/" + some_id + "/_history", 200);
    }
    if (resource.HasMember("searchParam")) {
      for (const auto& param : resource["searchParam"].GetArray()) {
        const std::string name = param["name"].GetString();
        const std::string value = SampleValue(name, param["type"].GetString());
        const std::string path = "/fhir/" + type + "?";
        expect("GET", path + name + "=" + Encode(value), 200);
      }
    }
    for (const char* list : {"searchInclude", "searchRevInclude"}) {
      if (!resource.HasMember(list)) continue;
      const std::string parameter = std::string(list) == "searchInclude" ? "_include" : "_revinclude";
      for (const auto& include : resource[list].GetArray()) {
        expect("GET", "/fhir/" + type + "?" + parameter + "=" + Encode(include.GetString()), 200);
      }
    }
    if (resource.HasMember("operation")) {
      for (const auto& op : resource["operation"].GetArray()) {
        const std::string name = std::string(type) + "/$" + op["name"].GetString();
        if (name == "PractitionerRole/$list-status") {
          expect("GET", "/fhir/PractitionerRole/" + doctor + "/$list-status", 200);
        } else if (name == "Organization/$list-status") {
          expect("GET", "/fhir/Organization/" + vc + "/$list-status", 200);
        } else if (name == "Patient/$fixed-contacts") {
          expect("GET", "/fhir/Patient/$fixed-contacts?identifier=" + Encode(reg::kPersonnummerSystem + "|" + w.Pnr(patient)),
                 200);
        } else if (name == "Patient/$export" || name == "Group/$export") {
          kick_off(name == "Patient/$export" ? "/fhir/Patient/$export" : "/fhir/Group/" + some_id + "/$export");
        } else if (name == "Subscription/$status" || name == "Subscription/$events") {
          expect("GET", "/fhir/Subscription/" + subscription + "/$" + op["name"].GetString(), 200);
        } else if (name == "Measure/$evaluate-measure") {
          expect("GET", "/fhir/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-06-30", 200);
          expect("GET", "/fhir/Measure/$evaluate-measure?measure=fast-lakarkontakt-andel&periodEnd=2026-06-30", 200);
        } else {
          ADD_FAILURE() << "the CapabilityStatement lists " << name
                        << ", which this walk cannot call yet: add a sample call in tests/e2e/capability_walk_test.cpp";
        }
      }
    }
  }
  for (const auto& interaction : rest["interaction"].GetArray()) {
    const std::string code = interaction["code"].GetString();
    if (code == "history-system") {
      expect("GET", "/fhir/_history?_count=1", 200);
    } else if (code == "transaction" || code == "batch") {
      auto answer = Parse(expect("POST", "/fhir", 200, R"({"resourceType":"Bundle","type":")" + code + R"("})").body);
      EXPECT_EQ(At(answer, "/type"), code + "-response");
    } else {
      ADD_FAILURE() << "system interaction " << code << " is listed but not walked";
    }
  }
  if (rest.HasMember("operation")) {
    for (const auto& op : rest["operation"].GetArray()) {
      const std::string name = op["name"].GetString();
      if (name == "export") {
        kick_off("/fhir/$export");
      } else if (name == "report") {
        auto page = expect("GET", "/fhir/$report?periodEnd=2025-01-01", 200);
        EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
      } else {
        ADD_FAILURE() << "system operation $" << name << " is listed but not walked";
      }
    }
  }
  EXPECT_EQ(admin.Request("DELETE", "/fhir/Subscription/" + subscription).status, 204);
  EXPECT_GT(calls, 60) << "the walk should have made a call for every listed capability";
}

// Every canonical the CapabilityStatement points at (operation and search parameter definitions) is served
// here and resolves by url, and every served conformance resource reads back (so that scripts/validate-fhir
// sees each one), for every role (docs/api.md section 3, "Conformance resources").
TEST(CapabilityWalk, EveryDefinitionItPointsAtResolvesHere) {
  reg::World w("cd");
  auto& admin = w.admin();
  auto metadata = admin.Request("GET", "/fhir/metadata");
  ASSERT_EQ(metadata.status, 200);
  auto doc = Parse(metadata.body);
  const auto& rest = doc["rest"][0];
  std::vector<std::pair<std::string, std::string>> pointers;  // (type, canonical)
  auto operations = [&](const rapidjson::Value& holder) {
    if (!holder.HasMember("operation")) return;
    for (const auto& op : holder["operation"].GetArray()) pointers.push_back({"OperationDefinition", op["definition"].GetString()});
  };
  for (const auto& resource : rest["resource"].GetArray()) {
    operations(resource);
    if (!resource.HasMember("searchParam")) continue;
    for (const auto& param : resource["searchParam"].GetArray()) {
      if (param.HasMember("definition")) pointers.push_back({"SearchParameter", param["definition"].GetString()});
    }
  }
  operations(rest);
  ASSERT_GE(pointers.size(), 11u);
  for (const auto& [type, canonical] : pointers) {
    auto found = admin.Request("GET", "/fhir/" + type + "?url=" + Encode(canonical));
    ASSERT_EQ(found.status, 200) << canonical << " → " << found.body.substr(0, 300);
    auto bundle = Parse(found.body);
    ASSERT_EQ(bundle["total"].GetInt(), 1) << type << " " << canonical << " does not resolve here";
    const std::string id = At(bundle, "/entry/0/resource/id");
    auto read = admin.Request("GET", "/fhir/" + type + "/" + id);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(At(Parse(read.body), "/url"), canonical);
  }

  // Each served definition reads back as its own type, with its canonical.
  int served = 0;
  for (const char* type : {"OperationDefinition", "SearchParameter", "CodeSystem", "StructureDefinition"}) {
    auto all = admin.Request("GET", std::string("/fhir/") + type);
    ASSERT_EQ(all.status, 200) << all.body;
    auto bundle = Parse(all.body);
    ASSERT_GT(bundle["entry"].Size(), 0u) << type;
    for (const auto& entry : bundle["entry"].GetArray()) {
      const std::string id = entry["resource"]["id"].GetString();
      auto read = admin.Request("GET", std::string("/fhir/") + type + "/" + id);
      EXPECT_EQ(read.status, 200) << type << "/" << id;
      EXPECT_EQ(At(Parse(read.body), "/resourceType"), type);
      ++served;
    }
  }
  EXPECT_GE(served, 25);

  // The fast-kontakt roles the CareTeams carry resolve to their displays.
  auto roles = Parse(admin.Request("GET", "/fhir/CodeSystem?url=" + Encode("urn:oid:1.2.752.129.5.1.69")).body);
  ASSERT_EQ(roles["total"].GetInt(), 1);
  std::map<std::string, std::string> displays;
  for (const auto& concept : roles["entry"][0]["resource"]["concept"].GetArray()) {
    displays[concept["code"].GetString()] = concept["display"].GetString();
  }
  EXPECT_EQ(displays["2"], "fast läkarkontakt i primärvård");
  EXPECT_EQ(displays.size(), 4u);

  // Every role reads them; an unknown one is a 404 with an OperationOutcome.
  for (const char* role : {"ehr", "municipality", "statistics", "citizen-portal", "admin"}) {
    auto client = Server::Shared().Client(role);
    EXPECT_EQ(client->Request("GET", "/fhir/StructureDefinition/fte").status, 200) << role;
    EXPECT_EQ(client->Request("GET", "/fhir/OperationDefinition/Patient-fixed-contacts").status, 200) << role;
  }
  auto missing = admin.Request("GET", "/fhir/CodeSystem/finns-inte");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(At(Parse(missing.body), "/resourceType"), "OperationOutcome");
}

}  // namespace
}  // namespace nara::e2e
