// PersonId: a Swedish personnummer or samordningsnummer, the national identity of a patient.
//
// Invariants of a constructed PersonId: exactly 12 ASCII digits YYYYMMDDNNNC (no separator, as
// HL7 Sweden's base profiles store it); YYYY-MM-(DD, minus 60 for a samordningsnummer) is a real
// Gregorian date from year 1800 on; C is the Luhn check digit over YYMMDDNNN (folkbokföringslagen
// 18 §); the kind agrees with the day (01–31 personnummer, 61–91 samordningsnummer).
// The value is patient data: error texts never repeat it (docs/api.md section 7, "never a personnummer
// in a log line").
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "registry/result.h"

namespace nara {

enum class PersonIdKind { personnummer, samordningsnummer };

// The check digit C over the nine digits YYMMDDNNN: Luhn (mod 10), weights 2,1,2,... from the left
// (Skatteverket SKV 704). The one home of the rule: Parse checks with it, the tools build numbers with it.
int PersonIdCheckDigit(std::string_view nine);

class PersonId {
 public:
  // Errors are Error::Invalid("value", ...), worded for a clerk. The date is not compared with
  // today: that would make validity depend on the clock.
  static Result<PersonId> Parse(std::string_view digits, PersonIdKind kind);

  const std::string& value() const { return value_; }  // the 12 digits
  PersonIdKind kind() const { return kind_; }
  std::string birth_date() const;  // "YYYY-MM-DD", the real day also for a samordningsnummer
  bool is_female() const;          // the second-to-last digit is even for women

  friend bool operator==(const PersonId& a, const PersonId& b) {
    return a.kind_ == b.kind_ && a.value_ == b.value_;
  }
  friend bool operator!=(const PersonId& a, const PersonId& b) { return !(a == b); }

 private:
  PersonId(std::string value, PersonIdKind kind) : value_(std::move(value)), kind_(kind) {}

  std::string value_;
  PersonIdKind kind_;
};

}  // namespace nara
