#include "registry/identifier_system.h"

#include <gtest/gtest.h>

#include <string>

namespace nara {
namespace {

TEST(IdentifierSystem, CanonicalSystemMapsEveryAlias) {
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.129.2.1.3.1"), systems::kPersonnummer);
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.129.2.1.3.3"), systems::kSamordningsnummer);
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.74.9.1"), systems::kReservnummer);
  EXPECT_EQ(CanonicalSystem("http://electronichealth.se/identifier/nationelltReservnumer"),
            systems::kReservnummer);
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.129.2.1.4.1"), systems::kHsaId);
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.29.6.2.1"), systems::kHsaId);
}

TEST(IdentifierSystem, CanonicalSystemKeepsCanonicalAndUnknownSystems) {
  for (const char* s : {systems::kPersonnummer, systems::kSamordningsnummer, systems::kReservnummer,
                        systems::kHsaId}) {
    EXPECT_EQ(CanonicalSystem(s), s);
  }
  EXPECT_EQ(CanonicalSystem("http://example.org/mrn"), "http://example.org/mrn");
  EXPECT_EQ(CanonicalSystem(""), "");
  // Matching is exact: a near miss is another system, not an alias.
  EXPECT_EQ(CanonicalSystem("URN:OID:1.2.752.129.2.1.3.1"), "URN:OID:1.2.752.129.2.1.3.1");
  EXPECT_EQ(CanonicalSystem("urn:oid:1.2.752.129.2.1.3.1 "), "urn:oid:1.2.752.129.2.1.3.1 ");
}

TEST(IdentifierSystem, CanonicalSystemUrisAreThoseOfTheContract) {
  EXPECT_STREQ(systems::kPersonnummer, "http://electronichealth.se/identifier/personnummer");
  EXPECT_STREQ(systems::kSamordningsnummer, "http://electronichealth.se/identifier/samordningsnummer");
  EXPECT_STREQ(systems::kReservnummer, "http://electronichealth.se/identifier/nationelltReservnummer");
  EXPECT_STREQ(systems::kHsaId, "urn:oid:1.2.752.29.4.19");
}

void ExpectInvalidValue(const Status& s) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::invalid);
  EXPECT_EQ(s.error().detail_code, "value");
}

TEST(IdentifierSystem, ValidatesPersonnummer) {
  EXPECT_TRUE(ValidateIdentifier(systems::kPersonnummer, "197106254787").ok());
  EXPECT_TRUE(ValidateIdentifier(systems::kPersonnummer, "191212121212").ok());
  ExpectInvalidValue(ValidateIdentifier(systems::kPersonnummer, "197106254788"));
  ExpectInvalidValue(ValidateIdentifier(systems::kPersonnummer, "19121212-1212"));
  // A samordningsnummer under the personnummer system is refused.
  ExpectInvalidValue(ValidateIdentifier(systems::kPersonnummer, "196109732393"));
  ExpectInvalidValue(ValidateIdentifier(systems::kPersonnummer, "197010632391"));
}

TEST(IdentifierSystem, ValidatesSamordningsnummer) {
  EXPECT_TRUE(ValidateIdentifier(systems::kSamordningsnummer, "196109732393").ok());
  EXPECT_TRUE(ValidateIdentifier(systems::kSamordningsnummer, "197010632391").ok());
  ExpectInvalidValue(ValidateIdentifier(systems::kSamordningsnummer, "197106254787"));
  ExpectInvalidValue(ValidateIdentifier(systems::kSamordningsnummer, "202301921231"));
}

TEST(IdentifierSystem, ValidatesHsaId) {
  EXPECT_TRUE(ValidateIdentifier(systems::kHsaId, "SE2321000016-1234").ok());
  EXPECT_TRUE(ValidateIdentifier(systems::kHsaId, "SE5565594230-B31").ok());
  ExpectInvalidValue(ValidateIdentifier(systems::kHsaId, "se2321000016-1234"));
  ExpectInvalidValue(ValidateIdentifier(systems::kHsaId, "SE2321000016"));
}

