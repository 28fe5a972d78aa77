// HsaId: an identity in the national HSA catalogue (Inera) naming a person, a care unit or a
// system, e.g. "SE2321000016-1234".
//
// Invariants of a constructed HsaId: "SE" (upper case), then the issuing organisation's number
// (10 digits, or 12 with a century prefix), then "-", then a local part of 1–31 characters
// [A-Za-z0-9]. The organisation number's check digit is not verified: the catalogue, not the
// format, decides whether an id exists, and test PKIs use made-up organisations.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "registry/result.h"

namespace nara {

class HsaId {
 public:
  // Errors are Error::Invalid("value", ...).
  static Result<HsaId> Parse(std::string_view text);

  const std::string& value() const { return value_; }
  std::string organisation_number() const;  // the 10 or 12 digits between "SE" and "-"

  friend bool operator==(const HsaId& a, const HsaId& b) { return a.value_ == b.value_; }
  friend bool operator!=(const HsaId& a, const HsaId& b) { return !(a == b); }

 private:
  explicit HsaId(std::string value) : value_(std::move(value)) {}

  std::string value_;
};

}  // namespace nara
