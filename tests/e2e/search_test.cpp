// FHIR search in depth, as an EHR integrator uses it over mutual TLS (docs/api.md section 1, "Search
// results"): keyset paging with opaque cursors that stays exact while others write, _include and
// _revinclude (with audit and a municipality's residents-only filter), chaining, :not, date
// prefixes, _sort, _total, _summary=count, _elements, POST _search and Prefer: handling.
//
// Each test builds its own units, staff and patients under its own id prefix and scopes its searches
// to them (tests/e2e/registry_fixture.h), so tests sharing the server never see each other's data.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::World;

const std::map<std::string, std::string> kStrict = {{"Prefer", "handling=strict"}};

// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
std::string Enc(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A searchset as the test reads it: entries by mode, links, total.
struct Page {
  int status = 0;
  std::string body;
  std::vector<std::string> matches;   // "Type/id" of the match entries, in order
  std::vector<std::string> included;  // "Type/id" of the include entries, in order
  std::vector<std::string> match_updated;  // meta.lastUpdated of the matches
  std::string total;                  // "" when absent
  std::string next, previous, self;   // link paths ("/fhir/..."), "" when absent
  std::string outcome;                // text of the outcome entry's first issue
};

std::string PathOf(const std::string& url) {
  const size_t at = url.find("/fhir/");
  return at == std::string::npos ? url : url.substr(at);
}

Page Read(const testing::HttpResult& result) {
  Page page;
  page.status = result.status;
  page.body = result.body;
  if (result.status != 200) return page;
  auto doc = Parse(result.body);
  page.total = At(doc, "/total");
  if (doc.HasMember("link")) {
    for (const auto& link : doc["link"].GetArray()) {
      const std::string relation = link["relation"].GetString();
      const std::string url = PathOf(link["url"].GetString());
      if (relation == "next") page.next = url;
      if (relation == "previous") page.previous = url;
      if (relation == "self") page.self = url;
    }
  }
  if (doc.HasMember("entry")) {
    for (const auto& entry : doc["entry"].GetArray()) {
      const std::string mode = entry["search"]["mode"].GetString();
      const auto& r = entry["resource"];
      if (mode == "outcome") {
        page.outcome = r["issue"][0]["diagnostics"].IsString() ? r["issue"][0]["diagnostics"].GetString() : "";
        if (r["issue"][0].HasMember("details")) page.outcome += r["issue"][0]["details"]["text"].GetString();
        continue;
      }
      const std::string ref = std::string(r["resourceType"].GetString()) + "/" + r["id"].GetString();
      if (mode == "match") {
        page.matches.push_back(ref);
        page.match_updated.push_back(r["meta"]["lastUpdated"].GetString());
      } else if (mode == "include") {
        page.included.push_back(ref);
      }
    }
  }
  return page;
}

Page Get(testing::TlsClient& client, const std::string& path, const std::map<std::string, std::string>& headers = {}) {
  return Read(client.Request("GET", path, "", headers));
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// Every match of a search (strict handling), page after page along the `next` links, in the order the
// pages give them. A page that is not 200 fails the calling test and ends the walk.
std::vector<std::string> AllMatches(testing::TlsClient& client, std::string path) {
  std::vector<std::string> all;
  while (!path.empty()) {
    Page page = Get(client, path, kStrict);
    EXPECT_EQ(page.status, 200) << page.body;
    if (page.status != 200) break;
    all.insert(all.end(), page.matches.begin(), page.matches.end());
    path = page.next;
  }
  return all;
}

// `search` with `_sort=key` gives `ascending` across pages of `count`, and with `_sort=-key` its reverse.
void ExpectSortedBothWays(testing::TlsClient& client, const std::string& search, const std::string& key, int count,
                          std::vector<std::string> ascending) {
  const std::string pages = "&_count=" + std::to_string(count);
  EXPECT_EQ(AllMatches(client, search + "&_sort=" + key + pages), ascending) << key;
  std::reverse(ascending.begin(), ascending.end());
  EXPECT_EQ(AllMatches(client, search + "&_sort=-" + key + pages), ascending) << "-" << key;
}

// A Patient with a family name of the test's own, so a name search finds this test's patients only.
std::string PatientNamed(World& w, const std::string& name, const std::string& family) {
  const std::string id = w.Id(name);
  World::Put(w.admin(), "Patient", id, reg::PatientWithPnr(id, reg::NextPersonnummer(), family));
  return id;
}

int AuditCount(World& w, const std::string& patient) {
  auto result = w.admin().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient + "&_count=0");
  EXPECT_EQ(result.status, 200) << result.body;
  const std::string total = At(Parse(result.body), "/total");
  return total.empty() ? -1 : std::stoi(total);
}

// keyset paging

// Paging by the default order (id) while resources are created, updated and deleted between and
// during page fetches: every resource that matched throughout appears exactly once, and no
// resource appears twice. With _offset paging a delete before the reader's position would have
// shifted a row past it (skipped) and a create before it would have repeated one.
TEST(Search, KeysetPagingIsExactWhileOthersWrite) {
  World w("st-page");
  const std::string family = "Sidbladsson";
  std::vector<std::string> throughout, doomed;
  for (int i = 0; i < 30; ++i) throughout.push_back(PatientNamed(w, "p" + std::to_string(i), family));
  for (int i = 0; i < 12; ++i) doomed.push_back(PatientNamed(w, "d" + std::to_string(i), family));

  // A writer on its own connection, concurrently with the reader: creates matching patients and
  // updates matching ones (a new version and lastUpdated) until the reader is done.
  std::atomic<bool> done{false};
  std::atomic<int> background_writes{0};
  std::thread writer([&] {
    auto client = Server::Shared().Client("admin");
    for (int i = 0; !done; ++i) {
      const std::string id = w.Id("bg" + std::to_string(i));
      client->Request("PUT", "/fhir/Patient/" + id,
                      reg::PatientWithPnr(id, reg::NextPersonnummer(), family), reg::kFhirJson);
      const std::string& old = throughout[i % throughout.size()];
      client->Request("PUT", "/fhir/Patient/" + old, reg::PatientWithPnr(old, reg::NextPersonnummer(), family),
                      reg::kFhirJson);
      background_writes += 2;
    }
  });

  std::map<std::string, int> seen;
  std::string path = "/fhir/Patient?family=" + family + "&_count=7&_total=none";
  int pages = 0, created = 0;
  size_t deleted = 0;
  while (!path.empty() && pages < 100) {
    Page page = Get(w.ehr(), path);
    ASSERT_EQ(page.status, 200) << page.body;
    ++pages;
    for (const auto& ref : page.matches) ++seen[ref];
    if (!page.next.empty()) {
      EXPECT_NE(page.next.find("_cursor="), std::string::npos) << page.next;
      EXPECT_EQ(page.next.find("_offset"), std::string::npos) << page.next;
    }
    path = page.next;
    // Between pages, deterministically: two creates, an update of a seen and of an unseen resource
    // of the throughout set, and a delete.
    for (int k = 0; k < 2; ++k) PatientNamed(w, "new" + std::to_string(created++), family);
    for (size_t k : {static_cast<size_t>(pages) % throughout.size(), throughout.size() - 1 - pages % throughout.size()}) {
      const std::string& id = throughout[k];
      World::Put(w.admin(), "Patient", id, reg::PatientWithPnr(id, reg::NextPersonnummer(), family));
    }
    if (deleted < doomed.size()) {
      auto gone = w.admin().Request("DELETE", "/fhir/Patient/" + doomed[deleted++]);
      ASSERT_EQ(gone.status, 200) << gone.body;
    }
  }
  done = true;
  writer.join();
  EXPECT_GT(pages, 4);
  EXPECT_GT(background_writes.load(), 0);
  for (const auto& id : throughout) {
    EXPECT_EQ(seen["Patient/" + id], 1) << "present and matching throughout: exactly once: " << id;
  }
  for (const auto& [ref, times] : seen) EXPECT_EQ(times, 1) << "twice: " << ref;
}

// Sorted by _lastUpdated, resources created while a client pages land after everything it has yet
// to see (their lastUpdated is newer) and deletes do not shift positions: every resource that is
// neither written nor deleted meanwhile comes exactly once (docs/client-guide.md, "Searching").
TEST(Search, LastUpdatedPagingIsExactForResourcesNotWrittenMeanwhile) {
  World w("st-lu");
  const std::string family = "Tidsordningsson";
  std::vector<std::string> kept, doomed;
  // Interleaved, so that deleting the earliest doomed ones removes rows before the reader's position
  // (with _offset paging that would skip a kept one).
  for (int i = 0; i < 15; ++i) {
    kept.push_back(PatientNamed(w, "p" + std::to_string(i), family));
    if (i < 6) doomed.push_back(PatientNamed(w, "d" + std::to_string(i), family));
  }
  std::map<std::string, int> seen;
  std::string path = "/fhir/Patient?family=" + family + "&_sort=_lastUpdated&_count=4";
  std::string newest_seen;
  int pages = 0, created = 0;
  while (!path.empty() && pages < 50) {
    Page page = Get(w.ehr(), path);
    ASSERT_EQ(page.status, 200) << page.body;
    ++pages;
    for (size_t i = 0; i < page.matches.size(); ++i) {
      ++seen[page.matches[i]];
      EXPECT_GE(page.match_updated[i], newest_seen) << "ascending across pages";
      newest_seen = page.match_updated[i];
    }
    path = page.next;
    if (path.empty()) break;  // written after the last page: not the reader's concern
    if (created < 6) PatientNamed(w, "new" + std::to_string(created++), family);
    if (static_cast<size_t>(pages) <= doomed.size()) {
      ASSERT_EQ(w.admin().Request("DELETE", "/fhir/Patient/" + doomed[pages - 1]).status, 200);
    }
  }
  for (const auto& id : kept) EXPECT_EQ(seen["Patient/" + id], 1) << id;
  for (const auto& [ref, times] : seen) EXPECT_EQ(times, 1) << ref;
  for (int i = 0; i < created; ++i) {
    EXPECT_EQ(seen["Patient/" + w.Id("new" + std::to_string(i))], 1) << "created meanwhile: at the end, once";
  }
}

TEST(Search, PreviousAndSelfLinksGiveThePagesBack) {
  World w("st-prev");
  const std::string family = "Bakatsson";
  for (int i = 0; i < 7; ++i) PatientNamed(w, "p" + std::to_string(i), family);
  for (const std::string sort : {"", "&_sort=-_lastUpdated", "&_sort=_id"}) {
    Page first = Get(w.ehr(), "/fhir/Patient?family=" + family + "&_count=3" + sort);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.total, "7");
    EXPECT_TRUE(first.previous.empty()) << "the first page has no previous";
    ASSERT_FALSE(first.next.empty());
    Page second = Get(w.ehr(), first.next);
    ASSERT_EQ(second.status, 200) << second.body;
    ASSERT_FALSE(second.previous.empty());
    Page back = Get(w.ehr(), second.previous);
    EXPECT_EQ(back.matches, first.matches) << "previous of page 2 is page 1" << sort;
    EXPECT_EQ(Get(w.ehr(), second.self).matches, second.matches) << "self is the page itself";
    Page third = Get(w.ehr(), second.next);
    EXPECT_EQ(third.matches.size(), 1u);
    EXPECT_TRUE(third.next.empty());
    std::set<std::string> all = AsSet(first.matches);
    for (const auto& ref : second.matches) EXPECT_TRUE(all.insert(ref).second);
    for (const auto& ref : third.matches) EXPECT_TRUE(all.insert(ref).second);
    EXPECT_EQ(all.size(), 7u);
    if (sort == "&_sort=-_lastUpdated") {
      std::vector<std::string> times = first.match_updated;
      times.insert(times.end(), second.match_updated.begin(), second.match_updated.end());
      EXPECT_TRUE(std::is_sorted(times.rbegin(), times.rend())) << "newest first";
    }
  }
}

