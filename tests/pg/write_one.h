// One write in a transaction of its own, for the PostgreSQL store tests.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "registry/resource_store.h"

namespace nara::testing {

// A write of type/id whose body is only resourceType, id and meta.versionId, with these index rows.
inline WriteRequest MinimalRequest(const std::string& type, const std::string& id, IndexEntries index = {}) {
  WriteRequest request;
  request.type = type;
  request.id = id;
  request.index = std::move(index);
  request.render = [type](const VersionInfo& info) {
    return R"({"resourceType":")" + type + R"(","id":")" + info.id + R"(","meta":{"versionId":")" +
           std::to_string(info.version) + R"("}})";
  };
  return request;
}

inline Result<WriteOutcome> WriteOne(ResourceStore& store, const WriteRequest& request) {
  std::optional<WriteOutcome> out;
  Status status = store.Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(request);
    if (!written) return written.error();
    out = std::move(*written);
    return Ok();
  });
  if (!status) return status.error();
  return *out;
}

}  // namespace nara::testing
