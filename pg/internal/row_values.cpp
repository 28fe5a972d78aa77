#include "pg/internal/row_values.h"

#include <algorithm>

namespace nara::pg {
namespace {

struct RowParams {
  std::string_view type, token, period;
};
// Both are on the path of a change of listing; their status and period are single by the FHIR
// definitions (EpisodeOfCare.status 1..1, CareTeam.status 0..1, period 0..1 each) and by the indexers.
constexpr RowParams kRowParams[] = {
    {"EpisodeOfCare", "status", "date"},
    {"CareTeam", "status", "date"},
};

const RowParams* RowParamsOf(std::string_view type) {
  for (const auto& params : kRowParams) {
    if (params.type == type) return &params;
  }
  return nullptr;
}

}  // namespace

bool IsRowToken(std::string_view type, std::string_view param) {
  const RowParams* of = RowParamsOf(type);
  return of != nullptr && of->token == param;
}

bool IsRowPeriod(std::string_view type, std::string_view param) {
  const RowParams* of = RowParamsOf(type);
  return of != nullptr && of->period == param;
}

SplitIndex SplitIndexOf(std::string_view type, const IndexEntries& index, bool also_as_index_rows) {
  SplitIndex split(index);
  const RowParams* of = RowParamsOf(type);
  if (of == nullptr) return split;
  const auto is_token = [&](const IndexEntries::Token& token) { return token.param == of->token; };
  const auto is_period = [&](const IndexEntries::PeriodRange& period) { return period.param == of->period; };
  if (std::count_if(index.tokens.begin(), index.tokens.end(), is_token) > 1 ||
      std::count_if(index.periods.begin(), index.periods.end(), is_period) > 1) {
    return split;
  }
  RowValues& row = split.row;
  row.on_row = true;
  for (const auto& token : index.tokens) {
    if (is_token(token)) row.token_system = token.system, row.token_code = token.code;
  }
  for (const auto& period : index.periods) {
    if (is_period(period)) row.period_start = period.start, row.period_end = period.end;
  }
  if (!also_as_index_rows) {
    IndexEntries& trimmed = split.trimmed_.emplace(index);
    auto& tokens = trimmed.tokens;
    tokens.erase(std::remove_if(tokens.begin(), tokens.end(), is_token), tokens.end());
    auto& periods = trimmed.periods;
    periods.erase(std::remove_if(periods.begin(), periods.end(), is_period), periods.end());
  }
  return split;
}

void AppendRowValueParams(const RowValues& row, int version, std::vector<std::string>& params) {
  params.push_back(row.token_system);
  params.push_back(row.token_code);
  params.push_back(row.period_start);
  params.push_back(row.period_end);
  params.push_back(row.on_row ? std::to_string(version) : "");
}

std::vector<std::string> RowValueExpressions(int first) {
  const auto p = [&](int i) { return "$" + std::to_string(first + i) + "::text"; };
  // A period's open side is "" as in the index rows (pg/internal/write_sql.h); no period at all is NULL.
  // No status: the code and its system NULL.
  return {"CASE WHEN " + p(1) + " = '' THEN NULL ELSE " + p(0) + " END", "NULLIF(" + p(1) + ", '')",
          "CASE WHEN " + p(2) + " = '' AND " + p(3) + " = '' THEN NULL ELSE tstzrange(NULLIF(" + p(2) +
              ", '')::timestamptz, NULLIF(" + p(3) + ", '')::timestamptz, '[)') END",
          "NULLIF(" + p(4) + ", '')::int"};
}

std::string RowValuesCurrentSql(const std::string& owner) {
  return owner + ".row_values_version = " + owner + ".version";
}

std::string RowTokenSource(const std::string& owner) {
  return "(SELECT " + owner + ".row_token_system, " + owner +
         ".row_token_code) t(system, code) WHERE t.code IS NOT NULL";
}

std::string RowPeriodSource(const std::string& owner) {
  return "(SELECT " + owner + ".row_period) p(period) WHERE p.period IS NOT NULL";
}

}  // namespace nara::pg