TEST(Search, ACursorOfAnotherSearchOrAForgedOneIs400) {
  World w("st-cur");
  for (int i = 0; i < 3; ++i) PatientNamed(w, "p" + std::to_string(i), "Markorsson");
  Page first = Get(w.ehr(), "/fhir/Patient?family=Markorsson&_count=1");
  ASSERT_FALSE(first.next.empty());
  const std::string cursor = first.next.substr(first.next.find("_cursor=") + 8);
  auto moved = w.ehr().Request("GET", "/fhir/Patient?family=Holm&_count=1&_cursor=" + cursor);
  EXPECT_EQ(moved.status, 400) << moved.body;
  EXPECT_EQ(IssueCode(moved.body), "invalid");
  auto sorted = w.ehr().Request("GET", "/fhir/Patient?family=Markorsson&_count=1&_sort=_lastUpdated&_cursor=" + cursor);
  EXPECT_EQ(sorted.status, 400) << "another order is another search";
  auto junk = w.ehr().Request("GET", "/fhir/Patient?family=Markorsson&_cursor=%27%3B--");
  EXPECT_EQ(junk.status, 400) << junk.body;
  // The page size may change between pages.
  auto bigger = w.ehr().Request("GET", "/fhir/Patient?family=Markorsson&_count=5&_cursor=" + cursor);
  ASSERT_EQ(bigger.status, 200) << bigger.body;
  EXPECT_EQ(Read(bigger).matches.size(), 2u);
}

