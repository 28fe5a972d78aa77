#include "pg/pg_subscriptions.h"

#include <map>
#include <set>

#include "pg/internal/connection_pool.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/with_connection.h"

namespace nara::pg {
namespace {

const std::string kColumns =
    std::string(
        "id, owner_hsa_id, topic, filters, payload, endpoint, heartbeat_seconds, timeout_seconds, max_count, "
        "status, error, body, ") +
    Rfc3339Sql("created") + " AS created_iso, events_since_start, delivered_through, attempts";

SubscriptionRecord RowToRecord(const pqxx::row& row) {
  SubscriptionRecord record;
  record.id = row["id"].as<std::string>();
  record.owner_hsa_id = row["owner_hsa_id"].as<std::string>();
  record.topic = row["topic"].as<std::string>();
  record.filters = row["filters"].as<std::string>();
  record.payload = row["payload"].as<std::string>();
  record.endpoint = row["endpoint"].as<std::string>();
  record.heartbeat_seconds = row["heartbeat_seconds"].as<int>();
  record.timeout_seconds = row["timeout_seconds"].as<int>();
  record.max_count = row["max_count"].as<int>();
  record.status = row["status"].as<std::string>();
  record.error = row["error"].as<std::string>();
  record.body = row["body"].as<std::string>();
  record.created = row["created_iso"].as<std::string>();
  record.events_since_start = row["events_since_start"].as<long long>();
  record.delivered_through = row["delivered_through"].as<long long>();
  record.attempts = row["attempts"].as<int>();
  return record;
}

std::string NotFound(const std::string& id) {
  return "Subscription/" + id + " finns inte (does not exist)";
}

StoredResource VersionOf(const pqxx::row& row, const char* prefix, const std::string& type, const std::string& id) {
  const std::string p(prefix);
  StoredResource resource;
  resource.type = type;
  resource.id = id;
  resource.version = row[p + "version"].as<int>();
  resource.deleted = row[p + "deleted"].as<bool>();
  resource.last_updated = row[p + "updated"].as<std::string>();
  resource.json = row[p + "body"].is_null() ? std::string() : row[p + "body"].as<std::string>();
  return resource;
}

}  // namespace

PgSubscriptions::PgSubscriptions(const std::string& url, int pool_size, std::string role)
    : pool_(std::make_unique<ConnectionPool>(url, pool_size, std::move(role))) {}

PgSubscriptions::~PgSubscriptions() = default;

Status PgSubscriptions::Create(const SubscriptionRecord& r) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO subscription (id, owner_hsa_id, topic, filters, payload, endpoint, heartbeat_seconds, "
        "timeout_seconds, max_count, status, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10)",
        r.id, r.owner_hsa_id, r.topic, r.filters, r.payload, r.endpoint, r.heartbeat_seconds, r.timeout_seconds,
        r.max_count, r.body);
    tx.commit();
    return Ok();
  });
}

Result<SubscriptionRecord> PgSubscriptions::Get(const std::string& id) {
  return WithConnection<SubscriptionRecord>(*pool_, [&](pqxx::connection& conn) -> Result<SubscriptionRecord> {
    pqxx::read_transaction tx(conn);
    const auto rows = tx.exec_params("SELECT " + kColumns + " FROM subscription WHERE id = $1", id);
    if (rows.empty()) return Error::NotFound(NotFound(id));
    return RowToRecord(rows[0]);
  });
}

Result<std::vector<SubscriptionRecord>> PgSubscriptions::List(const std::string& owner) {
  return WithConnection<std::vector<SubscriptionRecord>>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    const auto rows = tx.exec_params("SELECT " + kColumns +
                                         " FROM subscription WHERE $1 = '' OR owner_hsa_id = $1 ORDER BY created, id",
                                     owner);
    std::vector<SubscriptionRecord> records;
    for (const auto& row : rows) records.push_back(RowToRecord(row));
    return records;
  });
}

