#include "registry/hsa_id.h"

#include <algorithm>

namespace nara {
namespace {

constexpr size_t kMaxLocalPart = 31;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

Result<HsaId> HsaId::Parse(std::string_view text) {
  if (text.substr(0, 2) != "SE") {
    return Error::Invalid("value", "HSA-id ska börja med SE i versaler (HSA-id must start with SE in upper case)");
  }
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return Error::Invalid("value", "HSA-id ska vara SE, ett organisationsnummer, '-' och en lokal del (HSA-id must be SE, an organisation "
                          "number, '-' and a local part)");
  }
  const std::string_view org = text.substr(2, dash - 2);
  if ((org.size() != 10 && org.size() != 12) || !std::all_of(org.begin(), org.end(), IsDigit)) {
    return Error::Invalid("value", "HSA-id ska ha ett organisationsnummer på 10 eller 12 siffror efter SE (HSA-id must have an "
                          "organisation number of 10 or 12 digits after SE)");
  }
  const std::string_view local = text.substr(dash + 1);
  if (local.empty() || local.size() > kMaxLocalPart || !std::all_of(local.begin(), local.end(), IsAsciiAlnum)) {
    return Error::Invalid("value", "HSA-id ska sluta med en lokal del på 1–31 bokstäver A–Z, a–z eller siffror efter '-' (HSA-id must "
                          "end with a local part of 1–31 letters A–Z, a–z or digits after '-')");
  }
  return HsaId(std::string(text));
}

std::string HsaId::organisation_number() const { return value_.substr(2, value_.find('-') - 2); }

}  // namespace nara