// _include and _revinclude

struct Clinic {
  std::string vc, role, practitioner, p1, p2, ct1, ep1, ep2;
};

Clinic BuildClinic(World& w) {
  Clinic c;
  c.vc = w.Vardcentral("vc");
  c.role = w.Staff("doc", c.vc);
  c.practitioner = w.Id("doc-pr");
  w.Staff("doc2", c.vc);
  c.p1 = w.Patient("p1");
  c.p2 = w.Patient("p2");
  c.ep1 = w.Id("ep1");
  c.ep2 = w.Id("ep2");
  World::Require(w.List(c.ep1, c.p1, c.vc, "2024-03-01"), "listing p1");
  World::Require(w.List(c.ep2, c.p2, c.vc, "2024-05-01"), "listing p2");
  c.ct1 = w.Id("ct1");
  World::Require(w.Contact(c.ct1, c.p1, c.role, c.vc, "2024-03-02"), "fast läkarkontakt p1");
  return c;
}

TEST(Search, IncludeAddsTheReferencedResourcesOnceWithModeInclude) {
  World w("st-inc");
  Clinic c = BuildClinic(w);
  Page page = Get(w.ehr(), "/fhir/CareTeam?subject=Patient/" + c.p1 +
                               "&_include=CareTeam:subject&_include=CareTeam:participant&_include=CareTeam:organization",
                  kStrict);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.matches, std::vector<std::string>{"CareTeam/" + c.ct1});
  EXPECT_EQ(AsSet(page.included),
            (std::set<std::string>{"Patient/" + c.p1, "PractitionerRole/" + c.role, "Organization/" + c.vc}));
  EXPECT_EQ(page.included.size(), 3u) << "no duplicates";
  EXPECT_EQ(page.total, "1") << "the total counts matches only";

  // Two roles at one unit: the unit is included once; the practitioners of both.
  Page roles = Get(w.ehr(), "/fhir/PractitionerRole?organization=Organization/" + c.vc +
                                "&_include=PractitionerRole:organization&_include=PractitionerRole:practitioner");
  ASSERT_EQ(roles.status, 200) << roles.body;
  EXPECT_EQ(roles.matches.size(), 2u);
  EXPECT_EQ(AsSet(roles.included), (std::set<std::string>{"Organization/" + c.vc, "Practitioner/" + c.practitioner,
                                                           "Practitioner/" + w.Id("doc2-pr")}));
  // Organization:partof reaches the region.
  Page unit = Get(w.ehr(), "/fhir/Organization?_id=" + c.vc + "&_include=Organization:partof");
  EXPECT_EQ(unit.included, std::vector<std::string>{"Organization/" + w.Region()});
  // The included Patient is decorated like a read (generalPractitioner derived).
  auto doc = Parse(w.ehr().Request("GET", "/fhir/CareTeam?_id=" + c.ct1 + "&_include=CareTeam:subject").body);
  bool decorated = false;
  for (const auto& entry : doc["entry"].GetArray()) {
    if (std::string(entry["resource"]["resourceType"].GetString()) == "Patient") {
      decorated = entry["resource"].HasMember("generalPractitioner");
    }
  }
  EXPECT_TRUE(decorated);
}

