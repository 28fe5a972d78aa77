// Fuzz target: personnummer / samordningsnummer (registry/personnummer.h) and HSA-id
// (registry/hsa_id.h) parsing. Accepted values keep their invariants and parse again to themselves.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/date.h"
#include "registry/hsa_id.h"
#include "registry/personnummer.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void CheckPersonId(std::string_view text, nara::PersonIdKind kind) {
  auto id = nara::PersonId::Parse(text, kind);
  if (!id) return;
  NARA_FUZZ_CHECK(id->value().size() == 12);
  for (char c : id->value()) NARA_FUZZ_CHECK(c >= '0' && c <= '9');
  NARA_FUZZ_CHECK(id->kind() == kind);
  auto again = nara::PersonId::Parse(id->value(), kind);
  NARA_FUZZ_CHECK(again && *again == *id);
  NARA_FUZZ_CHECK(static_cast<bool>(nara::Date::Parse(id->birth_date())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckPersonId(text, nara::PersonIdKind::personnummer);
  CheckPersonId(text, nara::PersonIdKind::samordningsnummer);
  if (auto hsa = nara::HsaId::Parse(text)) {
    NARA_FUZZ_CHECK(hsa->value().rfind("SE", 0) == 0);
    const auto digits = hsa->organisation_number();
    NARA_FUZZ_CHECK(digits.size() == 10 || digits.size() == 12);
    auto again = nara::HsaId::Parse(hsa->value());
    NARA_FUZZ_CHECK(again && *again == *hsa);
  }
  return 0;
}