Status PgSubscriptions::Remove(const std::string& id) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    const auto rows = tx.exec_params("DELETE FROM subscription WHERE id = $1 RETURNING 1", id);
    if (rows.empty()) return Error::NotFound(NotFound(id));
    tx.commit();
    return Ok();
  });
}

Status PgSubscriptions::Reactivate(const std::string& id) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    const auto rows = tx.exec_params(
        "UPDATE subscription SET status = 'requested', error = '', attempts = 0, next_attempt = now() "
        "WHERE id = $1 RETURNING 1",
        id);
    if (rows.empty()) return Error::NotFound(NotFound(id));
    tx.commit();
    return Ok();
  });
}

Status PgSubscriptions::Replace(const SubscriptionRecord& r) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    const auto rows = tx.exec_params(
        "UPDATE subscription SET topic = $2, filters = $3, payload = $4, endpoint = $5, heartbeat_seconds = $6, "
        "timeout_seconds = $7, max_count = $8, body = $9, status = 'requested', error = '', attempts = 0, "
        "next_attempt = now() WHERE id = $1 RETURNING 1",
        r.id, r.topic, r.filters, r.payload, r.endpoint, r.heartbeat_seconds, r.timeout_seconds, r.max_count, r.body);
    if (rows.empty()) return Error::NotFound(NotFound(r.id));
    tx.commit();
    return Ok();
  });
}