TEST(Search, RevIncludeFindsWhatPointsAtTheMatches) {
  World w("st-rev");
  Clinic c = BuildClinic(w);
  const std::string ids = c.p1 + "," + c.p2;
  Page page = Get(w.ehr(), "/fhir/Patient?_id=" + ids + "&_revinclude=CareTeam:subject&_revinclude=EpisodeOfCare:patient",
                  kStrict);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(AsSet(page.matches), (std::set<std::string>{"Patient/" + c.p1, "Patient/" + c.p2}));
  EXPECT_EQ(AsSet(page.included), (std::set<std::string>{"CareTeam/" + c.ct1, "EpisodeOfCare/" + c.ep1,
                                                         "EpisodeOfCare/" + c.ep2}));
  // By identifier, as the issue's example.
  const std::string by_pnr = "/fhir/Patient?identifier=" + Enc(reg::kPersonnummerSystem + "|" + w.Pnr(c.p1)) +
                             "&_revinclude=CareTeam:subject&_revinclude=EpisodeOfCare:patient";
  Page one = Get(w.ehr(), by_pnr);
  EXPECT_EQ(one.matches, std::vector<std::string>{"Patient/" + c.p1});
  EXPECT_EQ(AsSet(one.included), (std::set<std::string>{"CareTeam/" + c.ct1, "EpisodeOfCare/" + c.ep1}));
  // A deleted resource is not included.
  ASSERT_EQ(w.admin().Request("DELETE", "/fhir/CareTeam/" + c.ct1).status, 200);
  EXPECT_EQ(AsSet(Get(w.ehr(), by_pnr).included), (std::set<std::string>{"EpisodeOfCare/" + c.ep1}));
}

TEST(Search, IncludedPatientDataIsAuditedAndNeedsTheRightToSearchIt) {
  World w("st-incaud");
  Clinic c = BuildClinic(w);
  // Reading the log about p1 is itself logged against p1: each count adds one record after it.
  const int before = AuditCount(w, c.p1);
  EXPECT_EQ(AuditCount(w, c.p1), before + 1);
  // A search of units releases listings through _revinclude: logged against the patients.
  Page units = Get(w.ehr(), "/fhir/Organization?_id=" + c.vc + "&_revinclude=EpisodeOfCare:organization");
  ASSERT_EQ(units.status, 200) << units.body;
  EXPECT_EQ(AsSet(units.included), (std::set<std::string>{"EpisodeOfCare/" + c.ep1, "EpisodeOfCare/" + c.ep2}));
  EXPECT_EQ(AuditCount(w, c.p1), before + 3) << "the second count's record and the search's";
  // Without the include, a unit search touches no patient data and is not logged.
  ASSERT_EQ(Get(w.ehr(), "/fhir/Organization?_id=" + c.vc).status, 200);
  EXPECT_EQ(AuditCount(w, c.p1), before + 4);
  // The citizen portal may search units, not listings: asking for them through an include is 403.
  auto citizen = Server::Shared().Client("citizen-portal");
  auto refused = citizen->Request("GET", "/fhir/Organization?_id=" + c.vc + "&_revinclude=EpisodeOfCare:organization");
  EXPECT_EQ(refused.status, 403) << refused.body;
  // Decided on what is asked for, not on what exists: no listing points at the region.
  auto refused_empty =
      citizen->Request("GET", "/fhir/Organization?_id=" + w.Region() + "&_revinclude=EpisodeOfCare:organization");
  EXPECT_EQ(refused_empty.status, 403) << refused_empty.body;
  EXPECT_EQ(Get(*citizen, "/fhir/Organization?_id=" + c.vc).status, 200);
}

