#include "registry/ids.h"

#include <cstdint>
#include <cstdio>
#include <random>

namespace nara {

std::string NewResourceId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool IsValidId(std::string_view id) {
  constexpr size_t kMaxIdLength = 64;
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return false;
    }
  }
  // Only dots ("." and ".." above all) match the FHIR id pattern, but a URL path resolves them away:
  // no client could address such a resource.
  return id.find_first_not_of('.') != std::string_view::npos;
}

}  // namespace nara
