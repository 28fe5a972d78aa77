#include "fhir/http/http_util.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <cstdio>
#include <ctime>

#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

std::string LowerAscii(std::string text) { return Poco::toLower(text); }

bool MentionsXml(const std::string& text) { return LowerAscii(text).find("xml") != std::string::npos; }

bool IsJsonMediaType(const std::string& value) {
  const std::string v = LowerAscii(value);
  const std::string type = Poco::trim(v.substr(0, v.find(';')));
  return type == "application/fhir+json" || type == "application/json" || type == "json" || type == "text/json";
}

// The fhirVersion parameter of one media range (FHIR R4 3.1.0.1.8), quotes removed; nullopt when absent.
std::optional<std::string> FhirVersionParameter(const std::string& range) {
  for (size_t at = range.find(';'); at != std::string::npos;) {
    const size_t next = range.find(';', at + 1);
    const std::string param = range.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    const size_t eq = param.find('=');
    if (eq != std::string::npos && LowerAscii(Poco::trim(param.substr(0, eq))) == "fhirversion") {
      std::string value = Poco::trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
    at = next;
  }
  return std::nullopt;
}

// A media range that names a FHIR version other than R4 (4.0, or its patch 4.0.1): this server has
// one version, so such a range is one it cannot serve or read.
std::optional<Error> OtherFhirVersion(const std::string& range) {
  const auto version = FhirVersionParameter(range);
  if (!version || *version == "4.0" || *version == "4.0.1") return std::nullopt;
  const std::string named = SafeExcerpt(*version, 20);
  return Error{ErrorKind::not_supported, "not-supported",
               "FHIR-version " + named + " stöds inte: endast 4.0 (R4) (FHIR version " + named +
                   " is not supported: only 4.0, R4)",
               {}};
}

// An HTTP-date in any of the three forms a recipient must read (RFC 9110 5.6.7), as seconds. The form
// is told by its shape (Poco's parser is lenient and reads one form as another, wrongly): IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime
// "Sun Nov  6 08:49:37 1994".
std::optional<Poco::Timestamp> ParseHttpDate(const std::string& text) {
  const std::string trimmed = Poco::trim(text);
  const size_t comma = trimmed.find(',');
  const std::string& format = comma == std::string::npos                      ? Poco::DateTimeFormat::ASCTIME_FORMAT
                              : trimmed.find('-', comma) != std::string::npos ? Poco::DateTimeFormat::RFC850_FORMAT
                                                                              : Poco::DateTimeFormat::HTTP_FORMAT;
  Poco::DateTime parsed;
  int zone = 0;
  if (!Poco::DateTimeParser::tryParse(format, trimmed, parsed, zone)) return std::nullopt;
  parsed.makeUTC(zone);
  return parsed.timestamp();
}

}  // namespace

Preferences ParsePrefer(const std::string& header) {
  Preferences prefs;
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find_first_of(",;", start);
    if (end == std::string::npos) end = header.size();
    // RFC 7240: token [ BWS "=" BWS word ], word = token / quoted-string.
    std::string token = Poco::trim(header.substr(start, end - start));
    if (const auto eq = token.find('='); eq != std::string::npos) {
      std::string name = Poco::trim(token.substr(0, eq));
      std::string value = Poco::trim(token.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      token = name + "=" + value;
    }
    if (token == "return=minimal") prefs.return_kind = "minimal";
    else if (token == "return=representation") prefs.return_kind = "representation";
    else if (token == "return=OperationOutcome") prefs.return_kind = "OperationOutcome";
    else if (token == "handling=strict") prefs.strict = true;
    else if (token == "handling=lenient") prefs.strict = false;
    else if (token == "waitlist=true") prefs.waitlist = true;
    start = end + 1;
  }
  return prefs;
}