TEST(Search, AMunicipalitySeesOnlyItsResidentsAmongIncludedResources) {
  World w("st-incmun");
  Clinic c = BuildClinic(w);
  const std::string saebo = w.Saebo("saebo");
  const std::string resident = w.Patient("resident");
  World::Require(w.MoveIntoSaebo(w.Id("ep-s"), resident, saebo, "2024-06-01"), "saebo residency");
  World::Require(w.List(w.Id("ep-r"), resident, c.vc, "2024-06-02"), "listing of the resident");
  // p1 and p2 are listed at the same unit but are no residents of the kommun.
  Page page = Get(w.municipality(), "/fhir/Organization?_id=" + c.vc + "&_revinclude=EpisodeOfCare:organization");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.matches, std::vector<std::string>{"Organization/" + c.vc});
  EXPECT_EQ(page.included, std::vector<std::string>{"EpisodeOfCare/" + w.Id("ep-r")});
  // The same search as ehr sees all three listings.
  EXPECT_EQ(Get(w.ehr(), "/fhir/Organization?_id=" + c.vc + "&_revinclude=EpisodeOfCare:organization").included.size(),
            3u);
}

TEST(Search, InvalidIncludeIs400UnderStrictAndAWarningOtherwise) {
  World w("st-badinc");
  Clinic c = BuildClinic(w);
  for (const std::string include : {"_include=Patient:subject", "_include=CareTeam:status", "_revinclude=Organization:partof",
                                    "_include:iterate=CareTeam:subject"}) {
    const std::string path = "/fhir/CareTeam?_id=" + c.ct1 + "&" + include;
    auto strict = w.ehr().Request("GET", path, "", kStrict);
    EXPECT_EQ(strict.status, 400) << include << " " << strict.body;
    EXPECT_EQ(IssueCode(strict.body), "not-supported") << include;
    Page lenient = Get(w.ehr(), path);
    ASSERT_EQ(lenient.status, 200) << lenient.body;
    EXPECT_EQ(lenient.matches, std::vector<std::string>{"CareTeam/" + c.ct1});
    EXPECT_TRUE(lenient.included.empty());
    EXPECT_NE(lenient.body.find("\"severity\":\"warning\""), std::string::npos) << lenient.body;
  }
}

// chaining, modifiers, dates

