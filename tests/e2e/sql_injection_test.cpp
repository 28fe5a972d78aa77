// SQL injection (issue 8): classic payloads in every search parameter of every resource type the
// CapabilityStatement lists, and in parameter names, against a database full of demo data. Each search
// answers as if the payload were an ordinary value: 200 with no match (a payload matches no resource)
// or a 400 OperationOutcome for a value of the wrong form — never a 5xx, never more rows, never a
// database error text; and the data is intact afterwards.
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/server_process.h"

namespace nara::e2e {
namespace {

const std::vector<std::string> kPayloads = {
    "' OR '1'='1",
    "' OR 1=1--",
    "x' OR 'a'='a' --",
    "'; DROP TABLE patient; --",
    "\" OR \"\"=\"",
    "1) OR (1=1",
    "%' OR 1=1 OR '%'='",
    "\\' OR 1=1 --",
    "' UNION SELECT NULL, NULL, NULL--",
    "'||(SELECT version())||'",
    "$1",
    "1; SELECT pg_sleep(0)--",
    "Patient/x' OR '1'='1",
    "http://electronichealth.se/identifier/personnummer|' OR '1'='1",
    "a\\b_c%d",
    std::string("a\0b", 3),  // a NUL byte: PostgreSQL text cannot hold one
    "\xC3\x28",              // invalid UTF-8
};

// Text that only a database error (or our SQL) would put into a response.
const std::vector<std::string> kLeakMarkers = {"syntax error", "pqxx", "ERROR:", "LINE 1", "SQLSTATE",
                                               "search_token", "resource_current", "relation \"", "column \""};

std::string Encode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "&=+#?/;%|,$:'\"\\ ", out);
  return out;
}

size_t EntryCount(const rapidjson::Document& doc) {
  if (!doc.IsObject() || !doc.HasMember("entry") || !doc["entry"].IsArray()) return 0;
  return doc["entry"].Size();
}

TEST(SqlInjection, EverySearchParameterTreatsPayloadsAsValues) {
  OwnServer server("sqli");
  ASSERT_TRUE(server.Migrate());
  auto [loaded, load_out] = testing::RunNara({"demo-load"}, server.Env());
  ASSERT_EQ(loaded, 0) << load_out;
  ASSERT_TRUE(server.Start());
  auto admin = server.Client("admin");
  auto [count_code, before] = testing::Psql(server.database_url(), "SELECT count(*) FROM resource_current");
  ASSERT_EQ(count_code, 0) << before;

  auto metadata = admin->Request("GET", "/fhir/metadata");
  ASSERT_EQ(metadata.status, 200);
  auto capability = Parse(metadata.body);
  const auto& resources = capability["rest"][0]["resource"];
  ASSERT_TRUE(resources.IsArray());

  int searches = 0, answered_200 = 0, answered_400 = 0;
  for (const auto& resource : resources.GetArray()) {
    const std::string type = resource["type"].GetString();
    if (!resource.HasMember("searchParam")) continue;
    // The demo has resources of this type: an injection that widened the query would return them.
    auto all = admin->Request("GET", "/fhir/" + type + "?_summary=count");
    ASSERT_EQ(all.status, 200) << type << ": " << all.body;
    for (const auto& param : resource["searchParam"].GetArray()) {
      const std::string name = param["name"].GetString();
      for (const auto& payload : kPayloads) {
        const std::string query = "/fhir/" + type + "?" + name + "=" + Encode(payload);
        auto result = admin->Request("GET", query);
        ++searches;
        const std::string where = query + " → " + std::to_string(result.status);
        ASSERT_TRUE(result.status == 200 || result.status == 400) << where << ": " << result.body.substr(0, 400);
        for (const auto& marker : kLeakMarkers) {
          EXPECT_EQ(result.body.find(marker), std::string::npos) << where << " leaks \"" << marker << "\": " << result.body;
        }
        auto doc = Parse(result.body);
        if (result.status == 200) {
          ++answered_200;
          EXPECT_EQ(At(doc, "/resourceType"), "Bundle") << where;
          EXPECT_EQ(EntryCount(doc), 0u) << where << ": a payload matched resources";
          if (doc.HasMember("total")) {
            EXPECT_EQ(doc["total"].GetInt(), 0) << where;
          }
        } else {
          ++answered_400;
          EXPECT_EQ(At(doc, "/resourceType"), "OperationOutcome") << where;
        }
      }
    }
  }
  EXPECT_GT(searches, 100);
  EXPECT_GT(answered_200, 0);
  std::printf("[sqli] %d searches: %d answered 200 with no match, %d refused 400\n", searches, answered_200,
              answered_400);

  // Payloads as parameter names: lenient ignores them (and says so), strict refuses them. With a
  // criterion beside them: alone they would widen a Patient search to everyone, which is a 400.
  for (const auto& payload : kPayloads) {
    const std::string query = "/fhir/Patient?_lastUpdated=gt2001-01-01&" + Encode(payload) + "=1&_count=1";
    auto lenient = admin->Request("GET", query);
    EXPECT_EQ(lenient.status, 200) << query << ": " << lenient.body.substr(0, 300);
    auto strict = admin->Request("GET", query, "", {{"Prefer", "handling=strict"}});
    EXPECT_EQ(strict.status, 400) << query << ": " << strict.body.substr(0, 300);
    for (const auto& marker : kLeakMarkers) {
      EXPECT_EQ(lenient.body.find(marker), std::string::npos) << query << " leaks " << marker;
      EXPECT_EQ(strict.body.find(marker), std::string::npos) << query << " leaks " << marker;
    }
  }

  // An exact control: a real family name finds its patients, the same name with a payload finds none.
  auto some = Parse(admin->Request("GET", "/fhir/Patient?_count=1").body);
  const std::string family = At(some, "/entry/0/resource/name/0/family");
  ASSERT_FALSE(family.empty());
  auto exact = Parse(admin->Request("GET", "/fhir/Patient?family:exact=" + Encode(family)).body);
  EXPECT_GE(EntryCount(exact), 1u);
  auto widened = Parse(admin->Request("GET", "/fhir/Patient?family:exact=" + Encode(family + "' OR '1'='1")).body);
  EXPECT_EQ(EntryCount(widened), 0u);

  // Nothing was changed or dropped.
  auto [after_code, after] = testing::Psql(server.database_url(), "SELECT count(*) FROM resource_current");
  ASSERT_EQ(after_code, 0) << after;
  EXPECT_EQ(after, before);
  EXPECT_TRUE(server.process().running());
}

}  // namespace
}  // namespace nara::e2e
