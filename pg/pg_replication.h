// PgReplication: what a node sees of PostgreSQL replication (docs/api.md section 12), for /readyz and
// /metrics: whether its database is the primary or a hot standby, and the replication lag.
// One connection of its own as the login role (no SET ROLE): the lag columns of pg_stat_replication
// need pg_read_all_stats (pg_monitor), which the restricted server role does not have.
#pragma once

#include <memory>
#include <string>

#include "registry/result.h"

namespace nara::pg {

class ConnectionPool;

struct ReplicationStatus {
  bool primary = true;  // false: a hot standby (in recovery)
  // A standby: seconds since the last replayed commit while WAL is still waiting to be replayed (0 when
  // it has replayed all it received). A primary: the largest replay_lag of its standbys; -1 if none is
  // visible (no standby, or the login role lacks pg_monitor).
  double lag_seconds = -1;
  long standbys = 0;       // a primary: standbys streaming from it
  long sync_standbys = 0;  // of those, the synchronous ones (sync_state 'sync' or 'quorum')
};

class PgReplication {
 public:
  explicit PgReplication(const std::string& url);
  ~PgReplication();
  Result<ReplicationStatus> Status();

 private:
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace nara::pg