TEST(IdentifierSystem, ValidatesReservnummer) {
  EXPECT_TRUE(ValidateIdentifier(systems::kReservnummer, "1").ok());
  EXPECT_TRUE(ValidateIdentifier(systems::kReservnummer, "99123456A7").ok());
  EXPECT_TRUE(ValidateIdentifier(systems::kReservnummer, std::string(20, 'z')).ok());
  ExpectInvalidValue(ValidateIdentifier(systems::kReservnummer, ""));
  ExpectInvalidValue(ValidateIdentifier(systems::kReservnummer, std::string(21, '1')));
  ExpectInvalidValue(ValidateIdentifier(systems::kReservnummer, "99-123456"));
  ExpectInvalidValue(ValidateIdentifier(systems::kReservnummer, "ÅÄÖ1"));
  auto s = ValidateIdentifier(systems::kReservnummer, "99-123456");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().text.find("99-123456"), std::string::npos);
}

TEST(IdentifierSystem, ValidateNormalisesAliasesToo) {
  EXPECT_TRUE(ValidateIdentifier("urn:oid:1.2.752.129.2.1.3.1", "197106254787").ok());
  ExpectInvalidValue(ValidateIdentifier("urn:oid:1.2.752.129.2.1.3.1", "197106254788"));
  ExpectInvalidValue(ValidateIdentifier("urn:oid:1.2.752.129.2.1.3.3", "197106254787"));
  ExpectInvalidValue(ValidateIdentifier("urn:oid:1.2.752.29.6.2.1", "not-an-hsa-id"));
  ExpectInvalidValue(ValidateIdentifier("http://electronichealth.se/identifier/nationelltReservnumer", ""));
}

TEST(IdentifierSystem, OtherSystemsAreNotJudged) {
  EXPECT_TRUE(ValidateIdentifier("http://example.org/mrn", "anything at all / 123").ok());
  EXPECT_TRUE(ValidateIdentifier("", "").ok());
}

// Which identifiers belong to at most one live resource: a patient's personnummer or samordningsnummer,
// and the HSA-id of an Organization or a Practitioner (one object of the directory). A doctor who is
// also a patient keeps the personnummer on the Patient: a Practitioner's is not claimed.
TEST(IdentifierSystem, UniqueIdentifiersDependOnTheType) {
  EXPECT_TRUE(IsUniqueIdentifierOf("Patient", systems::kPersonnummer));
  EXPECT_TRUE(IsUniqueIdentifierOf("Patient", systems::kSamordningsnummer));
  EXPECT_TRUE(IsUniqueIdentifierOf("Patient", "urn:oid:1.2.752.129.2.1.3.1"));
  EXPECT_FALSE(IsUniqueIdentifierOf("Patient", systems::kReservnummer));
  EXPECT_FALSE(IsUniqueIdentifierOf("Patient", systems::kHsaId));
  EXPECT_FALSE(IsUniqueIdentifierOf("Patient", "http://example.org/mrn"));
  EXPECT_TRUE(IsUniqueIdentifierOf("Organization", systems::kHsaId));
  EXPECT_TRUE(IsUniqueIdentifierOf("Organization", "urn:oid:1.2.752.129.2.1.4.1"));  // an alias of it
  EXPECT_TRUE(IsUniqueIdentifierOf("Practitioner", systems::kHsaId));
  EXPECT_FALSE(IsUniqueIdentifierOf("Practitioner", systems::kPersonnummer));
  EXPECT_FALSE(IsUniqueIdentifierOf("PractitionerRole", systems::kHsaId));
  EXPECT_FALSE(IsUniqueIdentifierOf("Organization", "http://example.org/unit"));
}

// The one wording of a 409 for a claimed identifier, whichever store refuses it.
TEST(IdentifierSystem, ATakenIdentifierNamesItsHolderInSwedishThenEnglish) {
  EXPECT_EQ(IdentifierTakenText(systems::kHsaId, "Organization/vc-1"),
            "identifieraren (urn:oid:1.2.752.29.4.19) tillhör redan Organization/vc-1 (the identifier already "
            "belongs to Organization/vc-1)");
}

TEST(IdentifierSystem, SystemLabels) {
  EXPECT_EQ(SystemLabel(systems::kPersonnummer), "personnummer");
  EXPECT_EQ(SystemLabel(systems::kSamordningsnummer), "samordningsnummer");
  EXPECT_EQ(SystemLabel(systems::kReservnummer), "nationellt reservnummer");
  EXPECT_EQ(SystemLabel(systems::kHsaId), "HSA-id");
  EXPECT_EQ(SystemLabel("urn:oid:1.2.752.29.6.2.1"), "HSA-id");
  EXPECT_EQ(SystemLabel("http://example.org/mrn"), "identifier");
}

}  // namespace
}  // namespace nara
