// Home health care end-to-end (docs/api.md section 11): hemsjukvard EpisodeOfCare registered by the
// kommun for its own hemsjukvård units (like saebo), the SIP date on the episode, the kommun's fast
// vårdkontakt at a hemsjukvård unit, and the measures hemsjukvard-fast-vardkontakt-andel and
// hemsjukvard-sip-andel as of a date. The residents are listed at this test's own vårdcentral, so the
// measures are asserted for that subject on the shared server.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::World;

const std::string kSip = reg::kNr + "/StructureDefinition/sip";

// A hemsjukvard episode, with a SIP dated `sip` unless "", ended on `end` (status finished) unless "".
std::string HomeCareJson(const std::string& id, const std::string& patient, const std::string& unit,
                         const std::string& start, const std::string& sip = "", const std::string& end = "") {
  std::string json = reg::EpisodeJson(id, patient, unit, start, "hemsjukvard", end.empty() ? "active" : "finished");
  if (!end.empty()) json.insert(json.size() - 2, R"(,"end":")" + end + R"(")");  // inside period
  if (!sip.empty()) json.insert(1, R"("extension":[{"url":")" + kSip + R"(","valueDate":")" + sip + R"("}],)");
  return json;
}

std::string HemsjukvardUnit(World& w, const std::string& name) {
  const std::string id = w.Id(name);
  World::Put(w.admin(), "Organization", id,
             reg::OrganizationJson(id, reg::UnitHsa(reg::kKommunHsa), "hemsjukvard", w.Kommun()));
  return id;
}

testing::HttpResult Register(World& w, const std::string& id, const std::string& json) {
  return w.municipality().Request("PUT", "/fhir/EpisodeOfCare/" + id, json, reg::kFhirJson);
}

struct Figures {
  long numerator = -1, denominator = -1;
  std::map<std::string, std::pair<long, long>> strata;  // "stratifier=value" → (numerator, denominator)
};

Figures Evaluate(const std::string& measure, const std::string& period_end, const std::string& vc) {
  auto stats = Server::Shared().Client("statistics");
  auto result = stats->Request("GET", "/fhir/Measure/" + measure + "/$evaluate-measure?periodEnd=" + period_end +
                                          "&subject=Organization/" + vc);
  EXPECT_EQ(result.status, 200) << result.body.substr(0, 600);
  Figures f;
  auto doc = Parse(result.body);
  if (!doc.IsObject() || !doc.HasMember("group")) return f;
  const auto counts = [](const rapidjson::Value& populations, long& n, long& d) {
    for (const auto& p : populations.GetArray()) {
      const std::string code = p["code"]["coding"][0]["code"].GetString();
      if (code == "numerator") n = p["count"].GetInt64();
      if (code == "denominator") d = p["count"].GetInt64();
    }
  };
  const auto& group = doc["group"][0];
  counts(group["population"], f.numerator, f.denominator);
  if (group.HasMember("stratifier")) {
    for (const auto& s : group["stratifier"].GetArray()) {
      const std::string code = s["code"][0]["coding"][0]["code"].GetString();
      for (const auto& stratum : s["stratum"].GetArray()) {
        long n = -1, d = -1;
        counts(stratum["population"], n, d);
        f.strata[code + "=" + stratum["value"]["text"].GetString()] = {n, d};
      }
    }
  }
  return f;
}

