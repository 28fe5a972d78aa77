#include "fhir/search/search_cursor.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <vector>

#include "fhir/search/date_param.h"
#include "fhir/resources/resource_mapper.h"

namespace nara::fhir {
namespace {

constexpr char kVersion[] = "c1";
constexpr size_t kMaxCursorLength = 512;

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(current);
  return out;
}

// The sort keys the store reports: none (id order), or an infinite bound or an RFC 3339 UTC instant
// (what PostgreSQL will take as a timestamptz: a forged key must be a 400, not a database error).
bool IsSortKey(const std::string& key, bool keyed) {
  if (!keyed) return key.empty();
  if (key == "infinity" || key == "-infinity") return true;
  return key.size() >= 20 && key.size() <= 40 && key[10] == 'T' && key.back() == 'Z' && ParseDateRange(key).ok();
}

Error BadCursor() {
  return Error::Invalid("invalid",
                        "_cursor hör inte till den här sökningen (the _cursor belongs to another search or is "
                        "damaged; start again from the first page, without _cursor)");
}

}  // namespace

std::string SearchFingerprint(const QueryParams& canonical) {
  uint64_t hash = 1469598103934665603ULL;
  auto mix = [&](const std::string& text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    hash ^= 0xFF;  // a separator no UTF-8 text contains
    hash *= 1099511628211ULL;
  };
  for (const auto& [name, value] : canonical) {
    if (name == "_count") continue;
    mix(name);
    mix(value);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

std::string EncodeCursor(const SearchCursor& cursor, const std::string& fingerprint) {
  const std::string plain = std::string(kVersion) + "\n" + fingerprint + "\n" + (cursor.before ? "b" : "a") + "\n" +
                            cursor.key + "\n" + cursor.id;
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << plain;
  encoder.close();
  return out.str();
}

Result<SearchCursor> DecodeCursor(const std::string& token, const std::string& fingerprint, bool keyed) {
  if (token.empty() || token.size() > kMaxCursorLength) return BadCursor();
  std::string plain;
  try {
    std::istringstream in(token);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::ostringstream out;
    out << decoder.rdbuf();
    plain = out.str();
  } catch (const std::exception&) {
    return BadCursor();
  }
  const std::vector<std::string> parts = SplitLines(plain);
  if (parts.size() != 5 || parts[0] != kVersion || parts[1] != fingerprint || (parts[2] != "a" && parts[2] != "b")) {
    return BadCursor();
  }
  if (!IsSortKey(parts[3], keyed) || !IsValidId(parts[4])) return BadCursor();
  SearchCursor cursor;
  cursor.before = parts[2] == "b";
  cursor.key = parts[3];
  cursor.id = parts[4];
  return cursor;
}

}  // namespace nara::fhir
