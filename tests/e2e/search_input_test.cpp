// Search and input as integrators send them (issue 14): personnummer in the forms Swedish systems print,
// `system|` tokens, lenient handling that must not widen a Patient search to the whole registry, and
// hostile text (control characters, ids of dots) refused with 400 instead of a 500.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::World;

const std::string kPnrSystemEncoded = "http%3A%2F%2Felectronichealth.se%2Fidentifier%2Fpersonnummer";

TEST(SearchInput, PersonnummerWithHyphenOrTenDigitsFindsThePatient) {
  World w("si-pnr");
  const std::string patient = w.Patient("p");
  const std::string pnr = w.Pnr(patient);  // YYYYMMDDNNNN
  const std::string hyphen12 = pnr.substr(0, 8) + "-" + pnr.substr(8);
  const std::string hyphen10 = pnr.substr(2, 6) + "-" + pnr.substr(8);
  for (const std::string& query :
       {"identifier=" + kPnrSystemEncoded + "%7C" + hyphen12, "identifier=" + hyphen12,
        "identifier=" + kPnrSystemEncoded + "%7C" + pnr.substr(2), "identifier=" + kPnrSystemEncoded + "%7C" + hyphen10}) {
    auto found = w.ehr().Request("GET", "/fhir/Patient?" + query);
    ASSERT_EQ(found.status, 200) << query << ": " << found.body.substr(0, 300);
    EXPECT_EQ(reg::EntryRefs(found.body), std::vector<std::string>{"Patient/" + patient}) << query;
  }
}

TEST(SearchInput, SystemWithoutCodeMatchesAnyCodeInThatSystem) {
  World w("si-sys");
  const std::string patient = w.Patient("p");
  auto found = w.ehr().Request("GET", "/fhir/Patient?_id=" + patient + "&identifier=" + kPnrSystemEncoded + "%7C");
  ASSERT_EQ(found.status, 200) << found.body.substr(0, 300);
  EXPECT_EQ(reg::EntryRefs(found.body), std::vector<std::string>{"Patient/" + patient});
  auto other = w.ehr().Request("GET", "/fhir/Patient?_id=" + patient + "&identifier=urn%3Aoid%3A1.2.752.29.4.19%7C");
  ASSERT_EQ(other.status, 200) << other.body.substr(0, 300);
  EXPECT_TRUE(reg::EntryRefs(other.body).empty()) << other.body.substr(0, 300);
}

TEST(SearchInput, UnknownParameterAloneIsRefusedOnPatientButIgnoredWhenRestricted) {
  World w("si-unk");
  const std::string patient = w.Patient("p");
  auto alone = w.ehr().Request("GET", "/fhir/Patient?shoesize=42");
  EXPECT_EQ(alone.status, 400) << alone.body.substr(0, 300);
  EXPECT_EQ(IssueCode(alone.body), "not-supported");
  auto restricted = w.ehr().Request("GET", "/fhir/Patient?shoesize=42&_id=" + patient);
  ASSERT_EQ(restricted.status, 200) << restricted.body.substr(0, 300);
  EXPECT_EQ(reg::EntryRefs(restricted.body), std::vector<std::string>{"Patient/" + patient});
  EXPECT_NE(restricted.body.find("shoesize"), std::string::npos) << "the ignored parameter is reported";
  EXPECT_EQ(w.ehr().Request("GET", "/fhir/Organization?shoesize=42&_count=1").status, 200);
}

TEST(SearchInput, ControlCharactersInTextAre400NotA500) {
  World w("si-nul");
  const std::string id = w.Id("p");
  const std::string pnr = reg::NextPersonnummer();
  for (const std::string& body :
       {reg::PatientWithPnr(id, pnr, "Berg\\u0000son"), reg::PatientWithPnr(id, pnr, "Berg\\u0007son"),
        reg::PatientWithPnr(id, pnr.substr(0, 11) + "\\u0000", "Berg")}) {
    auto result = w.admin().Request("PUT", "/fhir/Patient/" + id, body, reg::kFhirJson);
    EXPECT_EQ(result.status, 400) << body << ": " << result.body.substr(0, 300);
    EXPECT_EQ(IssueCode(result.body), "structure") << result.body.substr(0, 300);
  }
  // Tab, CR and LF are allowed in FHIR strings.
  auto fine = w.admin().Request("PUT", "/fhir/Patient/" + id, reg::PatientWithPnr(id, pnr, "Berg\\tson"), reg::kFhirJson);
  EXPECT_EQ(fine.status, 201) << fine.body.substr(0, 300);
}

TEST(SearchInput, IdsOfDotsAreRefused) {
  World w("si-dot");
  for (const std::string id : {"..", "."}) {
    const std::string body = reg::PatientWithPnr(id, reg::NextPersonnummer(), "Punkt");
    auto result = w.admin().Request("PUT", "/fhir/Patient/" + id, body, reg::kFhirJson);
    EXPECT_EQ(result.status, 400) << id << ": " << result.body.substr(0, 300);
  }
}

// A kommun clerk registering someone who moves in from another kommun finds them by the full
// personnummer; other searches stay limited to the kommun's residents, and their count counts those.
TEST(SearchInput, MunicipalityFindsAPersonByFullIdentifierAndCountsItsResidents) {
  World w("si-kom");
  const std::string stranger = w.Patient("stranger");
  const std::string resident = w.Patient("resident");
  const std::string saebo = w.Saebo("sb");
  World::Require(w.MoveIntoSaebo(w.Id("res"), resident, saebo, "2024-03-01"), "SÄBO residency");
  auto& municipality = w.municipality();

  auto found = municipality.Request("GET", "/fhir/Patient?identifier=" + kPnrSystemEncoded + "%7C" + w.Pnr(stranger));
  ASSERT_EQ(found.status, 200) << found.body.substr(0, 300);
  EXPECT_EQ(reg::EntryRefs(found.body), std::vector<std::string>{"Patient/" + stranger});
  EXPECT_EQ(At(Parse(found.body), "/total"), "1");
  // The hyphenated form a clerk types works too.
  const std::string hyphen = w.Pnr(stranger).substr(0, 8) + "-" + w.Pnr(stranger).substr(8);
  EXPECT_EQ(reg::EntryRefs(municipality.Request("GET", "/fhir/Patient?identifier=" + kPnrSystemEncoded + "%7C" + hyphen).body),
            std::vector<std::string>{"Patient/" + stranger});

  // Anything else is a search of its residents only.
  const std::string both = "_id=" + stranger + "," + resident;
  auto listed = municipality.Request("GET", "/fhir/Patient?" + both);
  ASSERT_EQ(listed.status, 200) << listed.body.substr(0, 300);
  EXPECT_EQ(reg::EntryRefs(listed.body), std::vector<std::string>{"Patient/" + resident});
  auto partial = municipality.Request("GET", "/fhir/Patient?identifier=" + w.Pnr(stranger));  // no system
  EXPECT_TRUE(reg::EntryRefs(partial.body).empty()) << partial.body.substr(0, 300);
  auto counted = municipality.Request("GET", "/fhir/Patient?" + both + "&_summary=count");
  ASSERT_EQ(counted.status, 200) << counted.body.substr(0, 300);
  EXPECT_EQ(At(Parse(counted.body), "/total"), "1") << counted.body.substr(0, 300);
}

}  // namespace
}  // namespace nara::e2e
