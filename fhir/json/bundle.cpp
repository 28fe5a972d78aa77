#include "fhir/json/bundle.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nara::fhir {
namespace {

// FHIR JSON never carries an empty array (R4 JSON format, 2.6.2): an element without values is left out.
void AppendLinks(std::string& out, const std::vector<BundleLink>& links) {
  if (links.empty()) return;
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
  return SearchsetJsonOfViews(base_url, ViewsOf(matches), total, links, outcome_issues, included);
}

std::string SearchsetJsonOfViews(const std::string& base_url, const std::vector<const StoredResource*>& matches,
                                 std::optional<long> total, const std::vector<BundleLink>& links,
                                 const std::vector<Issue>& outcome_issues,
                                 const std::vector<StoredResource>& included) {
  // A page of a thousand resources is ~0.6 MB: the text is sized once and each stored body copied
  // into it once (chained `+` copied every body into a temporary first, and regrew the buffer).
  size_t size = 256 + links.size() * 256;
  auto room = [&](const StoredResource& resource) {
    size += 64 + base_url.size() + resource.type.size() + resource.id.size() + resource.json.size();
  };
  for (const auto* match : matches) room(*match);
  for (const auto& include : included) room(include);
  std::string out;
  out.reserve(size);
  out += Head("searchset", total);
  AppendLinks(out, links);
  bool first = true;
  // fullUrl is the base, escaped once, then the type and the id as they are: a stored resource's id
  // is [A-Za-z0-9.-] (checked when written) and its type a name of ours, so neither needs escaping.
  std::string base_literal = JsonString(base_url);
  base_literal.pop_back();  // the closing quote
  // The entry array is opened by its first entry: a page without any has no `entry`.
  const auto open_entry = [&] {
    out += first ? ",\"entry\":[" : ",";
    first = false;
  };
  auto add = [&](const StoredResource& resource, const char* mode) {
    open_entry();
    out += "{\"fullUrl\":";
    out += base_literal;
    out.append("/").append(resource.type).append("/").append(resource.id).append("\"");
    out += ",\"resource\":";
    out += resource.json;
    out += ",\"search\":{\"mode\":\"";
    out += mode;
    out += "\"}}";
  };
  for (const auto* match : matches) add(*match, "match");
  for (const auto& include : included) add(include, "include");
  if (!outcome_issues.empty()) {
    open_entry();
    out += "{\"resource\":" + OperationOutcomeJson(outcome_issues) + ",\"search\":{\"mode\":\"outcome\"}}";
  }
  out += first ? "}" : "]}";
  return out;
}

std::string HistoryJson(const std::string& base_url, const std::vector<StoredResource>& versions,
                        std::optional<long> total, const std::vector<BundleLink>& links,
                        const std::vector<Issue>& outcome_issues, const std::string& history_url) {
  std::string out = Head("history", total);
  AppendLinks(out, links);
  bool first = true;
  for (const auto& version : versions) {
    out += first ? ",\"entry\":[" : ",";
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
  if (!outcome_issues.empty()) {
    out += first ? ",\"entry\":[" : ",";
    first = false;
    out += "{\"resource\":" + OperationOutcomeJson(outcome_issues) + ",\"request\":{\"method\":\"GET\",\"url\":" +
           JsonString(history_url) + "},\"response\":{\"status\":\"200\"}}";
  }
  out += first ? "}" : "]}";
  return out;
}

}  // namespace nara::fhir