TEST(HomeCare, TheKommunRegistersHomeCareAtItsOwnUnitsOnly) {
  World w("hc-reg");
  const std::string hsv = HemsjukvardUnit(w, "hsv"), saebo = w.Saebo("saebo");
  const std::string nurse = w.Staff("ssk", hsv, "sjukskoterska");
  const std::string patient = w.Patient("p");

  // Another kommun's hemsjukvård unit: refused by name, nothing written.
  const std::string other_hsa = "SE2120000183-0001";
  const std::string kommun_b = w.Id("kommun-b"), hsv_b = w.Id("hsv-b");
  World::Put(w.admin(), "Organization", kommun_b, reg::OrganizationJson(kommun_b, reg::UnitHsa(other_hsa), "kommun"));
  World::Put(w.admin(), "Organization", hsv_b,
             reg::OrganizationJson(hsv_b, reg::UnitHsa(other_hsa), "hemsjukvard", kommun_b));
  auto foreign = Register(w, w.Id("e-b"), HomeCareJson(w.Id("e-b"), patient, hsv_b, "2024-03-01"));
  EXPECT_EQ(foreign.status, 403) << foreign.body;
  EXPECT_EQ(reg::DetailCode(foreign.body), "other-municipality") << foreign.body;
  EXPECT_EQ(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + w.Id("e-b")).status, 404) << "nothing written";

  // The journal system (ehr) does not register home care.
  auto by_ehr = w.ehr().Request("PUT", "/fhir/EpisodeOfCare/" + w.Id("e-x"),
                                HomeCareJson(w.Id("e-x"), patient, hsv, "2024-03-01"), reg::kFhirJson);
  EXPECT_EQ(by_ehr.status, 403) << by_ehr.body;

  // At a SÄBO unit: the wrong type of unit.
  auto at_saebo = Register(w, w.Id("e-s"), HomeCareJson(w.Id("e-s"), patient, saebo, "2024-03-01"));
  EXPECT_EQ(at_saebo.status, 422) << at_saebo.body;
  EXPECT_EQ(reg::DetailCode(at_saebo.body), "not-a-hemsjukvard") << at_saebo.body;

  // A SIP date belongs on a hemsjukvård episode only (a content error, like the other validation errors).
  std::string listing_with_sip = reg::EpisodeJson(w.Id("l-sip"), patient, w.Vardcentral("vc"), "2024-01-01");
  listing_with_sip.insert(1, R"("extension":[{"url":")" + kSip + R"(","valueDate":"2024-01-01"}],)");
  auto refused_sip = w.ehr().Request("PUT", "/fhir/EpisodeOfCare/" + w.Id("l-sip"), listing_with_sip, reg::kFhirJson);
  EXPECT_EQ(refused_sip.status, 422) << refused_sip.body;
  EXPECT_EQ(IssueCode(refused_sip.body), "value") << refused_sip.body;

  // Its own unit: created, with the SIP date kept as written; the kommun names the responsible nurse.
  const std::string first = w.Id("e1");
  auto own = Register(w, first, HomeCareJson(first, patient, hsv, "2024-03-01", "2024-03-20"));
  ASSERT_EQ(own.status, 201) << own.body;
  auto stored = Parse(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + first).body);
  EXPECT_EQ(At(stored, "/extension/0/url"), kSip);
  EXPECT_EQ(At(stored, "/extension/0/valueDate"), "2024-03-20");
  auto fvk = w.municipality().Request("PUT", "/fhir/CareTeam/" + w.Id("fvk"),
                                      reg::CareTeamJson(w.Id("fvk"), patient, nurse, hsv, "2024-03-01", "1"),
                                      reg::kFhirJson);
  EXPECT_EQ(fvk.status, 201) << fvk.body;
  // The kommun reads its home-care patient (no address on file: known through the unit).
  EXPECT_EQ(w.municipality().Request("GET", "/fhir/Patient/" + patient).status, 200);

  // One hemsjukvård episode at a time: another unit from 2024-09-01 finishes the first that day.
  const std::string hsv2 = HemsjukvardUnit(w, "hsv2");
  auto moved = Register(w, w.Id("e2"), HomeCareJson(w.Id("e2"), patient, hsv2, "2024-09-01"));
  ASSERT_EQ(moved.status, 201) << moved.body;
  auto finished = Parse(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + first).body);
  EXPECT_EQ(At(finished, "/status"), "finished");
  EXPECT_EQ(At(finished, "/period/end"), "2024-09-01");
  EXPECT_EQ(At(finished, "/meta/versionId"), "2");
  EXPECT_EQ(At(finished, "/extension/0/valueDate"), "2024-03-20") << "the SIP stays with the episode";

  // History and as-of: the first version was active and open; the search by date finds the episode
  // in force on each day.
  auto history = w.admin().Request("GET", "/fhir/EpisodeOfCare/" + first + "/_history/1");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(At(Parse(history.body), "/status"), "active");
  EXPECT_EQ(At(Parse(history.body), "/period/end"), "");
  auto on = [&](const std::string& date) {
    return reg::EntryRefs(w.admin()
                              .Request("GET", "/fhir/EpisodeOfCare?patient=Patient/" + patient +
                                                  "&type=hemsjukvard&date=" + date)
                              .body);
  };
  EXPECT_EQ(on("2024-05-01"), std::vector<std::string>{"EpisodeOfCare/" + first});
  EXPECT_EQ(on("2024-10-01"), std::vector<std::string>{"EpisodeOfCare/" + w.Id("e2")});

  // A death ends the running home care on the date of death.
  auto died = w.admin().Request(
      "PUT", "/fhir/Patient/" + patient,
      reg::PatientWithPnr(patient, w.Pnr(patient), "Registersson", "2025-01-15T08:30:00+01:00"), reg::kFhirJson);
  ASSERT_EQ(died.status, 200) << died.body;
  auto ended = Parse(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + w.Id("e2")).body);
  EXPECT_EQ(At(ended, "/status"), "finished");
  EXPECT_EQ(At(ended, "/period/end"), "2025-01-15");
}