TEST(Search, ChainingOneLevel) {
  World w("st-chain");
  Clinic c = BuildClinic(w);
  const std::string pnr = Enc(reg::kPersonnummerSystem + "|" + w.Pnr(c.p1));
  EXPECT_EQ(Get(w.ehr(), "/fhir/CareTeam?subject:Patient.identifier=" + pnr, kStrict).matches,
            std::vector<std::string>{"CareTeam/" + c.ct1});
  EXPECT_EQ(Get(w.ehr(), "/fhir/EpisodeOfCare?patient.identifier=" + pnr, kStrict).matches,
            std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  // The alias of the personnummer system finds the same.
  EXPECT_EQ(Get(w.ehr(), "/fhir/EpisodeOfCare?patient.identifier=" + Enc("urn:oid:1.2.752.129.2.1.3.1|" + w.Pnr(c.p1)))
                .matches,
            std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  // Units by HSA-id.
  const std::string unit = w.Id("hsa-vc");
  const std::string hsa = reg::UnitHsa(reg::kRegionHsa);
  World::Put(w.admin(), "Organization", unit, reg::OrganizationJson(unit, hsa, "vardcentral", w.Region()));
  const std::string role = w.Staff("chaindoc", unit);
  EXPECT_EQ(Get(w.ehr(), "/fhir/PractitionerRole?organization.identifier=" + Enc(reg::kHsaSystem + "|" + hsa), kStrict)
                .matches,
            std::vector<std::string>{"PractitionerRole/" + role});
  EXPECT_EQ(Get(w.ehr(), "/fhir/PractitionerRole?practitioner.family=" + Enc("Läkarsson chaindoc"), kStrict).matches,
            std::vector<std::string>{"PractitionerRole/" + role});
  EXPECT_EQ(Get(w.ehr(), "/fhir/CareTeam?participant:PractitionerRole.organization=Organization/" + c.vc, kStrict)
                .matches,
            std::vector<std::string>{"CareTeam/" + c.ct1});
  // No match through the chain, and a deleted target matches nothing.
  EXPECT_TRUE(Get(w.ehr(), "/fhir/CareTeam?subject:Patient.identifier=" + Enc(reg::kPersonnummerSystem + "|" +
                                                                                w.Pnr(c.p2)))
                  .matches.empty());
  // Errors: a parameter with several target types needs one named; two levels are not supported.
  EXPECT_EQ(w.ehr().Request("GET", "/fhir/CareTeam?participant.identifier=x").status, 400);
  EXPECT_EQ(w.ehr().Request("GET", "/fhir/CareTeam?subject.organization.identifier=x", "", kStrict).status, 400);
}

TEST(Search, NotMissingAndDatePrefixes) {
  World w("st-mod");
  Clinic c = BuildClinic(w);
  const std::string vc2 = w.Vardcentral("vc2");
  World::Require(w.List(w.Id("ep3"), c.p2, vc2, "2025-02-01"), "change of listing p2");  // finishes ep2
  const std::string at = "/fhir/EpisodeOfCare?organization=Organization/" + c.vc;
  EXPECT_EQ(AsSet(Get(w.ehr(), at, kStrict).matches),
            (std::set<std::string>{"EpisodeOfCare/" + c.ep1, "EpisodeOfCare/" + c.ep2}));
  EXPECT_EQ(Get(w.ehr(), at + "&status:not=active", kStrict).matches,
            std::vector<std::string>{"EpisodeOfCare/" + c.ep2});
  EXPECT_EQ(Get(w.ehr(), at + "&status:not=finished", kStrict).matches,
            std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  EXPECT_TRUE(Get(w.ehr(), at + "&status:not=finished,active").matches.empty());
  EXPECT_EQ(Get(w.ehr(), at + "&date:missing=false").matches.size(), 2u);
  EXPECT_TRUE(Get(w.ehr(), at + "&date:missing=true").matches.empty());
  EXPECT_EQ(w.ehr().Request("GET", at + "&date:not=2024").status, 400) << ":not is for tokens";
  // date over the period [start, end): p2's listing here ran 2024-05-01 – 2025-02-01.
  EXPECT_EQ(Get(w.ehr(), at + "&date=2025-03-01").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  EXPECT_EQ(Get(w.ehr(), at + "&date=lt2024-04-01").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  EXPECT_EQ(Get(w.ehr(), at + "&date=ge2025-02-01").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  EXPECT_EQ(Get(w.ehr(), at + "&date=ne2025-03-01").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep2});
  EXPECT_EQ(Get(w.ehr(), at + "&date=le2024-03-01").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  EXPECT_EQ(Get(w.ehr(), at + "&date=gt2025-01-31").matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep1});
  // sa: the whole period after the date; eb: the whole period before it (ep1 is still open).
  EXPECT_EQ(Get(w.ehr(), at + "&date=sa2024-04-01", kStrict).matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep2});
  EXPECT_EQ(Get(w.ehr(), at + "&date=sa2024-02-01", kStrict).matches.size(), 2u);
  EXPECT_EQ(Get(w.ehr(), at + "&date=eb2025-02-01", kStrict).matches, std::vector<std::string>{"EpisodeOfCare/" + c.ep2});
  EXPECT_TRUE(Get(w.ehr(), at + "&date=eb2025-01-31").matches.empty());
  EXPECT_EQ(w.ehr().Request("GET", at + "&date=ap2025-01-31", "", kStrict).status, 400);
  // _lastUpdated: everything here was written today, nothing after next year.
  EXPECT_EQ(Get(w.ehr(), at + "&_lastUpdated=ge2000-01-01").matches.size(), 2u);
  EXPECT_TRUE(Get(w.ehr(), at + "&_lastUpdated=gt2999-01-01").matches.empty());
  EXPECT_TRUE(Get(w.ehr(), at + "&_lastUpdated=lt2000-01-01").matches.empty());
  EXPECT_EQ(Get(w.ehr(), at + "&_lastUpdated=sa2000-01-01").matches.size(), 2u);
  EXPECT_TRUE(Get(w.ehr(), at + "&_lastUpdated=eb2000-01-01").matches.empty());
}

// _sort, _total, _summary, _elements

TEST(Search, SortByDateAndLastUpdatedAcrossPages) {
  World w("st-sort");
  const std::string vc = w.Vardcentral("vc");
  std::vector<std::string> by_start;  // episode ids in period-start order
  const char* starts[] = {"2024-09-01", "2024-01-15", "2024-05-20", "2024-03-03", "2024-11-30"};
  for (int i = 0; i < 5; ++i) {
    const std::string patient = w.Patient("p" + std::to_string(i));
    World::Require(w.List(w.Id("ep" + std::to_string(i)), patient, vc, starts[i]), "listing");
  }
  for (int i : {1, 3, 2, 0, 4}) by_start.push_back("EpisodeOfCare/" + w.Id("ep" + std::to_string(i)));
  const std::string at = "/fhir/EpisodeOfCare?organization=Organization/" + vc;
  ExpectSortedBothWays(w.ehr(), at, "date", 2, by_start);
  Page newest = Get(w.ehr(), at + "&_sort=-_lastUpdated");
  EXPECT_TRUE(std::is_sorted(newest.match_updated.rbegin(), newest.match_updated.rend()));
  Page oldest = Get(w.ehr(), at + "&_sort=_lastUpdated");
  EXPECT_TRUE(std::is_sorted(oldest.match_updated.begin(), oldest.match_updated.end()));
  // Unknown sort: 400 strict, a warning and the default order otherwise.
  auto strict = w.ehr().Request("GET", at + "&_sort=status", "", kStrict);
  EXPECT_EQ(strict.status, 400) << strict.body;
  Page lenient = Get(w.ehr(), at + "&_sort=status");
  ASSERT_EQ(lenient.status, 200);
  EXPECT_EQ(lenient.matches.size(), 5u);
  EXPECT_NE(lenient.body.find("_sort"), std::string::npos);
  EXPECT_EQ(w.ehr().Request("GET", "/fhir/Patient?_sort=date", "", kStrict).status, 400) << "Patient has no date";
}

// A doctor's list by age (`_sort=birthdate`, the oldest first; `-birthdate` the youngest): the date is
// the personnummer's when the Patient has no birthDate, as for a birthdate search.
TEST(Search, ADoctorsListSortsByBirthdate) {
  World w("st-age");
  const std::string vc = w.Vardcentral("vc");
  const std::string role = w.Staff("dr", vc);
  std::vector<std::pair<std::string, std::string>> born;  // (YYYYMMDD of the personnummer, Patient/id)
  for (int i = 0; i < 4; ++i) {
    // Created oldest first (the personnummer dates count up) with ids counting down, so the order by id
    // is the youngest first.
    const std::string p = w.Patient("p" + std::to_string(3 - i));
    World::Require(w.List(w.Id("l" + std::to_string(i)), p, vc, "2025-01-01"), "listing");
    World::Require(w.Contact(w.Id("c" + std::to_string(i)), p, role, vc, "2025-01-01"), "fast läkarkontakt");
    born.emplace_back(w.Pnr(p).substr(0, 8), "Patient/" + p);
  }
  std::sort(born.begin(), born.end());
  std::vector<std::string> oldest_first;
  for (const auto& b : born) oldest_first.push_back(b.second);
  ExpectSortedBothWays(w.ehr(), "/fhir/Patient?general-practitioner=PractitionerRole/" + role, "birthdate", 3,
                       oldest_first);
}

// A doctor's list by family name (`_sort=family`): Swedish alphabetical order (Å and Ö after Z, case
// second), paged both ways; patients without a family name come last whichever the direction.
TEST(Search, ADoctorsListSortsByFamilyNameInSwedishOrder) {
  World w("st-family");
  const std::string vc = w.Vardcentral("vc");
  const std::string role = w.Staff("dr", vc);
  // Ids count against the names' order, so an order by id would be the reverse.
  const std::vector<std::string> families = {"Öberg", "Åberg", "Zetterberg", "ekström", "Andersson"};
  std::map<std::string, std::string> by_family;
  auto list = [&](const std::string& p, int i) {
    World::Require(w.List(w.Id("l" + std::to_string(i)), p, vc, "2025-01-01"), "listing");
    World::Require(w.Contact(w.Id("c" + std::to_string(i)), p, role, vc, "2025-01-01"), "fast läkarkontakt");
  };
  for (size_t i = 0; i < families.size(); ++i) {
    const std::string p = w.Id("p" + std::to_string(i));
    World::Put(w.admin(), "Patient", p, reg::PatientWithPnr(p, reg::NextPersonnummer(), families[i]));
    list(p, static_cast<int>(i));
    by_family[families[i]] = "Patient/" + p;
  }
  // Two without one, so that a page also begins among them (its `previous` cursor has no key).
  std::vector<std::string> nameless;
  for (int i : {8, 9}) {
    const std::string p = w.Id("p" + std::to_string(i));
    World::Put(w.admin(), "Patient", p,
               R"({"resourceType":"Patient","id":")" + p + R"(","identifier":[{"system":")" + reg::kPersonnummerSystem +
                   R"(","value":")" + reg::NextPersonnummer() + R"("}],"name":[{"given":["Namnlös"]}]})");
    list(p, i);
    nameless.push_back("Patient/" + p);
  }
  const std::string search = "/fhir/Patient?general-practitioner=PractitionerRole/" + role + "&_count=2&_sort=";
  // Those without a family name last, in the order of their ids in the sort's direction.
  std::vector<std::string> ascending, descending;
  for (const char* family : {"Andersson", "ekström", "Zetterberg", "Åberg", "Öberg"}) {
    ascending.push_back(by_family[family]);
  }
  descending.assign(ascending.rbegin(), ascending.rend());
  ascending.insert(ascending.end(), nameless.begin(), nameless.end());
  descending.insert(descending.end(), nameless.rbegin(), nameless.rend());
  EXPECT_EQ(AllMatches(w.ehr(), search + "family"), ascending);
  EXPECT_EQ(AllMatches(w.ehr(), search + "-family"), descending);
  // Backwards from the last page along the `previous` links: the same order.
  std::string path = search + "family";
  Page page = Get(w.ehr(), path, kStrict);
  while (!page.next.empty()) page = Get(w.ehr(), page.next, kStrict);
  std::vector<std::string> backwards = page.matches;
  while (!page.previous.empty()) {
    page = Get(w.ehr(), page.previous, kStrict);
    ASSERT_EQ(page.status, 200) << page.body;
    backwards.insert(backwards.begin(), page.matches.begin(), page.matches.end());
  }
  EXPECT_EQ(backwards, ascending);
}

