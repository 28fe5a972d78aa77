#include "pg/internal/index_values.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "pg/internal/pq_util.h"

namespace nara::pg {
namespace {

// Column `field` of every entry, as a text[] literal.
template <typename Entry>
std::string Column(const std::vector<Entry>& entries, std::string Entry::*field) {
  std::vector<std::string> values;
  values.reserve(entries.size());
  for (const auto& entry : entries) values.push_back(entry.*field);
  return TextArrayLiteral(values);
}

}  // namespace

IndexColumns IndexColumnsOf(const IndexEntries& index) {
  using Token = IndexEntries::Token;
  using Text = IndexEntries::Text;
  using Reference = IndexEntries::Reference;
  using Period = IndexEntries::PeriodRange;
  return {{
      {Column(index.tokens, &Token::param), Column(index.tokens, &Token::system), Column(index.tokens, &Token::code)},
      {Column(index.texts, &Text::param), Column(index.texts, &Text::value), Column(index.texts, &Text::normalized)},
      {Column(index.references, &Reference::param), Column(index.references, &Reference::target_type),
       Column(index.references, &Reference::target_id)},
      {Column(index.periods, &Period::param), Column(index.periods, &Period::start),
       Column(index.periods, &Period::end)},
  }};
}

std::string IndexDigest(const std::vector<std::string>& column_literals) {
  if (column_literals.empty() || column_literals.front() == "{}") return "";
  // A cryptographic digest, not a fast hash: a collision would leave a table's rows as they were, so
  // nobody may be able to choose values that collide with a resource's previous ones.
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::runtime_error("index digest: EVP_MD_CTX_new failed");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  for (const auto& literal : column_literals) {
    // A literal holds no NUL, so one after each keeps the boundaries unambiguous.
    ok = ok && EVP_DigestUpdate(ctx, literal.data(), literal.size()) == 1 && EVP_DigestUpdate(ctx, "", 1) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || length < 16) throw std::runtime_error("index digest: SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 16; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::vector<std::string> IndexDigests(const IndexColumns& columns, const RowValues& row) {
  std::vector<std::string> digests;
  for (const auto& table : columns) digests.push_back(IndexDigest(table));
  digests.push_back(row.on_row ? IndexDigest({row.token_system, row.token_code, row.period_start, row.period_end})
                               : "");
  return digests;
}

std::vector<std::string> RecordedDigests(const pqxx::field& field) {
  auto digests = TextArray(field);
  if (digests.size() != kRecordedDigests) digests.clear();
  return digests;
}

}  // namespace nara::pg