// Hand-computed: five residents listed at vc from 2024-01-01.
//  p0 hsv1 from 03-01, SIP 04-15, fast vårdkontakt at hsv1 from 03-01
//  p1 hsv1 from 03-01, no SIP,   fast vårdkontakt at hsv1 from 05-01
//  p2 hsv2 from 06-01, SIP 06-01, a fast vårdkontakt at the vårdcentral only (not the kommun's)
//  p3 hsv1 02-01 – 04-01 (finished), SIP 02-10, fast vårdkontakt at hsv1 from 02-01
//  p4 no home care
TEST(HomeCare, MeasuresAreExactAsOfAnyDate) {
  World w("hc-ms");
  const std::string vc = w.Vardcentral("vc");
  const std::string hsv1 = HemsjukvardUnit(w, "hsv1"), hsv2 = HemsjukvardUnit(w, "hsv2");
  const std::string nurse1 = w.Staff("ssk1", hsv1, "sjukskoterska"), nurse2 = w.Staff("ssk2", hsv2, "sjukskoterska");
  const std::string vc_nurse = w.Staff("sskvc", vc, "sjukskoterska");
  std::vector<std::string> p;
  for (int i = 0; i < 5; ++i) {
    p.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), p[i], vc, "2024-01-01"), "listing");
  }
  const auto fvk = [&](int i, const std::string& role, const std::string& unit, const std::string& start) {
    const std::string id = w.Id("fvk" + std::to_string(i));
    World::Require(w.municipality().Request("PUT", "/fhir/CareTeam/" + id,
                                            reg::CareTeamJson(id, p[i], role, unit, start, "1"), reg::kFhirJson),
                   "fast vårdkontakt " + id);
  };
  World::Require(Register(w, w.Id("e0"), HomeCareJson(w.Id("e0"), p[0], hsv1, "2024-03-01", "2024-04-15")), "e0");
  fvk(0, nurse1, hsv1, "2024-03-01");
  World::Require(Register(w, w.Id("e1"), HomeCareJson(w.Id("e1"), p[1], hsv1, "2024-03-01")), "e1");
  fvk(1, nurse1, hsv1, "2024-05-01");
  World::Require(Register(w, w.Id("e2"), HomeCareJson(w.Id("e2"), p[2], hsv2, "2024-06-01", "2024-06-01")), "e2");
  World::Require(w.Contact(w.Id("fvk2"), p[2], vc_nurse, vc, "2024-06-01", "1"), "fast vårdkontakt at vc");
  World::Require(Register(w, w.Id("e3"), HomeCareJson(w.Id("e3"), p[3], hsv1, "2024-02-01", "2024-02-10")), "e3");
  fvk(3, nurse1, hsv1, "2024-02-01");
  World::Require(Register(w, w.Id("e3"), HomeCareJson(w.Id("e3"), p[3], hsv1, "2024-02-01", "2024-02-10",
                                                      "2024-04-01")),
                 "e3 ended");
  (void)nurse2;

  const std::string fv = "hemsjukvard-fast-vardkontakt-andel", sip = "hemsjukvard-sip-andel";
  // 2024-03-15: p0, p1, p3 in home care; fast vårdkontakt p0, p3; SIP p3 only (p0's is dated later).
  auto march_fv = Evaluate(fv, "2024-03-15", vc), march_sip = Evaluate(sip, "2024-03-15", vc);
  EXPECT_EQ(march_fv.numerator, 2);
  EXPECT_EQ(march_fv.denominator, 3);
  EXPECT_EQ(march_sip.numerator, 1);
  EXPECT_EQ(march_sip.denominator, 3);
  // 2024-04-10: p3's episode ended 04-01; p1's nurse not yet named, p0's SIP not yet made.
  auto april_fv = Evaluate(fv, "2024-04-10", vc), april_sip = Evaluate(sip, "2024-04-10", vc);
  EXPECT_EQ(april_fv.numerator, 1);
  EXPECT_EQ(april_fv.denominator, 2);
  EXPECT_EQ(april_sip.numerator, 0);
  EXPECT_EQ(april_sip.denominator, 2);
  // 2024-07-01: p0, p1 at hsv1 and p2 at hsv2; p2's fast vårdkontakt is the vårdcentral's, not the unit's.
  auto july_fv = Evaluate(fv, "2024-07-01", vc), july_sip = Evaluate(sip, "2024-07-01", vc);
  EXPECT_EQ(july_fv.numerator, 2);
  EXPECT_EQ(july_fv.denominator, 3);
  EXPECT_EQ(july_sip.numerator, 2);
  EXPECT_EQ(july_sip.denominator, 3);
  EXPECT_EQ(july_fv.strata["unit=" + hsv1], (std::pair<long, long>{2, 2}));
  EXPECT_EQ(july_fv.strata["unit=" + hsv2], (std::pair<long, long>{0, 1}));
  EXPECT_EQ(july_sip.strata["unit=" + hsv1], (std::pair<long, long>{1, 2}));
  EXPECT_EQ(july_sip.strata["unit=" + hsv2], (std::pair<long, long>{1, 1}));
  EXPECT_EQ(july_sip.strata["sex=male"], (std::pair<long, long>{2, 3}));
  EXPECT_EQ(july_sip.strata["kommun=none"], (std::pair<long, long>{2, 3}));
  // Before any home care: nobody in the population.
  auto before = Evaluate(sip, "2024-01-15", vc);
  EXPECT_EQ(before.numerator, 0);
  EXPECT_EQ(before.denominator, 0);
}

}  // namespace
}  // namespace nara::e2e
