#include "fhir/bundle.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nara::fhir {
namespace {

void AppendLinks(std::string& out, const std::vector<BundleLink>& links) {
  out += ",\"link\":[";
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) out += ",";
    out += "{\"relation\":" + JsonString(links[i].relation) + ",\"url\":" + JsonString(links[i].url) + "}";
  }
  out += "]";
}

std::string Head(const char* type, std::optional<long> total) {
  std::string out = "{\"resourceType\":\"Bundle\",\"type\":\"";
  out += type;
  out += "\"";
  if (total) out += ",\"total\":" + std::to_string(*total);
  return out;
}

}  // namespace

std::string JsonString(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string SearchsetJson(const std::string& base_url, const std::vector<StoredResource>& matches,
                          std::optional<long> total, const std::vector<BundleLink>& links,
                          const std::vector<Issue>& outcome_issues,
                          const std::vector<StoredResource>& included) {
  std::string out = Head("searchset", total);
  AppendLinks(out, links);
  out += ",\"entry\":[";
  bool first = true;
  auto add = [&](const StoredResource& resource, const char* mode) {
    if (!first) out += ",";
    first = false;
    out += "{\"fullUrl\":" + JsonString(base_url + "/" + resource.type + "/" + resource.id) + ",\"resource\":" +
           resource.json + ",\"search\":{\"mode\":\"" + mode + "\"}}";
  };
  for (const auto& match : matches) add(match, "match");
  for (const auto& include : included) add(include, "include");
  if (!outcome_issues.empty()) {
    if (!first) out += ",";
    out += "{\"resource\":" + OperationOutcomeJson(outcome_issues) + ",\"search\":{\"mode\":\"outcome\"}}";
  }
  out += "]}";
  return out;
}

std::string HistoryJson(const std::string& base_url, const std::vector<StoredResource>& versions,
                        std::optional<long> total, const std::vector<BundleLink>& links) {
  std::string out = Head("history", total);
  AppendLinks(out, links);
  out += ",\"entry\":[";
  bool first = true;
  for (const auto& version : versions) {
    if (!first) out += ",";
    first = false;
    const std::string url = version.type + "/" + version.id;
    out += "{\"fullUrl\":" + JsonString(base_url + "/" + url);
    if (!version.deleted) out += ",\"resource\":" + version.json;
    const char* method = version.deleted ? "DELETE" : (version.version == 1 ? "POST" : "PUT");
    const std::string request_url = version.version == 1 && !version.deleted ? version.type : url;
    out += ",\"request\":{\"method\":\"" + std::string(method) + "\",\"url\":" + JsonString(request_url) + "}";
    out += ",\"response\":{\"status\":\"" + std::string(version.deleted ? "204" : (version.version == 1 ? "201" : "200")) +
           "\",\"etag\":\"W/\\\"" + std::to_string(version.version) + "\\\"\",\"lastModified\":\"" +
           version.last_updated + "\"}}";
  }
  out += "]}";
  return out;
}

}  // namespace nara::fhir