Result<int> PgSubscriptions::Dispatch(int limit, const SubscriptionMatcher& match) {
  // Three steps, so that no transaction of ours stays open while the matcher looks things up on other
  // connections (a DDL lock queued between the two would wait for us while we wait for it, unseen by
  // PostgreSQL's deadlock detector): read the next outbox rows; match them; then number them under the
  // dispatcher's row lock, skipping any another node numbered meanwhile. Rows that commit later with
  // an earlier position came from writes independent of these (see the migration), so numbering them
  // later keeps commit order wherever it can be observed.
  struct Pending {
    std::vector<std::string> positions, topics, types, ids, versions;
  };
  std::vector<std::string> positions;
  std::map<std::string, Pending> pending;
  auto read = WithConnection<int>(*pool_, [&](pqxx::connection& conn) -> Result<int> {
    pqxx::read_transaction tx(conn);
    // Bounded waits: a maintenance lock on resource_version must not hold the worker (or a shutdown).
    tx.exec("SET LOCAL lock_timeout = '1s'");
    std::vector<SubscriptionRecord> subscriptions;
    for (const auto& row : tx.exec("SELECT " + kColumns + " FROM subscription WHERE status <> 'off' ORDER BY id")) {
      subscriptions.push_back(RowToRecord(row));
    }
    if (subscriptions.empty()) {
      // Nobody listens: the rows only need to go (no versions read).
      for (const auto& row : tx.exec_params("SELECT position FROM subscription_outbox ORDER BY position LIMIT $1", limit)) {
        positions.push_back(row[0].as<std::string>());
      }
      return 0;
    }
    const std::string updated_v = Rfc3339Sql("v.last_updated");
    const std::string updated_p = Rfc3339Sql("p.last_updated");
    const auto rows = tx.exec_params(
        "SELECT o.position, o.res_type, o.res_id, v.version AS a_version, v.deleted AS a_deleted, v.body AS a_body, " +
            updated_v + " AS a_updated, p.version AS b_version, p.deleted AS b_deleted, p.body AS b_body, " +
            updated_p +
            " AS b_updated FROM subscription_outbox o "
            "JOIN resource_version v ON v.res_type = o.res_type AND v.res_id = o.res_id AND v.version = o.version "
            "LEFT JOIN resource_version p ON p.res_type = o.res_type AND p.res_id = o.res_id AND p.version = o.version - 1 "
            "ORDER BY o.position LIMIT $1",
        limit);
    tx.commit();
    for (const auto& row : rows) {
      positions.push_back(row["position"].as<std::string>());
      OutboxChange change;
      change.position = row["position"].as<long long>();
      const std::string type = row["res_type"].as<std::string>();
      const std::string id = row["res_id"].as<std::string>();
      change.after = VersionOf(row, "a_", type, id);
      change.has_before = !row["b_version"].is_null();
      if (change.has_before) change.before = VersionOf(row, "b_", type, id);
      for (const auto& [subscription, topic] : match(change, subscriptions)) {
        auto& events = pending[subscription];
        events.positions.push_back(positions.back());
        events.topics.push_back(topic);
        events.types.push_back(type);
        events.ids.push_back(id);
        events.versions.push_back(std::to_string(change.after.version));
      }
    }
    return 0;
  });
  if (!read) return read.error();
  if (positions.empty()) return 0;
  return WithConnection<int>(*pool_, [&](pqxx::connection& conn) -> Result<int> {
    // READ COMMITTED: after waiting for another node's dispatcher, each statement sees what it did.
    pqxx::work tx(conn);
    tx.exec("SELECT 1 FROM subscription_dispatch FOR UPDATE");
    const std::string wanted = TextArrayLiteral(positions);
    std::set<std::string> present;
    for (const auto& row : tx.exec_params("SELECT position FROM subscription_outbox WHERE position = ANY($1::bigint[])",
                                          wanted)) {
      present.insert(row[0].as<std::string>());
    }
    if (present.empty()) return 0;  // another node numbered them
    for (const auto& [subscription, events] : pending) {
      std::vector<std::string> topics, types, ids, versions;
      for (size_t i = 0; i < events.ids.size(); ++i) {
        if (!present.count(events.positions[i])) continue;
        topics.push_back(events.topics[i]);
        types.push_back(events.types[i]);
        ids.push_back(events.ids[i]);
        versions.push_back(events.versions[i]);
      }
      if (ids.empty()) continue;
      const auto count = static_cast<long long>(ids.size());
      const auto last = tx.exec_params(
          "UPDATE subscription SET events_since_start = events_since_start + $2 WHERE id = $1 "
          "RETURNING events_since_start",
          subscription, count);
      if (last.empty()) continue;  // removed meanwhile
      const long long first = last[0][0].as<long long>() - count + 1;
      tx.exec_params(
          "INSERT INTO subscription_event (subscription_id, number, topic, res_type, res_id, version) "
          "SELECT $1, $2::bigint + x.n - 1, x.topic, x.t, x.i, x.v "
          "FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) WITH ORDINALITY AS x(topic, t, i, v, n)",
          subscription, first, TextArrayLiteral(topics), TextArrayLiteral(types), TextArrayLiteral(ids),
          TextArrayLiteral(versions));
    }
    tx.exec_params("DELETE FROM subscription_outbox WHERE position = ANY($1::bigint[])", wanted);
    tx.exec_params("UPDATE subscription_dispatch SET dispatched = dispatched + $1", static_cast<long long>(present.size()));
    tx.commit();
    return static_cast<int>(positions.size());
  });
}

Result<std::vector<SubscriptionEventRecord>> PgSubscriptions::Events(const std::string& id, long long first,
                                                                     long long last, int limit) {
  return WithConnection<std::vector<SubscriptionEventRecord>>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    tx.exec("SET LOCAL lock_timeout = '1s'");  // as in Dispatch
    const auto rows = tx.exec_params(
        "SELECT e.number, e.topic, " + Rfc3339Sql("e.recorded") +
            " AS recorded_iso, e.res_type, e.res_id, e.version, v.deleted, v.body, " + Rfc3339Sql("v.last_updated") +
            " AS updated FROM subscription_event e "
            "JOIN resource_version v ON v.res_type = e.res_type AND v.res_id = e.res_id AND v.version = e.version "
            "WHERE e.subscription_id = $1 AND e.number BETWEEN $2 AND $3 ORDER BY e.number LIMIT $4",
        id, first, last, limit);
    std::vector<SubscriptionEventRecord> events;
    for (const auto& row : rows) {
      SubscriptionEventRecord event;
      event.number = row["number"].as<long long>();
      event.topic = row["topic"].as<std::string>();
      event.recorded = row["recorded_iso"].as<std::string>();
      event.resource = VersionOf(row, "", row["res_type"].as<std::string>(), row["res_id"].as<std::string>());
      events.push_back(std::move(event));
    }
    return events;
  });
}

