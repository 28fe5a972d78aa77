#include "registry/personnummer.h"

#include <gtest/gtest.h>

#include <string>

namespace nara {
namespace {

// Unless a test is about the check digit, every vector carries the right Luhn digit over
// YYMMDDNNN, so a rejection is due to the rule under test alone.

Result<PersonId> Pnr(std::string_view digits) { return PersonId::Parse(digits, PersonIdKind::personnummer); }
Result<PersonId> Snr(std::string_view digits) { return PersonId::Parse(digits, PersonIdKind::samordningsnummer); }

// Every rejection is Invalid/"value" and never echoes the number or its distinctive parts.
void ExpectRejected(const Result<PersonId>& r, std::string_view input) {
  ASSERT_FALSE(r.ok()) << "accepted an invalid number";
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_EQ(r.error().detail_code, "value");
  EXPECT_FALSE(r.error().text.empty());
  const std::string& text = r.error().text;
  if (input.size() >= 6) {
    EXPECT_EQ(text.find(input), std::string::npos) << text;
    EXPECT_EQ(text.find(input.substr(input.size() - 4)), std::string::npos) << text;  // NNNC
  }
}

void ExpectErrorMentions(const Result<PersonId>& r, std::string_view words) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find(words), std::string::npos) << r.error().text;
}

TEST(PersonId, AcceptsValidPersonnummerFromContract) {
  auto r = Pnr("197106254787");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->value(), "197106254787");
  EXPECT_EQ(r->kind(), PersonIdKind::personnummer);
  EXPECT_EQ(r->birth_date(), "1971-06-25");
  EXPECT_TRUE(r->is_female());  // index 10 is 8
}

// docs/api.md lists 197010632391 as a personnummer, but its day is 63: it is the samordningsnummer
// of someone born 1970-10-03 (the Luhn digit 1 is right).
TEST(PersonId, ContractVector197010632391IsASamordningsnummer) {
  auto s = Snr("197010632391");
  ASSERT_TRUE(s.ok()) << s.error().text;
  EXPECT_EQ(s->kind(), PersonIdKind::samordningsnummer);
  EXPECT_EQ(s->birth_date(), "1970-10-03");
  EXPECT_FALSE(s->is_female());  // index 10 is 9

  auto p = Pnr("197010632391");
  ExpectRejected(p, "197010632391");
  ExpectErrorMentions(p, "samordningsnummer");
}

TEST(PersonId, AcceptsValidSamordningsnummerFromContract) {
  auto r = Snr("196109732393");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->value(), "196109732393");
  EXPECT_EQ(r->kind(), PersonIdKind::samordningsnummer);
  EXPECT_EQ(r->birth_date(), "1961-09-13");
  EXPECT_FALSE(r->is_female());  // index 10 is 9
}

TEST(PersonId, AcceptsSkatteverketTestNumbers) {
  auto tolvan = Pnr("191212121212");  // "Tolvan Tolvansson"
  ASSERT_TRUE(tolvan.ok()) << tolvan.error().text;
  EXPECT_EQ(tolvan->birth_date(), "1912-12-12");
  EXPECT_FALSE(tolvan->is_female());  // index 10 is 1

  auto other = Pnr("196408233234");
  ASSERT_TRUE(other.ok()) << other.error().text;
  EXPECT_EQ(other->birth_date(), "1964-08-23");
  EXPECT_FALSE(other->is_female());  // index 10 is 3
}

TEST(PersonId, AcceptsOtherValidNumbers) {
  EXPECT_TRUE(Pnr("202312319821").ok());  // last day of a year
  EXPECT_TRUE(Pnr("180001011238").ok());  // the earliest accepted year
  EXPECT_TRUE(Pnr("189912311231").ok());
  auto f = Pnr("202312319821");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->birth_date(), "2023-12-31");
  EXPECT_TRUE(f->is_female());  // index 10 is 2
}

TEST(PersonId, SexFollowsSecondToLastDigit) {
  auto female = Pnr("197106254787");  // ...478|7: index 10 = 8
  auto male = Pnr("191212121212");    // ...121|2: index 10 = 1
  ASSERT_TRUE(female.ok());
  ASSERT_TRUE(male.ok());
  EXPECT_TRUE(female->is_female());
  EXPECT_FALSE(male->is_female());
}

TEST(PersonId, AcceptsLeapDayInLeapYears) {
  auto y2000 = Pnr("200002291235");  // divisible by 400
  ASSERT_TRUE(y2000.ok()) << y2000.error().text;
  EXPECT_EQ(y2000->birth_date(), "2000-02-29");
  EXPECT_TRUE(Pnr("200402292460").ok());
}

TEST(PersonId, RejectsLeapDayInNonLeapYears) {
  auto y2023 = Pnr("202302291238");
  ExpectRejected(y2023, "202302291238");
  ExpectErrorMentions(y2023, "not a real calendar date");
  auto y1900 = Pnr("190002291235");  // divisible by 100 but not 400
  ExpectRejected(y1900, "190002291235");
  ExpectErrorMentions(y1900, "not a real calendar date");
}