TEST(Search, TotalSummaryAndElements) {
  World w("st-total");
  const std::string family = "Summasson";
  const std::string p1 = PatientNamed(w, "p1", family);
  PatientNamed(w, "p2", family);
  PatientNamed(w, "p3", family);
  const std::string at = "/fhir/Patient?family=" + family;
  EXPECT_EQ(Get(w.ehr(), at).total, "3") << "exact by default (docs/api.md)";
  EXPECT_EQ(Get(w.ehr(), at + "&_total=accurate").total, "3");
  EXPECT_EQ(Get(w.ehr(), at + "&_total=estimate").total, "3");
  Page none = Get(w.ehr(), at + "&_total=none");
  EXPECT_EQ(none.total, "");
  EXPECT_EQ(none.matches.size(), 3u);
  EXPECT_EQ(w.ehr().Request("GET", at + "&_total=some").status, 400);
  Page count = Get(w.ehr(), at + "&_summary=count");
  EXPECT_EQ(count.total, "3");
  EXPECT_TRUE(count.matches.empty());
  EXPECT_TRUE(count.next.empty());

  auto subset = w.ehr().Request("GET", "/fhir/Patient?_id=" + p1 + "&_elements=identifier", "", kStrict);
  ASSERT_EQ(subset.status, 200) << subset.body;
  auto doc = Parse(subset.body);
  const auto& patient = doc["entry"][0]["resource"];
  EXPECT_TRUE(patient.HasMember("identifier"));
  EXPECT_TRUE(patient.HasMember("meta"));
  EXPECT_FALSE(patient.HasMember("name"));
  EXPECT_FALSE(patient.HasMember("gender"));
  EXPECT_EQ(At(doc, "/entry/0/resource/meta/tag/0/code"), "SUBSETTED");
  EXPECT_NE(std::string(doc["link"][0]["url"].GetString()).find("_elements=identifier"), std::string::npos);
}

