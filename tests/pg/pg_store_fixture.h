// The fixture and helpers of the PgStore tests (pg_store_test.cpp, pg_store_search_test.cpp,
// pg_store_concurrency_test.cpp): a fresh, migrated database per test and a store on it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "registry/resource_store.h"
#include "tests/support/concurrency.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/write_one.h"

namespace nara::pg {

using nara::testing::PgCluster;

inline constexpr const char* kPnrSystem = "http://electronichealth.se/identifier/personnummer";
inline constexpr const char* kPnr = "197106254787";

// The JSON the store is asked to keep: carries id and versionId so each version is distinguishable.
inline std::string RenderBody(const std::string& type, const VersionInfo& info, const std::string& extra = "") {
  return R"({"resourceType":")" + type + R"(","id":")" + info.id + R"(","meta":{"versionId":")" +
         std::to_string(info.version) + R"("})" + extra + "}";
}

inline WriteRequest Request(const std::string& type, const std::string& id, IndexEntries index = {},
                     const std::string& extra = "") {
  WriteRequest request;
  request.type = type;
  request.id = id;
  request.index = std::move(index);
  request.render = [type, extra](const VersionInfo& info) { return RenderBody(type, info, extra); };
  return request;
}

inline IndexEntries WithUnique(const std::string& system, const std::string& value) {
  IndexEntries index;
  index.tokens.push_back({"identifier", system, value});
  index.unique.push_back({"", system, value});
  return index;
}

inline IndexEntries WithName(const std::string& name) {
  IndexEntries index;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  index.texts.push_back({"name", name, lower});
  return index;
}

// "ok", or the error kind's name: comparable in assertions without touching a missing value.
template <typename T>
inline std::string KindOf(const Result<T>& result) {
  if (result.ok()) return "ok";
  switch (result.error().kind) {
    case ErrorKind::invalid: return "invalid";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::gone: return "gone";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::precondition_failed: return "precondition_failed";
    case ErrorKind::business_rule: return "business_rule";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::unauthenticated: return "unauthenticated";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::not_supported: return "not_supported";
  }
  return "?";
}

using nara::testing::WriteOne;

inline Result<StoredResource> DeleteOne(ResourceStore& store, const std::string& type, const std::string& id,
                                 std::optional<int> if_match = std::nullopt) {
  std::optional<StoredResource> out;
  Status status = store.Transact([&](ResourceTransaction& tx) -> Status {
    auto deleted = tx.Delete(type, id, if_match);
    if (!deleted) return deleted.error();
    out = std::move(*deleted);
    return Ok();
  });
  if (!status) return status.error();
  return *out;
}

// Searched values (registry/search_query.h) of each kind.
inline SearchValue TokenValue(std::optional<std::string> system, std::string code) {
  SearchValue v;
  v.system = std::move(system);
  v.value = std::move(code);
  return v;
}
inline SearchValue TextValue(std::string value) {
  SearchValue v;
  v.value = std::move(value);
  return v;
}
inline SearchValue RefValue(std::string type, std::string id) {
  SearchValue v;
  v.target_type = std::move(type);
  v.value = std::move(id);
  return v;
}
inline SearchValue DateValue(DatePrefix prefix, std::string start, std::string end) {
  SearchValue v;
  v.prefix = prefix;
  v.range_start = std::move(start);
  v.range_end = std::move(end);
  return v;
}

// Ids of a page, in page order.
inline std::vector<std::string> Ids(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const auto& r : page.resources) ids.push_back(r.id);
  return ids;
}

inline std::set<std::string> IdSet(const SearchPage& page) {
  std::set<std::string> ids;
  for (const auto& r : page.resources) ids.insert(r.id);
  return ids;
}

// Distinct millisecond timestamps between consecutive writes, so time filters are exact.
inline void TickClock() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

using nara::testing::RunConcurrently;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("pgstore");
    store_ = std::make_unique<PgStore>(url_, 24);
  }

  // A single value from SQL, read directly (not through the store under test).
  long long Scalar(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<long long>();
  }

  std::vector<int> StoredVersions(const std::string& type, const std::string& id) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    std::vector<int> versions;
    for (const auto& row : tx.exec_params(
             "SELECT version FROM resource_version WHERE res_type = $1 AND res_id = $2 ORDER BY version", type, id)) {
      versions.push_back(row[0].as<int>());
    }
    return versions;
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

}  // namespace nara::pg
