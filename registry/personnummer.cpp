#include "registry/personnummer.h"

#include <algorithm>

namespace nara {
namespace {

// A samordningsnummer's day is the birth day plus 60 (folkbokföringslagen 18 a §).
constexpr int kSamordningsOffset = 60;
constexpr int kFirstYear = 1800;  // guards against typos such as 0019...; nobody registered is older

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

const char* Label(PersonIdKind kind) {
  return kind == PersonIdKind::personnummer ? "personnummer" : "samordningsnummer";
}

// Swedish first, English after (docs/api.md section 1): a clerk reads the first, an integrator both.
Error Invalid(PersonIdKind kind, const char* svenska, const char* english) {
  const std::string label = Label(kind);
  return Error::Invalid("value", label + " " + svenska + " (" + label + " " + english + ")");
}

}  // namespace

Result<PersonId> PersonId::Parse(std::string_view digits, PersonIdKind kind) {
  if (digits.size() != 12 || !AllDigits(digits)) {
    return Invalid(kind, "ska vara 12 siffror ÅÅÅÅMMDDNNNK utan bindestreck", "must be 12 digits YYYYMMDDNNNC, without separator");
  }
  const int year = Number(digits.substr(0, 4));
  const int month = Number(digits.substr(4, 2));
  const int day_field = Number(digits.substr(6, 2));

  if (year < kFirstYear) return Invalid(kind, "har ett födelseår före 1800", "has a birth year before 1800");
  if (month < 1 || month > 12) return Invalid(kind, "har en månad utanför 01–12", "has a month outside 01–12");

  const bool coordination_day = day_field >= 1 + kSamordningsOffset && day_field <= 31 + kSamordningsOffset;
  int day = day_field;
  if (kind == PersonIdKind::personnummer) {
    if (coordination_day) {
      return Invalid(kind, "har dag 61–91, vilket gör det till ett samordningsnummer", "has a day of 61–91, which makes it a samordningsnummer");
    }
    if (day < 1 || day > 31) return Invalid(kind, "ska ha dag 01–31", "day must be 01–31");
  } else {
    if (day_field >= 1 && day_field <= 31) {
      return Invalid(kind, "har dag 01–31, vilket gör det till ett personnummer", "has a day of 01–31, which makes it a personnummer");
    }
    if (!coordination_day) return Invalid(kind, "ska ha dag 61–91 (födelsedag + 60)", "day must be 61–91, birth day + 60");
    day -= kSamordningsOffset;
  }
  if (day > DaysInMonth(year, month)) return Invalid(kind, "är inget verkligt datum", "is not a real calendar date");

  if (PersonIdCheckDigit(digits.substr(2, 9)) != digits[11] - '0') {
    return Invalid(kind, "har fel kontrollsiffra", "has an invalid check digit");
  }
  return PersonId(std::string(digits), kind);
}

std::string PersonId::birth_date() const {
  int day = Number(std::string_view(value_).substr(6, 2));
  if (kind_ == PersonIdKind::samordningsnummer) day -= kSamordningsOffset;
  std::string out = value_.substr(0, 4) + "-" + value_.substr(4, 2) + "-";
  out += static_cast<char>('0' + day / 10);
  out += static_cast<char>('0' + day % 10);
  return out;
}

bool PersonId::is_female() const { return (value_[10] - '0') % 2 == 0; }

int PersonIdCheckDigit(std::string_view nine) {
  int sum = 0;
  for (size_t i = 0; i < nine.size(); ++i) {
    int d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d / 10 + d % 10;
  }
  return (10 - sum % 10) % 10;
}

}  // namespace nara
