#include "pg/internal/read_ahead_sql.h"

#include <stdexcept>
#include <vector>

#include "pg/internal/index_values.h"
#include "pg/internal/pq_util.h"

namespace nara::pg {

std::string ReadAheadStatementName(size_t keys) { return "nara_read_ahead_" + std::to_string(keys); }

// The keys are a VALUES list of the arrays' elements, one row per key, so the planner counts them
// exactly whether or not it knows the parameters: the generic plan costs what the custom ones did and
// is kept after five calls. (A join of unnest($1, $2) is assumed to bring ten rows in a generic plan,
// which then never looked as cheap as a call's custom plan for two: every call was planned again.)
static std::string BuildReadAheadSql(size_t keys) {
  std::string values;
  for (size_t k = 1; k <= keys; ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    values += (k > 1 ? ", (($1::text[])" : "(($1::text[])") + at + ", ($2::text[])" + at + ")";
  }
  return "SELECT c.res_type, c.res_id, c.version, c.deleted, v.body, " + Rfc3339Sql("v.last_updated") +
         " AS updated, " + kTrustedIndexDigestsSql + " AS index_digests FROM (VALUES " + values +
         ") AS k(t, i) JOIN resource_current c ON c.res_type = k.t AND c.res_id = k.i"
         " JOIN resource_version v USING (res_type, res_id, version) WHERE NOT c.deleted";
}

const std::string& ReadAheadSql(size_t keys) {
  if (keys < 1 || keys > kReadAheadKeysPerStatement) throw std::logic_error("read ahead: keys out of range");
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> all;
    for (size_t k = 1; k <= kReadAheadKeysPerStatement; ++k) all.push_back(BuildReadAheadSql(k));
    return all;
  }();
  return texts[keys - 1];
}

}  // namespace nara::pg