TEST(PersonId, RejectsImpossibleDates) {
  ExpectRejected(Pnr("202302301235"), "202302301235");  // 30 February
  ExpectErrorMentions(Pnr("202302301235"), "not a real calendar date");
  ExpectRejected(Pnr("202313011237"), "202313011237");  // month 13
  ExpectErrorMentions(Pnr("202313011237"), "month");
  ExpectRejected(Pnr("202300011232"), "202300011232");  // month 00
  ExpectRejected(Pnr("202301001232"), "202301001232");  // day 00
  ExpectErrorMentions(Pnr("202301001232"), "day must be 01–31");
  ExpectRejected(Pnr("202301321234"), "202301321234");  // day 32
  ExpectRejected(Pnr("202304311232"), "202304311232");  // 31 April
}

TEST(PersonId, RejectsYearBefore1800) {
  ExpectRejected(Pnr("001212121212"), "001212121212");
  ExpectErrorMentions(Pnr("001212121212"), "1800");
}

TEST(PersonId, RejectsWrongCheckDigit) {
  for (std::string_view bad : {"197106254780", "197106254788", "191212121213", "196408233235"}) {
    auto r = Pnr(bad);
    ExpectRejected(r, bad);
    ExpectErrorMentions(r, "personnummer has an invalid check digit");
  }
  auto s = Snr("196109732394");
  ExpectRejected(s, "196109732394");
  ExpectErrorMentions(s, "samordningsnummer has an invalid check digit");
}

TEST(PersonId, RejectsWrongLength) {
  for (std::string_view bad : {"19710625478", "1971062547870", "7106254787", "", "1"}) {
    auto r = Pnr(bad);
    ExpectRejected(r, bad);
    ExpectErrorMentions(r, "personnummer must be 12 digits YYYYMMDDNNNC");
  }
}

TEST(PersonId, RejectsNonDigitsAndSeparators) {
  for (std::string_view bad : {"19710625478X", "19121212-1212", "19121212+1212", "1912121-1212",
                               "19121212 121", " 191212121212", "１９１２１２１２１２"}) {
    auto r = Pnr(bad);
    ExpectRejected(r, bad);
    ExpectErrorMentions(r, "must be 12 digits");
  }
}

TEST(PersonId, AcceptsSamordningsnummerDayRange) {
  auto first = Snr("202301611238");  // day 61 = 1 January
  ASSERT_TRUE(first.ok()) << first.error().text;
  EXPECT_EQ(first->birth_date(), "2023-01-01");
  auto last = Snr("202301911232");   // day 91 = 31 January
  ASSERT_TRUE(last.ok()) << last.error().text;
  EXPECT_EQ(last->birth_date(), "2023-01-31");
  auto leap = Snr("200002891232");  // day 89 = 29 February 2000
  ASSERT_TRUE(leap.ok()) << leap.error().text;
  EXPECT_EQ(leap->birth_date(), "2000-02-29");
}

TEST(PersonId, RejectsSamordningsnummerOutsideDayRange) {
  auto d92 = Snr("202301921231");
  ExpectRejected(d92, "202301921231");
  ExpectErrorMentions(d92, "samordningsnummer day must be 61–91");
  auto d60 = Snr("202301601239");
  ExpectRejected(d60, "202301601239");
  ExpectErrorMentions(d60, "samordningsnummer day must be 61–91");
  auto feb29 = Snr("200102891231");  // 2001 is no leap year
  ExpectRejected(feb29, "200102891231");
  ExpectErrorMentions(feb29, "not a real calendar date");
}

TEST(PersonId, RejectsKindMismatch) {
  auto p_as_s = Snr("197106254787");
  ExpectRejected(p_as_s, "197106254787");
  ExpectErrorMentions(p_as_s, "makes it a personnummer");
  auto s_as_p = Pnr("196109732393");
  ExpectRejected(s_as_p, "196109732393");
  ExpectErrorMentions(s_as_p, "makes it a samordningsnummer");
}

TEST(PersonId, EqualityComparesKindAndValue) {
  EXPECT_EQ(*Pnr("191212121212"), *Pnr("191212121212"));
  EXPECT_NE(*Pnr("191212121212"), *Pnr("197106254787"));
}

// The check digit the tools build numbers with is the one Parse checks: Skatteverket's worked
// example 811218-987(6) and the well-known test number 121212-121(2).
TEST(PersonIdCheckDigit, MatchesKnownNumbers) {
  EXPECT_EQ(PersonIdCheckDigit("811218987"), 6);
  EXPECT_EQ(PersonIdCheckDigit("121212121"), 2);
  EXPECT_EQ(PersonIdCheckDigit("640823323"), 4);
}

}  // namespace
}  // namespace nara
