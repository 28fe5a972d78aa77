#include "fhir/search/search_cursor.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <vector>

#include "fhir/resources/resource_mapper.h"
#include "fhir/search/date_param.h"

namespace nara::fhir {
namespace {

constexpr char kVersion[] = "c1";
// A text key is a value as long as a client wrote it (a family name, a unit's name): room for a few
// hundred characters of it, base64url-encoded.
constexpr size_t kMaxCursorLength = 4096;

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

// The sort keys the store reports: none (id order), "=" and any text or none (a string parameter), or
// an infinite bound or an RFC 3339 UTC instant (what PostgreSQL will take as a timestamptz: a forged
// key must be a 400, not a database error).
bool IsSortKey(const std::string& key, SortKey order) {
  if (order == SortKey::id) return key.empty();
  if (order == SortKey::text) return key.empty() || key[0] == '=';
  if (key == "infinity" || key == "-infinity") return true;
  return key.size() >= 20 && key.size() <= 40 && key[10] == 'T' && key.back() == 'Z' && ParseDateRange(key).ok();
}

// The parts of a cursor are lines, and a text key may hold a line break: escaped as \n, and the
// backslash as \\.
std::string EscapeKey(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '\\' || c == '\n') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

std::optional<std::string> UnescapeKey(const std::string& escaped) {
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      out += escaped[i];
      continue;
    }
    if (++i == escaped.size() || (escaped[i] != 'n' && escaped[i] != '\\')) return std::nullopt;
    out += escaped[i] == 'n' ? '\n' : '\\';
  }
  return out;
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
                            EscapeKey(cursor.key) + "\n" + cursor.id;
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << plain;
  encoder.close();
  return out.str();
}

Result<SearchCursor> DecodeCursor(const std::string& token, const std::string& fingerprint, SortKey order) {
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
  const std::optional<std::string> key = UnescapeKey(parts[3]);
  if (!key || !IsSortKey(*key, order) || !IsValidId(parts[4])) return BadCursor();
  SearchCursor cursor;
  cursor.before = parts[2] == "b";
  cursor.key = *key;
  cursor.id = parts[4];
  return cursor;
}

}  // namespace nara::fhir
