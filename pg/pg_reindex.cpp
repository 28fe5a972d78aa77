#include "pg/pg_reindex.h"

#include <pqxx/pqxx>

#include "pg/internal/index_values.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/row_values.h"
#include "pg/internal/write_sql.h"

namespace nara::pg {
namespace {

using pqxx::prepare::make_dynamic_params;

// The next batch of live current rows after (type, id), in key order, with their bodies and
// trusted digests.
const std::string kBatchSql =
    std::string("SELECT c.res_type, c.res_id, c.version, v.body, ") + kTrustedIndexDigestsSql +
    " AS index_digests FROM resource_current c JOIN resource_version v USING (res_type, res_id, version) "
    "WHERE NOT c.deleted AND (c.res_type, c.res_id) > ($1::text, $2::text) AND ($3::text = '' OR c.res_type = $3) "
    "ORDER BY c.res_type, c.res_id LIMIT $4::int";

}  // namespace

Result<ReindexReport> Reindex(const ReindexOptions& options, const Indexer& indexer) {
  ReindexReport report;
  try {
    pqxx::connection conn(options.database_url);
    std::string after_type, after_id;
    for (;;) {
      pqxx::work tx(conn);
      // A Patient's answer is not made of its index rows: the servers' caches need not forget it.
      tx.exec0("SET LOCAL nara.patient_feed = 'off'");
      const auto rows = tx.exec_params(kBatchSql, after_type, after_id, options.type, options.batch);
      for (const auto& row : rows) {
        const std::string type = row["res_type"].as<std::string>();
        const std::string id = row["res_id"].as<std::string>();
        const int version = row["version"].as<int>();
        ++report.seen;
        auto index = indexer(type, id, row["body"].as<std::string>());
        if (!index) {
          if (report.failed++ == 0) report.first_failure = type + "/" + id + ": " + index.error().text;
          continue;
        }
        const SplitIndex split = SplitIndexOf(type, *index);
        const IndexColumns values = IndexColumnsOf(split.rows());
        const std::vector<std::string> digests = IndexDigests(values, split.row);
        const std::vector<std::string> recorded = RecordedDigests(row["index_digests"]);
        const int tables = TablesThatChange(recorded, digests);
        // Nothing differs: no table and not the row values (digests not recorded: every table).
        if (tables == 0 && recorded.back() == digests.back()) continue;
        std::vector<std::string> params = {type, id, std::to_string(version), TextArrayLiteral(digests)};
        AppendRowValueParams(split.row, version, params);
        AppendCoveredValues(tables, values, params);
        const WriteStatement& statement = ReindexStatementFor(tables);
        const auto written =
            ExecPrepared(tx, statement.name.c_str(), statement.sql.c_str(), make_dynamic_params(params));
        report.rewritten += written[0][0].as<long>();
      }
      tx.commit();
      if (options.progress) options.progress(report.seen, report.rewritten);
      if (static_cast<int>(rows.size()) < options.batch) break;
      after_type = rows[rows.size() - 1]["res_type"].as<std::string>();
      after_id = rows[rows.size() - 1]["res_id"].as<std::string>();
    }
  } catch (const std::exception& e) {
    return Error::Unavailable(std::string("omindexeringen avbröts (the reindex stopped): ") + e.what());
  }
  return report;
}

}  // namespace nara::pg