Result<std::vector<SubscriptionRecord>> PgSubscriptions::ClaimDue(const std::string& node, int limit) {
  return WithConnection<std::vector<SubscriptionRecord>>(*pool_, [&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    // SKIP LOCKED: two nodes claiming at once split the due subscriptions instead of queueing.
    const auto rows = tx.exec_params(
        "UPDATE subscription s SET lease_node = $1, "
        "lease_until = now() + make_interval(secs => 3 * s.timeout_seconds + 2) "
        "WHERE s.id IN (SELECT id FROM subscription WHERE lease_until < now() AND next_attempt <= now() AND "
        "(status = 'requested' OR (status = 'active' AND (events_since_start > delivered_through OR "
        "(heartbeat_seconds > 0 AND coalesce(last_sent, created) <= now() - make_interval(secs => heartbeat_seconds))))) "
        "ORDER BY next_attempt LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " +
            kColumns,
        node, limit);
    tx.commit();
    std::vector<SubscriptionRecord> records;
    for (const auto& row : rows) records.push_back(RowToRecord(row));
    return records;
  });
}

Status PgSubscriptions::RecordDelivered(const std::string& id, const std::string& node, long long through,
                                        const std::string& status) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    // greatest(): a node that overran its lease and reports late never moves the mark back. The status
    // is only set while the subscription is still this delivery's (not reactivated, not turned off).
    tx.exec_params(
        "UPDATE subscription SET delivered_through = greatest(delivered_through, $3), attempts = 0, error = '', "
        "next_attempt = now(), last_sent = now(), "
        "status = CASE WHEN status IN ('requested', 'active') THEN $4 ELSE status END, "
        "lease_until = CASE WHEN lease_node = $2 THEN '-infinity'::timestamptz ELSE lease_until END "
        "WHERE id = $1",
        id, node, through, status);
    tx.commit();
    return Ok();
  });
}

Status PgSubscriptions::RecordFailure(const std::string& id, const std::string& node, int delay_ms, bool give_up,
                                      const std::string& error) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE subscription SET attempts = attempts + 1, error = $5, "
        "next_attempt = now() + make_interval(secs => $3::double precision / 1000), "
        "status = CASE WHEN $4 AND status IN ('requested', 'active') THEN 'error' ELSE status END, "
        "lease_until = CASE WHEN lease_node = $2 THEN '-infinity'::timestamptz ELSE lease_until END "
        "WHERE id = $1",
        id, node, delay_ms, give_up, error);
    tx.commit();
    return Ok();
  });
}

Result<long long> PgSubscriptions::OutboxBacklog() {
  return WithConnection<long long>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM subscription_outbox")[0].as<long long>();
  });
}

Result<SubscriptionStats> PgSubscriptions::Stats() {
  return WithConnection<SubscriptionStats>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    SubscriptionStats stats;
    stats.outbox = tx.exec1("SELECT count(*) FROM subscription_outbox")[0].as<long long>();
    for (const auto& row : tx.exec("SELECT status, count(*), coalesce(sum(events_since_start - delivered_through), 0) "
                                   "FROM subscription GROUP BY status ORDER BY status")) {
      stats.by_status.push_back({row[0].as<std::string>(), row[1].as<long long>(), row[2].as<long long>()});
    }
    return stats;
  });
}

}  // namespace nara::pg
