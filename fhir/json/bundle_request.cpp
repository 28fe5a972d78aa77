#include "fhir/json/bundle_request.h"

#include <Poco/Base64Decoder.h>

#include <cctype>
#include <sstream>

#include "fhir/http/http_util.h"
#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

Result<BundleEntryRequest> ReadEntry(const rapidjson::Value& value, const HttpRequest& outer) {
  if (!value.IsObject())
    return Error::Invalid("structure", "en post måste vara ett objekt (an entry must be an object)");
  BundleEntryRequest entry;
  entry.full_url = StringMember(value, "fullUrl");
  if (!value.HasMember("request") || !value["request"].IsObject()) {
    return Error::Invalid("required",
                          "entry.request (method och url) saknas "
                          "(entry.request (method and url) is required)",
                          "request");
  }
  const auto& req = value["request"];
  entry.method = StringMember(req, "method");
  if (entry.method != "GET" && entry.method != "POST" && entry.method != "PUT" && entry.method != "PATCH" &&
      entry.method != "DELETE") {
    return Error::Invalid("value",
                          "request.method måste vara GET, POST, PUT, PATCH eller DELETE "
                          "(request.method must be GET, POST, PUT, PATCH or DELETE)",
                          "request.method");
  }
  std::string url = StringMember(req, "url");
  if (!outer.base_url.empty() && url.rfind(outer.base_url + "/", 0) == 0) url = url.substr(outer.base_url.size() + 1);
  // Only the path decides: a search url carries absolute system URIs unencoded in its query
  // (Patient?identifier=http://electronichealth.se/identifier/personnummer|…), as FHIR's examples write it.
  if (url.empty() || url[0] == '/' || url.substr(0, url.find('?')).find("://") != std::string::npos) {
    return Error::Invalid("value",
                          "request.url måste vara relativ till basen, t.ex. Patient eller Patient/123 "
                          "(request.url must be relative to the base, e.g. Patient or Patient/123)",
                          "request.url");
  }
  HttpRequest& sub = entry.request;
  sub.method = entry.method;
  sub.base_url = outer.base_url;
  sub.request_id = outer.request_id;
  sub.caller = outer.caller;
  const auto q = url.find('?');
  sub.path = "/" + url.substr(0, q);
  if (q != std::string::npos) sub.query = ParseQueryString(url.substr(q + 1));
  std::stringstream path(url.substr(0, q));
  for (std::string segment; std::getline(path, segment, '/');) {
    if (!segment.empty()) entry.segments.push_back(segment);
  }
  if (entry.segments.empty())
    return Error::Invalid("value", "request.url måste ange en resurstyp (request.url must name a resource type)",
                          "request.url");
  sub.headers["content-type"] = "application/fhir+json";
  if (const auto prefer = outer.Header("prefer"); !prefer.empty()) sub.headers["prefer"] = prefer;
  for (const auto& [field, header] : {std::pair<const char*, const char*>{"ifMatch", "if-match"},
                                      {"ifNoneExist", "if-none-exist"}}) {
    const std::string text = StringMember(req, field);
    if (!text.empty()) sub.headers[header] = text;
  }
  if (value.HasMember("resource")) {
    if (!value["resource"].IsObject())
      return Error::Invalid("structure", "entry.resource måste vara ett objekt (entry.resource must be an object)",
                            "resource");
    entry.resource = &value["resource"];
  }
  if ((entry.method == "POST" || entry.method == "PUT" || entry.method == "PATCH") && !entry.resource) {
    return Error::Invalid("required",
                          "entry.resource saknas, det krävs för " + entry.method + " (entry.resource is required for " +
                              entry.method + ")",
                          "resource");
  }
  return entry;
}

}  // namespace

Result<BundleRequest> ParseBundleRequest(std::string_view body, const HttpRequest& outer) {
  BundleRequest bundle;
  bundle.doc = std::make_unique<rapidjson::Document>();
  rapidjson::Document& doc = *bundle.doc;
  NARA_RETURN_IF_ERROR(ParseJsonObject(body, doc));
  if (StringMember(doc, "resourceType") != "Bundle") {
    return Error::Invalid("invalid", "basen tar en Bundle (the base takes a transaction or batch Bundle)");
  }
  bundle.type = StringMember(doc, "type");
  if (bundle.type != "transaction" && bundle.type != "batch") {
    return Error::Invalid("value",
                          "Bundle.type måste vara transaction eller batch (Bundle.type must be transaction or batch)",
                          "Bundle.type");
  }
  if (!doc.HasMember("entry")) return bundle;
  const rapidjson::Value& entries = doc["entry"];
  if (!entries.IsArray())
    return Error::Invalid("structure", "Bundle.entry måste vara en array (Bundle.entry must be an array)",
                          "Bundle.entry");
  if (entries.Size() > kMaxBundleEntries) {
    return Error{ErrorKind::too_large, "too-costly",
                 "högst " + std::to_string(kMaxBundleEntries) + " poster per Bundle (at most " +
                     std::to_string(kMaxBundleEntries) + " entries per Bundle)",
                 "Bundle.entry"};
  }
  for (const auto& entry : entries.GetArray()) bundle.entries.push_back(ReadEntry(entry, outer));
  return bundle;
}

Result<std::string> PatchFromBinary(const rapidjson::Value& resource) {
  if (StringMember(resource, "resourceType") != "Binary" ||
      StringMember(resource, "contentType").find("application/json-patch+json") == std::string::npos) {
    return Error::Invalid("value",
                          "en PATCH-post ska innehålla en Binary med contentType application/json-patch+json "
                          "(a PATCH entry carries a Binary with contentType application/json-patch+json)",
                          "resource");
  }
  const std::string data = StringMember(resource, "data");
  // Checked first, so the decoder never meets a character outside the alphabet (it throws mid-stream).
  for (unsigned char c : data) {
    if (!std::isalnum(c) && c != '+' && c != '/' && c != '=' && !std::isspace(c)) {
      return Error::Invalid("value", "Binary.data är inte base64 (Binary.data is not base64)", "resource.data");
    }
  }
  std::istringstream in(data);
  Poco::Base64Decoder decoder(in);
  std::string patch;
  try {
    char chunk[4096];
    while (decoder.read(chunk, sizeof chunk) || decoder.gcount() > 0) patch.append(chunk, decoder.gcount());
  } catch (const std::exception&) {
    return Error::Invalid("value", "Binary.data är inte base64 (Binary.data is not base64)", "resource.data");
  }
  return patch;
}

}  // namespace nara::fhir