// POST _search, CapabilityStatement

TEST(Search, PostSearchTakesTheSameParametersAndItsNextLinkWorks) {
  World w("st-post");
  Clinic c = BuildClinic(w);
  const std::map<std::string, std::string> form = {{"Content-Type", "application/x-www-form-urlencoded"},
                                                   {"Prefer", "handling=strict"}};
  Page page = Read(w.ehr().Request("POST", "/fhir/Patient/_search",
                                   "_id=" + c.p1 + "," + c.p2 + "&_count=1&_revinclude=EpisodeOfCare:patient", form));
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.matches.size(), 1u);
  ASSERT_EQ(page.included.size(), 1u);
  ASSERT_FALSE(page.next.empty());
  Page second = Get(w.ehr(), page.next);
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_EQ(second.matches.size(), 1u);
  EXPECT_NE(second.matches[0], page.matches[0]);
  EXPECT_EQ(AsSet({page.matches[0], second.matches[0]}),
            (std::set<std::string>{"Patient/" + c.p1, "Patient/" + c.p2}));
  EXPECT_EQ(second.included.size(), 1u) << "includes on every page";
  auto strict = w.ehr().Request("POST", "/fhir/Patient/_search", "bogus=1", form);
  EXPECT_EQ(strict.status, 400) << strict.body;
}

TEST(Search, CapabilityStatementListsIncludes) {
  auto result = Server::Shared().Client("ehr")->Request("GET", "/fhir/metadata");
  ASSERT_EQ(result.status, 200);
  auto doc = Parse(result.body);
  std::set<std::string> includes, revincludes;
  for (const auto& resource : doc["rest"][0]["resource"].GetArray()) {
    const std::string type = resource["type"].GetString();
    // FHIR JSON has no empty arrays: a type without includes (Patient) or revincludes lacks the element.
    if (resource.HasMember("searchInclude")) {
      for (const auto& i : resource["searchInclude"].GetArray()) includes.insert(i.GetString());
    }
    if (resource.HasMember("searchRevInclude")) {
      for (const auto& i : resource["searchRevInclude"].GetArray()) revincludes.insert(type + "<-" + i.GetString());
    }
  }
  EXPECT_TRUE(includes.count("CareTeam:subject"));
  EXPECT_TRUE(includes.count("PractitionerRole:organization"));
  EXPECT_TRUE(revincludes.count("Patient<-EpisodeOfCare:patient"));
  EXPECT_TRUE(revincludes.count("Organization<-EpisodeOfCare:organization"));
}

}  // namespace
}  // namespace nara::e2e