std::optional<Error> CheckResponseFormat(const HttpRequest& request) {
  // $report is a page for people: HTML, or CSV for Excel (fhir/http/report.h).
  const bool report = request.path == "/$report";
  for (const auto& [name, value] : request.query) {
    if (name != "_format") continue;
    if (report && (value == "html" || value == "csv" || value == "text/html" || value == "text/csv")) {
      return std::nullopt;
    }
    if (!IsJsonMediaType(value)) {
      return Error{ErrorKind::not_supported, "not-supported",
                   "_format " + SafeExcerpt(value, 40) + " stöds inte: endast JSON (only JSON is supported)", {}};
    }
    return OtherFhirVersion(value);  // _format overrides Accept (FHIR R4 3.1.0.1.9)
  }
  const std::string accept = request.Header("accept");
  if (accept.empty()) return std::nullopt;
  // Bulk export files are NDJSON (fhir/operations/bulk_export.h); a client downloading one may say so.
  const bool ndjson_ok = request.path.rfind("/$export-file/", 0) == 0;
  // Acceptable when any listed media range is JSON or a wildcard.
  bool acceptable = false;
  std::optional<Error> other_version;  // the answer when the only JSON asked for is another FHIR version
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string::npos) end = accept.size();
    const std::string range = accept.substr(start, end - start);
    const std::string item = LowerAscii(Poco::trim(range.substr(0, range.find(';'))));
    auto version_error = OtherFhirVersion(range);
    if (version_error && !other_version) other_version = std::move(version_error);
    if (item == "*/*" || item == "application/*" || (IsJsonMediaType(item) && !version_error)) acceptable = true;
    if (ndjson_ok && (item == "application/fhir+ndjson" || item == "application/ndjson")) acceptable = true;
    if (report && (item == "text/html" || item == "text/csv")) acceptable = true;
    start = end + 1;
  }
  if (acceptable) return std::nullopt;
  if (other_version) return other_version;
  return Error{ErrorKind::not_supported, "not-supported",
               std::string("Accept ") + (MentionsXml(accept) ? "XML" : "type") +
                   " stöds inte: endast application/fhir+json (only JSON is supported)",
               {}};
}

std::optional<Error> CheckRequestContentType(const HttpRequest& request) {
  const std::string type = request.Header("content-type");
  if (IsJsonMediaType(type)) return OtherFhirVersion(type);
  return Error{
      ErrorKind::not_supported,
      "not-supported",
      "Content-Type måste vara application/fhir+json" +
          std::string(type.empty() ? ", ingen angavs" : (MentionsXml(type) ? ", XML stöds inte" : "")) +
          " (Content-Type must be application/fhir+json" +
          std::string(type.empty() ? " (none was given)" : (MentionsXml(type) ? " (XML is not supported)" : "")) + ")",
      {}};
}

Result<std::optional<int>> ParseIfMatch(const std::string& header) {
  std::string text = Poco::trim(header);
  if (text.empty()) return std::optional<int>();
  if (text.rfind("W/", 0) == 0) text = text.substr(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Error::Invalid("invalid", "If-Match måste vara en ETag som W/\"3\" (If-Match must be an ETag like W/\"3\")");
  }
  return std::optional<int>(std::stoi(text));
}

std::string WeakEtag(int version) { return "W/\"" + std::to_string(version) + "\""; }

bool IfNoneMatchHits(const std::string& header, int version) {
  const std::string wanted = "\"" + std::to_string(version) + "\"";
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string::npos) end = header.size();
    std::string tag = Poco::trim(header.substr(start, end - start));
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag = tag.substr(2);
    if (tag == wanted) return true;
    start = end + 1;
  }
  return false;
}

std::string HttpDate(const std::string& rfc3339) {
  std::tm tm{};
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return {};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buf;
}

bool NotModifiedSince(const std::string& if_modified_since, const std::string& last_modified) {
  if (if_modified_since.empty()) return false;
  const auto since = ParseHttpDate(if_modified_since);
  const auto modified = ParseHttpDate(last_modified);
  if (!since || !modified || *since > Poco::Timestamp()) return false;
  return *modified <= *since;
}

QueryParams ParseQueryString(const std::string& text) {
  QueryParams params;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(start, end - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string name = pair.substr(0, eq);
      std::string value = eq == std::string::npos ? std::string() : pair.substr(eq + 1);
      // '+' means space in form encoding; decode it before percent-decoding.
      for (auto* part : {&name, &value}) {
        for (auto& ch : *part) {
          if (ch == '+') ch = ' ';
        }
      }
      std::string decoded_name, decoded_value;
      try {
        Poco::URI::decode(name, decoded_name);
        Poco::URI::decode(value, decoded_value);
      } catch (const std::exception&) {
        decoded_name = name;
        decoded_value = value;
      }
      params.emplace_back(std::move(decoded_name), std::move(decoded_value));
    }
    start = end + 1;
  }
  return params;
}

std::string EncodeQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += "&";
    std::string n, v;
    Poco::URI::encode(name, "&=+#?%", n);
    Poco::URI::encode(value, "&=+#?%", v);
    out += n + "=" + v;
  }
  return out;
}

}  // namespace nara::fhir
