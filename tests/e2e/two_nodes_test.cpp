// Stateless nodes (issue 16, docs/api.md section 12): two `nara serve` processes on one database and one
// export folder (NARA_EXPORT_DIR, shared by every node) serve the same clients. A Bulk Data $export
// kicked off through one node is polled, downloaded and deleted through the other: the job's state
// lives in PostgreSQL, its files in the folder both nodes reach.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

const std::map<std::string, std::string> kAsync = {{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}};

std::string PathOf(const std::string& url) {
  const auto at = url.find("/fhir/");
  return at == std::string::npos ? url : url.substr(at);
}

TEST(TwoNodes, ExportStartedOnOneNodeIsPolledAndDownloadedOnTheOther) {
  // One database for both nodes (node b is pointed at node a's) and one export folder of their own
  // (WriteTempFile makes a fresh folder; the jobs go into a subfolder of it).
  const std::string marker = WriteTempFile("export-shared", "");
  const std::string shared_dir = marker.substr(0, marker.rfind('/')) + "/jobs";
  OwnServer node_a("twonodes", {{"NARA_EXPORT_DIR", shared_dir}});
  OwnServer node_b("twonodes-b", {{"NARA_EXPORT_DIR", shared_dir}, {"NARA_DATABASE_URL", node_a.database_url()}});
  ASSERT_TRUE(node_a.Migrate());
  ASSERT_TRUE(node_a.Start());
  ASSERT_TRUE(node_b.Start());

  auto admin_a = node_a.Client("admin");
  auto admin_b = node_b.Client("admin");
  std::set<std::string> written;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "tn-org" + std::to_string(i);
    // Written alternately through each node: one registry.
    auto& client = i % 2 == 0 ? admin_a : admin_b;
    auto put = client->Request("PUT", "/fhir/Organization/" + id,
                               reg::OrganizationJson(id, reg::UnitHsa(reg::kRegionHsa), "vardcentral"), reg::kFhirJson);
    ASSERT_EQ(put.status, 201) << put.body;
    written.insert(id);
  }

  auto kick_off = admin_a->Request("GET", "/fhir/$export?_type=Organization", "", kAsync);
  ASSERT_EQ(kick_off.status, 202) << kick_off.body;
  const std::string status_path = PathOf(kick_off.headers["content-location"]);
  ASSERT_NE(status_path.find("/fhir/$export-status/"), std::string::npos) << status_path;

  // Polled on node b (bounded by a number of polls): 202 while it runs, then the manifest.
  testing::HttpResult poll;
  for (int i = 0; i < 600; ++i) {
    poll = admin_b->Request("GET", status_path);
    if (poll.status != 202) break;
    EXPECT_FALSE(poll.headers["retry-after"].empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(poll.status, 200) << poll.body;
  auto manifest = Parse(poll.body);
  ASSERT_TRUE(manifest.HasMember("output") && manifest["output"].IsArray()) << poll.body;
  ASSERT_EQ(manifest["output"].Size(), 1u) << poll.body;
  const std::string file_url = manifest["output"][0]["url"].GetString();

  // Downloaded from node b, and from node a too: the same bytes, every Organization once.
  auto from_b = admin_b->Request("GET", PathOf(file_url), "", {{"Accept", "application/fhir+ndjson"}});
  ASSERT_EQ(from_b.status, 200) << from_b.body;
  auto from_a = admin_a->Request("GET", PathOf(file_url), "", {{"Accept", "application/fhir+ndjson"}});
  ASSERT_EQ(from_a.status, 200) << from_a.body;
  EXPECT_EQ(from_a.body, from_b.body);
  std::set<std::string> exported;
  size_t start = 0;
  while (start < from_b.body.size()) {
    size_t end = from_b.body.find('\n', start);
    if (end == std::string::npos) end = from_b.body.size();
    rapidjson::Document line;
    line.Parse(from_b.body.c_str() + start, end - start);
    ASSERT_FALSE(line.HasParseError());
    EXPECT_TRUE(exported.insert(At(line, "/id")).second) << "twice: " << At(line, "/id");
    start = end + 1;
  }
  EXPECT_EQ(exported, written);

  // Deleted through node b: gone for node a as well (state and files).
  auto deleted = admin_b->Request("DELETE", status_path);
  EXPECT_EQ(deleted.status, 202) << deleted.body;
  EXPECT_EQ(admin_a->Request("GET", status_path).status, 404);
  EXPECT_EQ(admin_a->Request("GET", PathOf(file_url), "", {{"Accept", "application/fhir+ndjson"}}).status, 404);
}

}  // namespace
}  // namespace nara::e2e
