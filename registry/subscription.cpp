#include "registry/subscription.h"

#include <algorithm>
#include <cctype>

namespace nara {
namespace {

constexpr const char* kTopicBase = "https://fhir.nara-registry.org/SubscriptionTopic/";

struct TopicRow {
  Topic topic;
  const char* code;
  const char* resource_type;
  const char* title;
};

constexpr TopicRow kTopics[] = {
    {Topic::listing_change, "listing-change", "EpisodeOfCare",
     "listning skapad, ändrad eller avslutad (listing created, changed or ended)"},
    {Topic::fixed_contact_change, "fixed-contact-change", "CareTeam",
     "fast kontakt skapad, ändrad eller avslutad (fixed contact created, changed or ended)"},
    {Topic::saebo_change, "saebo-change", "EpisodeOfCare",
     "boende på SÄBO skapat, ändrat eller avslutat (SÄBO residency created, changed or ended)"},
    {Topic::patient_death, "patient-death", "Patient", "invånaren har avlidit (the resident has died)"},
    {Topic::waitlist_change, "waitlist-change", "Task",
     "kö till fast läkarkontakt ändrad (waiting list for a fast läkarkontakt changed)"},
    {Topic::patientkontrakt_change, "patientkontrakt-change", "DocumentReference",
     "Patientkontrakt skapat eller ändrat (Patientkontrakt created or changed)"},
    {Topic::residence_change, "residence-change", "Patient",
     "invånaren har flyttat till en annan kommun (the resident moved to another kommun)"},
    {Topic::hemsjukvard_change, "hemsjukvard-change", "EpisodeOfCare",
     "hemsjukvård skapad, ändrad eller avslutad (home health care created, changed or ended)"},
};

const TopicRow& RowOf(Topic topic) {
  for (const auto& row : kTopics) {
    if (row.topic == topic) return row;
  }
  return kTopics[0];
}

bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return !value.empty() && std::find(values.begin(), values.end(), value) != values.end();
}

std::vector<std::string> SplitOn(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// "Organization/abc" (or "abc") → "abc" when the rest is a FHIR id.
std::optional<std::string> IdOf(std::string_view value, std::string_view type) {
  const std::string prefix = std::string(type) + "/";
  if (value.substr(0, prefix.size()) == prefix) value.remove_prefix(prefix.size());
  if (value.empty() || value.size() > 64) return std::nullopt;
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return std::nullopt;
  }
  return std::string(value);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const std::vector<Topic>& AllTopics() {
  static const std::vector<Topic> all = [] {
    std::vector<Topic> topics;
    for (const auto& row : kTopics) topics.push_back(row.topic);
    return topics;
  }();
  return all;
}

std::string_view TopicCode(Topic topic) { return RowOf(topic).code; }
std::string TopicUrl(Topic topic) { return std::string(kTopicBase) + RowOf(topic).code; }
std::string_view TopicTitle(Topic topic) { return RowOf(topic).title; }
std::string_view TopicResourceType(Topic topic) { return RowOf(topic).resource_type; }

std::optional<Topic> ParseTopicUrl(std::string_view url) {
  if (url.substr(0, std::char_traits<char>::length(kTopicBase)) == kTopicBase) {
    url.remove_prefix(std::char_traits<char>::length(kTopicBase));
  }
  for (const auto& row : kTopics) {
    if (url == row.code) return row.topic;
  }
  return std::nullopt;
}

std::vector<Topic> TopicsOf(const ResourceChange& change) {
  const VersionFacts& now = change.after.exists ? change.after : change.before;
  if (!change.before.exists && !change.after.exists) return {};
  std::vector<Topic> topics;
  if (change.type == "EpisodeOfCare") {
    if (now.kind == "listning") topics.push_back(Topic::listing_change);
    if (now.kind == "saebo") topics.push_back(Topic::saebo_change);
    if (now.kind == "hemsjukvard") topics.push_back(Topic::hemsjukvard_change);
  } else if (change.type == "CareTeam") {
    if (now.kind == "fast-kontakt") topics.push_back(Topic::fixed_contact_change);
  } else if (change.type == "DocumentReference") {
    if (now.kind == "patientkontrakt") topics.push_back(Topic::patientkontrakt_change);
  } else if (change.type == "Task") {
    if (now.kind == "fast-lakarkontakt-ko") topics.push_back(Topic::waitlist_change);
  } else if (change.type == "Patient" && change.after.exists) {
    // A death is news once: when the first version saying so is written (a correction of the
    // date is not a second death).
    if (change.after.deceased && !change.before.deceased) topics.push_back(Topic::patient_death);
    // A new patient is not a move; a patient whose address leaves every kommun has moved out.
    if (change.before.exists && change.before.kommun != change.after.kommun) topics.push_back(Topic::residence_change);
  }
  return topics;
}

Result<SubscriptionFilter> ParseFilterCriteria(std::string_view text) {
  SubscriptionFilter filter;
  if (const auto question = text.find('?'); question != std::string_view::npos) text.remove_prefix(question + 1);
  if (text.empty()) return filter;
  for (const auto& criterion : SplitOn(text, '&')) {
    if (criterion.empty()) continue;
    const auto equals = criterion.find('=');
    if (equals == std::string::npos) {
      return Error::Invalid("value", "filtret saknar '=' (filter criterion without a value)");
    }
    const std::string name = criterion.substr(0, equals);
    const bool organization = name == "managing-organization";
    if (!organization && name != "patient") {
      return Error::Invalid("value", "okänt filter; tillåtna är managing-organization och patient "
                                     "(unknown filter; use managing-organization or patient)");
    }
    for (const auto& value : SplitOn(std::string_view(criterion).substr(equals + 1), ',')) {
      auto id = IdOf(value, organization ? "Organization" : "Patient");
      if (!id) {
        return Error::Invalid("value", "filtervärdet ska vara en referens som " +
                                           std::string(organization ? "Organization/id" : "Patient/id") +
                                           " (filter value must be a reference)");
      }
      auto& values = organization ? filter.organizations : filter.patients;
      if (!Contains(values, *id)) values.push_back(*id);
    }
  }
  return filter;
}

std::string FormatFilterCriteria(const SubscriptionFilter& filter) {
  auto join = [](const char* name, const char* type, const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? std::string(name) + "=" : ",") + type + "/" + id;
    return out;
  };
  std::string organizations = join("managing-organization", "Organization", filter.organizations);
  std::string patients = join("patient", "Patient", filter.patients);
  if (organizations.empty()) return patients;
  return patients.empty() ? organizations : organizations + "&" + patients;
}

bool FilterMatches(const SubscriptionFilter& filter, const std::vector<FilterOrganization>& organizations,
                   const ChangeScope& scope) {
  if (!filter.patients.empty() && !Contains(filter.patients, scope.patient_id)) return false;
  if (filter.organizations.empty()) return true;
  for (const auto& organization : organizations) {
    if (!Contains(filter.organizations, organization.id)) continue;
    if (Contains(scope.units, organization.id)) return true;
    if (Contains(scope.kommuner, organization.kommun)) return true;
  }
  return false;
}

int RetryDelayMs(const RetryPolicy& policy, int failures) {
  long long delay = policy.first_delay_ms;
  for (int i = 1; i < failures && delay < policy.max_delay_ms; ++i) delay *= 2;
  return static_cast<int>(std::min<long long>(delay, policy.max_delay_ms));
}

std::string EndpointHost(std::string_view endpoint) {
  const auto scheme = endpoint.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = endpoint.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

Status CheckEndpoint(std::string_view endpoint, const std::vector<std::string>& allowlist) {
  if (Lower(endpoint.substr(0, 8)) != "https://" || EndpointHost(endpoint).empty()) {
    return Error::Invalid("value", "channel.endpoint ska vara en https-adress (the endpoint must be an https URL)",
                          "Subscription.channel.endpoint");
  }
  const std::string host = Lower(EndpointHost(endpoint));
  for (const auto& allowed : allowlist) {
    if (Lower(allowed) == host) return Ok();
  }
  return Error::BusinessRule("endpoint-not-allowed",
                             "värden " + host.substr(0, 100) +
                                 " finns inte i subscription.endpoint-allowlist (endpoint host not allowed)");
}

}  // namespace nara
