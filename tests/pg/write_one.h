// One write in a transaction of its own, for the PostgreSQL store tests.
#pragma once

#include <optional>
#include <utility>

#include "registry/resource_store.h"

namespace nara::testing {

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
