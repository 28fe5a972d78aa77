#include "registry/hsa_id.h"

#include <gtest/gtest.h>

#include <string>

namespace nara {
namespace {

void ExpectRejected(std::string_view text) {
  auto r = HsaId::Parse(text);
  ASSERT_FALSE(r.ok()) << "accepted '" << text << "'";
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_EQ(r.error().detail_code, "value");
  EXPECT_NE(r.error().text.find("HSA-id"), std::string::npos) << r.error().text;
}

TEST(HsaId, AcceptsTenDigitOrganisationNumber) {
  auto r = HsaId::Parse("SE2321000016-1234");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->value(), "SE2321000016-1234");
  EXPECT_EQ(r->organisation_number(), "2321000016");
}

TEST(HsaId, AcceptsLettersInLocalPart) {
  auto r = HsaId::Parse("SE5565594230-B31");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->value(), "SE5565594230-B31");
  EXPECT_EQ(r->organisation_number(), "5565594230");
  auto lower = HsaId::Parse("SE5565594230-abcXYZ09");
  ASSERT_TRUE(lower.ok()) << lower.error().text;
  EXPECT_EQ(lower->value(), "SE5565594230-abcXYZ09");  // case of the local part is kept
}

TEST(HsaId, AcceptsTwelveDigitOrganisationNumber) {
  auto r = HsaId::Parse("SE162321000016-E7");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->organisation_number(), "162321000016");
}

TEST(HsaId, AcceptsLocalPartOfOneToThirtyOneCharacters) {
  EXPECT_TRUE(HsaId::Parse("SE2321000016-1").ok());
  EXPECT_TRUE(HsaId::Parse("SE2321000016-" + std::string(31, 'a')).ok());
  ExpectRejected("SE2321000016-" + std::string(32, 'a'));
  ExpectRejected("SE2321000016-");
}

TEST(HsaId, RejectsLowerCaseOrMissingCountryPrefix) {
  ExpectRejected("se2321000016-1234");
  ExpectRejected("Se2321000016-1234");
  ExpectRejected("2321000016-1234");
  ExpectRejected("NO2321000016-1234");
  ExpectRejected("");
  ExpectRejected("S");
}

TEST(HsaId, RejectsBadOrganisationNumber) {
  ExpectRejected("SE232100001-1234");     // 9 digits
  ExpectRejected("SE23210000160-1234");   // 11 digits
  ExpectRejected("SE2321000016000-1234");  // 13 digits
  ExpectRejected("SE232100-0016-1234");   // separator inside
  ExpectRejected("SE23210000A6-1234");
  ExpectRejected("SE-1234");
}

TEST(HsaId, RejectsMissingDashOrBadLocalPart) {
  ExpectRejected("SE23210000161234");
  ExpectRejected("SE2321000016_1234");
  ExpectRejected("SE2321000016-12-34");
  ExpectRejected("SE2321000016-12 34");
  ExpectRejected("SE2321000016-åäö");
  ExpectRejected(" SE2321000016-1234");
  ExpectRejected("SE2321000016-1234 ");
}

TEST(HsaId, EqualityComparesValue) {
  EXPECT_EQ(*HsaId::Parse("SE2321000016-1234"), *HsaId::Parse("SE2321000016-1234"));
  EXPECT_NE(*HsaId::Parse("SE2321000016-1234"), *HsaId::Parse("SE2321000016-1235"));
}

// The cases auth/peer_identity relied on when it kept its own copy of the syntax.
TEST(HsaId, SyntaxAcceptsAndRejects) {
  EXPECT_TRUE(HsaId::Parse("SE2321000016-E001").ok());
  EXPECT_TRUE(HsaId::Parse("SE162321000016-1234").ok());  // 12-digit organisation number
  EXPECT_TRUE(HsaId::Parse("SE2321000016-" + std::string(31, 'a')).ok());
  EXPECT_FALSE(HsaId::Parse("SE2321000016-" + std::string(32, 'a')).ok());
  EXPECT_FALSE(HsaId::Parse("SE2321000016-").ok());
  EXPECT_FALSE(HsaId::Parse("SE232100001-E001").ok());  // 9 digits
  EXPECT_FALSE(HsaId::Parse("SE23210000161-E001").ok());  // 11 digits
  EXPECT_FALSE(HsaId::Parse("se2321000016-E001").ok());
  EXPECT_FALSE(HsaId::Parse("SE2321000016-E0-1").ok());
  EXPECT_FALSE(HsaId::Parse("SE2321000016-E00å").ok());
  EXPECT_FALSE(HsaId::Parse("SE2321000016E001").ok());
  EXPECT_FALSE(HsaId::Parse("").ok());
}

}  // namespace
}  // namespace nara
