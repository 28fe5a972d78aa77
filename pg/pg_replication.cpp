#include "pg/pg_replication.h"

#include "pg/internal/connection_pool.h"
#include "pg/internal/with_connection.h"

namespace nara::pg {

PgReplication::PgReplication(const std::string& url) : pool_(std::make_unique<ConnectionPool>(url, 1)) {}

PgReplication::~PgReplication() = default;

Result<ReplicationStatus> PgReplication::Status() {
  return WithConnection<ReplicationStatus>(*pool_, [](pqxx::connection& conn) -> Result<ReplicationStatus> {
    pqxx::read_transaction tx(conn);
    ReplicationStatus status;
    status.primary = !tx.exec1("SELECT pg_is_in_recovery()")[0].as<bool>();
    if (!status.primary) {
      auto row = tx.exec1(
          "SELECT CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
          "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), -1) END::float8");
      status.lag_seconds = row[0].as<double>();
      return status;
    }
    auto row = tx.exec1(
        "SELECT count(*), count(*) FILTER (WHERE sync_state IN ('sync', 'quorum')), "
        // replay_lag is NULL once a standby has caught up and nothing is written; state is NULL too
        // when the login role may not see the standbys' details.
        "coalesce(extract(epoch FROM max(replay_lag)), CASE WHEN bool_and(state IS NOT NULL) THEN 0 ELSE -1 END)::float8 "
        "FROM pg_stat_replication");
    status.standbys = row[0].as<long>();
    status.sync_standbys = row[1].as<long>();
    status.lag_seconds = status.standbys > 0 ? row[2].as<double>() : -1;
    return status;
  });
}

}  // namespace nara::pg
