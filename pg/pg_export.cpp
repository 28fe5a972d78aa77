#include "pg/pg_export.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <pqxx/pqxx>
#include <utility>

#include "registry/date.h"
#include "registry/ids.h"
#include "registry/protection.h"
#include "pg/internal/connection_pool.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/with_connection.h"

namespace nara::pg {
namespace {

// Serialises kick-offs so that "count the active jobs, then insert" cannot race (any value, fixed).
constexpr long long kExportLimitLock = 0x6e617261'65787074LL;  // "naraexpt"
// The advisory lock space of worker signs of life: (kWorkerLockSpace, hashtext(worker id)).
constexpr int kWorkerLockSpace = 0x6e657870;  // "nexp"

std::string JobColumns() {
  return "job_id, owner_hsa_id, level, group_id, types, " + Rfc3339Sql("since") + ", request_url, status, " +
         Rfc3339Sql("transaction_time") + ", progress, error, attempts, withhold_protected";
}

ExportJob JobFrom(const pqxx::row& row) {
  ExportJob job;
  job.id = row[0].as<std::string>();
  job.request.owner_hsa_id = row[1].as<std::string>();
  const std::string level = row[2].as<std::string>();
  job.request.level = level == "group" ? ExportLevel::group : level == "patient" ? ExportLevel::patient
                                                                                  : ExportLevel::system;
  job.request.group_id = row[3].as<std::string>();
  job.request.types = TextArray(row[4]);
  if (!row[5].is_null()) job.request.since = row[5].as<std::string>();
  job.request.request_url = row[6].as<std::string>();
  job.status = row[7].as<std::string>();
  if (!row[8].is_null()) job.transaction_time = row[8].as<std::string>();
  job.progress = row[9].as<std::string>();
  job.error = row[10].as<std::string>();
  job.attempts = row[11].as<int>();
  job.request.withhold_protected = row[12].as<bool>();
  return job;
}

Result<ExportJob> FindIn(pqxx::transaction_base& tx, const std::string& id) {
  const auto rows = tx.exec_params("SELECT " + JobColumns() + " FROM export_job WHERE job_id = $1 AND status <> "
                                   "'cancelled'", id);
  if (rows.empty()) return Error::NotFound("exportjobbet finns inte (no such export job)");
  ExportJob job = JobFrom(rows[0]);
  for (const auto& file : tx.exec_params("SELECT res_type, file_name, count FROM export_file WHERE job_id = $1 "
                                         "ORDER BY ord", id)) {
    job.files.push_back({file[0].as<std::string>(), file[1].as<std::string>(), file[2].as<long>()});
  }
  return job;
}

// "{A,B}": the types are names from ExportableTypes() (checked by the caller), nothing to escape.
std::string TypesLiteral(const std::vector<std::string>& types) {
  std::string out = "{";
  for (size_t i = 0; i < types.size(); ++i) out += (i ? "," : "") + types[i];
  return out + "}";
}

bool IsCompartmentType(const std::string& type) {
  for (const auto& t : PatientCompartmentTypes()) {
    if (t == type) return true;
  }
  return false;
}

// The patients of a virtual Group on date `d` (SQL date expression), as a SELECT of patient_id.
// "In force on d" as the measures count it (pg_measures.cpp): the period decides, finished episodes
// count for the dates they cover, cancelled and entered-in-error ones never.
std::string MembersSql(const std::string& kind, const std::string& quoted_unit, const std::string& d) {
  if (kind == "listed") {
    return "SELECT DISTINCT l.patient_id FROM registry_listing l WHERE l.kind = 'listning' AND l.unit_id = " +
           quoted_unit + " AND l.status IN ('active', 'finished') AND l.period @> " + d;
  }
  return "SELECT DISTINCT l.patient_id FROM registry_listing l JOIN registry_unit s ON s.unit_id = l.unit_id "
         "AND s.type = 'saebo' AND s.part_of = " + quoted_unit +
         " WHERE l.kind = 'saebo' AND l.status IN ('active', 'finished') AND l.period @> " + d;
}

std::string TodaySql() { return "(DATE '1970-01-01' + " + std::to_string(Date::Today().days()) + ")"; }

// listed-<id> → {"listed", id}; saebo-<id> → {"saebo", id}; anything else → nullopt.
std::optional<std::pair<std::string, std::string>> SplitGroupId(const std::string& id) {
  for (const char* kind : {"listed", "saebo"}) {
    const std::string prefix = std::string(kind) + "-";
    if (id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0) {
      return std::make_pair(std::string(kind), id.substr(prefix.size()));
    }
  }
  return std::nullopt;
}

// The current, live versions of one type in the job's scope, in id order.
std::string TypeQuery(pqxx::transaction_base& tx, const ExportJob& job, const std::string& type,
                      const std::string& members) {
  const bool screened = job.request.withhold_protected;
  // Protected identity (docs/api.md section 8; the JSON side is fhir/http/protection.cpp): the same
  // elements removed and the same label added, in SQL so the stream stays row by row.
  const std::string protected_patient =
      "EXISTS (SELECT 1 FROM registry_patient p WHERE p.patient_id = c.res_id AND p.protected)";
  const std::string body =
      screened && type == "Patient"
          ? "CASE WHEN " + protected_patient + " THEN jsonb_set(v.body::jsonb - 'address' - 'telecom' - "
            "'generalPractitioner', '{meta,security}', COALESCE(v.body::jsonb #> '{meta,security}', '[]'::jsonb) || "
            "'[{\"system\":\"" + std::string(protection::kObservationValueSystem) + "\",\"code\":\"" +
            protection::kRedacted + "\",\"display\":\"redacted\"}]'::jsonb)::text ELSE v.body END"
          : "v.body";
  std::string sql =
      "SELECT " + body + " FROM resource_current c JOIN resource_version v "
      "ON v.res_type = c.res_type AND v.res_id = c.res_id AND v.version = c.version "
      "WHERE c.res_type = " + tx.quote(type) + " AND NOT c.deleted";
  if (screened && type != "Patient" && IsCompartmentType(type)) {
    sql += " AND NOT EXISTS (SELECT 1 FROM search_reference r JOIN registry_patient p ON p.patient_id = r.target_id "
           "WHERE r.res_type = c.res_type AND r.res_id = c.res_id AND r.param IN ('patient', 'subject') "
           "AND r.target_type = 'Patient' AND p.protected)";
  }
  // A Group is a unit's list: being in it tells where the person is cared for.
  if (screened && type == "Patient" && !members.empty()) sql += " AND NOT " + protected_patient;
  if (job.request.since) sql += " AND c.last_updated >= " + tx.quote(*job.request.since) + "::timestamptz";
  if (!members.empty()) {
    if (type == "Patient") {
      sql += " AND c.res_id IN (" + members + ")";
    } else if (IsCompartmentType(type)) {
      sql += " AND EXISTS (SELECT 1 FROM search_reference r WHERE r.res_type = c.res_type AND r.res_id = c.res_id "
             "AND r.param IN ('patient', 'subject') AND r.target_type = 'Patient' AND r.target_id IN (" + members + "))";
    }
    // Directory types (Organization, Practitioner, PractitionerRole) asked for with _type go out whole:
    // they name no patient and a statistician needs the units to stratify.
  }
  return sql + " ORDER BY c.res_id";
}

}  // namespace

// A row of COPY ... TO STDOUT in text format (one column) back to the value: COPY writes a
// backslash as \\ and the control characters backspace, form feed, newline, carriage return, tab and
// vertical tab as \b \f \n \r \t \v; every other byte (UTF-8 included) as it is. The line's end is
// the row terminator (a newline in the value is always escaped). False for NULL (\N), which a live
// version's body never is (CHECK in 0001_resources.sql).
bool PgExport::UnescapeCopyText(std::string_view line, std::string& out) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  out.clear();
  if (line == "\\N") return false;
  for (;;) {
    const auto* at = line.empty() ? nullptr : static_cast<const char*>(std::memchr(line.data(), '\\', line.size()));
    if (at == nullptr) {
      out.append(line.data(), line.size());
      return true;
    }
    const size_t pos = static_cast<size_t>(at - line.data());
    out.append(line.data(), pos);
    if (pos + 1 >= line.size()) return false;  // a lone backslash at the end: not COPY's output
    const char c = line[pos + 1];
    switch (c) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      default: out.push_back(c);  // \\ and, as COPY FROM reads it, any other escaped byte
    }
    line.remove_prefix(pos + 2);
  }
}

struct PgExport::Liveness {
  std::unique_ptr<pqxx::connection> conn;
};

PgExport::PgExport(const std::string& url, int pool_size, std::string role)
    : pool_(std::make_unique<ConnectionPool>(url, pool_size, std::move(role))), url_(url) {}

PgExport::~PgExport() = default;

Status PgExport::Announce(const std::string& worker_id) {
  try {
    // A connection of its own, idle for the process's life: its session lock is released by
    // PostgreSQL as soon as the connection goes, however the process ends.
    auto live = std::make_unique<Liveness>();
    live->conn = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction tx(*live->conn);
    if (!tx.exec_params1("SELECT pg_try_advisory_lock($1, hashtext($2))", kWorkerLockSpace, worker_id)[0].as<bool>()) {
      return Error::Conflict("export worker id in use: " + worker_id);
    }
    liveness_ = std::move(live);
    worker_id_ = worker_id;
    return Ok();
  } catch (const pqxx::broken_connection&) {
    return DatabaseUnavailable();
  }
}

Result<ExportJob> PgExport::Create(const ExportRequest& request, int max_active) {
  auto created = WithConnection<ExportJob>(*pool_, [&](pqxx::connection& conn) -> Result<ExportJob> {
    pqxx::work tx(conn);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kExportLimitLock);
    const long active =
        tx.exec1("SELECT count(*) FROM export_job WHERE status IN ('queued', 'running')")[0].as<long>();
    if (active >= max_active) {
      return Error{ErrorKind::unavailable, kTooManyExportJobs,
                   "redan " + std::to_string(active) + " exportjobb pågår, försök senare (" + std::to_string(active) +
                       " export jobs are already active; try again later)",
                   {}};
    }
    const std::string id = NewResourceId();
    tx.exec_params("INSERT INTO export_job (job_id, owner_hsa_id, level, group_id, types, since, request_url, "
                   "withhold_protected) VALUES ($1, $2, $3, $4, $5::text[], NULLIF($6, '')::timestamptz, $7, $8)",
                   id, request.owner_hsa_id, std::string(ExportLevelName(request.level)), request.group_id,
                   TypesLiteral(request.types), request.since.value_or(""), request.request_url,
                   request.withhold_protected);
    auto job = FindIn(tx, id);
    tx.commit();
    return job;
  });
  if (created && on_created_) on_created_();
  return created;
}

Result<ExportJob> PgExport::Find(const std::string& id) {
  return WithConnection<ExportJob>(*pool_, [&](pqxx::connection& conn) -> Result<ExportJob> {
    pqxx::read_transaction tx(conn);
    return FindIn(tx, id);
  });
}

Status PgExport::Cancel(const std::string& id) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    const auto rows = tx.exec_params("UPDATE export_job SET status = 'cancelled', finished = now() "
                                     "WHERE job_id = $1 AND status <> 'cancelled' RETURNING job_id", id);
    if (rows.empty()) return Error::NotFound("exportjobbet finns inte (no such export job)");
    tx.exec_params("DELETE FROM export_file WHERE job_id = $1", id);
    tx.commit();
    return Ok();
  });
}

Result<long> PgExport::ActiveJobs() {
  return WithConnection<long>(*pool_, [&](pqxx::connection& conn) -> Result<long> {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM export_job WHERE status IN ('queued', 'running')")[0].as<long>();
  });
}

bool PgExport::EnsureAlive() {
  if (!liveness_) return false;
  try {
    pqxx::nontransaction tx(*liveness_->conn);
    tx.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    // The connection, and with it the lock, is gone (PostgreSQL restarted): take it again.
    liveness_.reset();
    return Announce(worker_id_).ok();
  }
}

Result<ExportStore::ActiveCounts> PgExport::CountActive() {
  return WithConnection<ActiveCounts>(*pool_, [&](pqxx::connection& conn) -> Result<ActiveCounts> {
    pqxx::read_transaction tx(conn);
    const auto row = tx.exec1("SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = "
                              "'running') FROM export_job WHERE status IN ('queued', 'running')");
    return ActiveCounts{row[0].as<long>(), row[1].as<long>()};
  });
}

Result<std::optional<ExportJob>> PgExport::ClaimNext(const std::string& worker_id) {
  using Claimed = std::optional<ExportJob>;
  // Never take a job without a sign of life: another server would think it orphaned and run it too.
  if (worker_id == worker_id_ && !EnsureAlive()) return DatabaseUnavailable();
  return WithConnection<Claimed>(*pool_, [&](pqxx::connection& conn) -> Result<Claimed> {
    pqxx::work tx(conn);
    // SKIP LOCKED: two workers (or two servers) never take the same job.
    const auto rows = tx.exec_params(
        "UPDATE export_job SET status = 'running', attempts = attempts + 1, progress = 'started', worker = $1 "
        "WHERE job_id = (SELECT job_id FROM export_job WHERE status = 'queued' ORDER BY created, job_id "
        "FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING job_id", worker_id);
    if (rows.empty()) return Claimed();
    auto job = FindIn(tx, rows[0][0].as<std::string>());
    tx.commit();
    if (!job) return job.error();
    return Claimed(std::move(*job));
  });
}

Status PgExport::SetProgress(const std::string& id, const std::string& progress) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    tx.exec_params("UPDATE export_job SET progress = $2 WHERE job_id = $1 AND status = 'running'", id, progress);
    tx.commit();
    return Ok();
  });
}

Status PgExport::Complete(const std::string& id, const std::string& transaction_time,
                          const std::vector<ExportFile>& files) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    const auto rows = tx.exec_params(
        "UPDATE export_job SET status = 'completed', finished = now(), progress = '', "
        "transaction_time = $2::timestamptz WHERE job_id = $1 AND status = 'running' RETURNING job_id",
        id, transaction_time);
    if (rows.empty()) return Error::NotFound("exportjobbet avbröts (the export job was cancelled)");
    int ord = 0;
    for (const auto& file : files) {
      tx.exec_params("INSERT INTO export_file (job_id, file_name, res_type, count, ord) VALUES ($1, $2, $3, $4, $5)",
                     id, file.name, file.type, file.count, ord++);
    }
    tx.commit();
    return Ok();
  });
}

Status PgExport::Fail(const std::string& id, const std::string& why) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    tx.exec_params("UPDATE export_job SET status = 'failed', finished = now(), progress = '', error = $2 "
                   "WHERE job_id = $1 AND status IN ('queued', 'running')", id, why);
    tx.commit();
    return Ok();
  });
}

Result<long> PgExport::RecoverInterrupted(int max_attempts) {
  return WithConnection<long>(*pool_, [&](pqxx::connection& conn) -> Result<long> {
    std::vector<std::pair<std::string, std::string>> running;  // job, worker
    {
      pqxx::read_transaction tx(conn);
      for (const auto& row : tx.exec("SELECT job_id, worker FROM export_job WHERE status = 'running'")) {
        running.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
      }
    }
    long requeued = 0;
    for (const auto& [job, worker] : running) {
      if (worker == worker_id_ && liveness_) continue;  // ours, and we are alive
      pqxx::nontransaction probe(conn);
      // The worker's sign of life: its lock can be taken only once its connection is gone.
      if (!probe.exec_params1("SELECT pg_try_advisory_lock($1, hashtext($2))", kWorkerLockSpace, worker)[0].as<bool>()) {
        continue;
      }
      probe.exec_params("SELECT pg_advisory_unlock($1, hashtext($2))", kWorkerLockSpace, worker);
      probe.exec_params(
          "UPDATE export_job SET status = 'failed', finished = now(), progress = '', worker = '', "
          "error = 'exporten avbröts ' || attempts || ' gånger när servern stoppades (the export was "
          "interrupted ' || attempts || ' times by a server stop); begär en ny (kick off a new one)' "
          "WHERE job_id = $1 AND status = 'running' AND worker = $2 AND attempts >= $3", job, worker, max_attempts);
      requeued += static_cast<long>(
          probe.exec_params("UPDATE export_job SET status = 'queued', progress = '', worker = '' "
                            "WHERE job_id = $1 AND status = 'running' AND worker = $2 RETURNING job_id", job, worker)
              .size());
    }
    return requeued;
  });
}

Result<std::vector<std::string>> PgExport::Expire(long retention_seconds) {
  using Ids = std::vector<std::string>;
  return WithConnection<Ids>(*pool_, [&](pqxx::connection& conn) -> Result<Ids> {
    pqxx::work tx(conn);
    Ids ids;
    for (const auto& row : tx.exec_params("DELETE FROM export_job WHERE finished < now() - make_interval(secs => $1) "
                                          "RETURNING job_id", static_cast<double>(retention_seconds))) {
      ids.push_back(row[0].as<std::string>());
    }
    tx.commit();
    return ids;
  });
}

Result<std::string> PgExport::Stream(const ExportJob& job, ExportSink& sink) {
  {
    std::lock_guard<std::mutex> lock(streaming_mu_);
    interrupted_ = false;
  }
  return WithConnection<std::string>(*pool_, [&](pqxx::connection& conn) -> Result<std::string> {
    struct Registration {
      PgExport& self;
      Registration(PgExport& s, pqxx::connection_base* c) : self(s) {
        std::lock_guard<std::mutex> lock(self.streaming_mu_);
        self.streaming_ = c;
      }
      ~Registration() {
        std::lock_guard<std::mutex> lock(self.streaming_mu_);
        self.streaming_ = nullptr;
      }
    } registration(*this, &conn);
    const auto keep_going = [&]() -> Status {
      if (!sink.KeepGoing()) return Error::Unavailable("cancelled");
      std::lock_guard<std::mutex> lock(streaming_mu_);
      if (interrupted_) return Error::Unavailable("interrupted");
      return Ok();
    };
    try {
      // One snapshot for every type (and for the Group's membership); read-only, so it never blocks a
      // writer. transactionTime is the transaction's start, taken before the snapshot: a later export
      // with _since = transactionTime may repeat a resource but never misses one committed after it.
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
      const std::string transaction_time = tx.exec1("SELECT " + Rfc3339Sql("now()"))[0].as<std::string>();
      std::string members;
      if (job.request.level == ExportLevel::group) {
        const auto split = SplitGroupId(job.request.group_id);
        if (!split) return Error::NotFound("gruppen finns inte (no such Group)");
        members = MembersSql(split->first, tx.quote(split->second), TodaySql());
      }
      const int total = static_cast<int>(job.request.types.size());
      std::string raw, body;  // reused for every row: no allocation per resource once grown
      for (int i = 0; i < total; ++i) {
        const std::string& type = job.request.types[i];
        NARA_RETURN_IF_ERROR(sink.BeginType(type, i + 1, total));
        NARA_RETURN_IF_ERROR(keep_going());
        // COPY streams the rows in one protocol exchange, with no round trip per batch as a cursor's
        // FETCH has. libpqxx 6.4's stream_from writes "COPY <name> TO STDOUT", so a parenthesised
        // query in the place of the table name is a COPY of that query.
        pqxx::stream_from rows(tx, "(" + TypeQuery(tx, job, type, members) + ")");
        // Leaving before the end (cancelled, a sink error, an exception): stream_from's destructor
        // reads the COPY to its end, so the query is cancelled first and that read ends at once.
        // Declared after `rows`, so it runs before rows' destructor.
        struct CancelUnlessDone {
          pqxx::connection_base& conn;
          bool done = false;
          ~CancelUnlessDone() {
            if (done) return;
            try {
              conn.cancel_query();
            } catch (const std::exception&) {
              // The connection is gone: the read ends anyway.
            }
          }
        } cancel_unless_done{conn};
        long n = 0;
        while (rows.get_raw_line(raw)) {
          if (++n % kCheckRows == 0) {
            NARA_RETURN_IF_ERROR(keep_going());
          }
          if (!UnescapeCopyText(raw, body)) {
            return Error::Unavailable("oväntad rad från databasen (unexpected row from the database)");
          }
          NARA_RETURN_IF_ERROR(sink.Resource(body));
        }
        rows.complete();
        cancel_unless_done.done = true;
        NARA_RETURN_IF_ERROR(sink.EndType());
      }
      tx.commit();
      return transaction_time;
    } catch (const pqxx::sql_error& e) {
      std::lock_guard<std::mutex> lock(streaming_mu_);
      if (interrupted_) return Error::Unavailable("interrupted");
      throw;
    }
  });
}

void PgExport::Interrupt() {
  std::lock_guard<std::mutex> lock(streaming_mu_);
  interrupted_ = true;
  if (streaming_ != nullptr) {
    try {
      streaming_->cancel_query();
    } catch (const std::exception&) {
      // Nothing running or the connection is gone: the stream stops at its next batch anyway.
    }
  }
}

Result<std::optional<ExportGroup>> PgExport::FindGroup(const std::string& id) {
  using Found = std::optional<ExportGroup>;
  const auto split = SplitGroupId(id);
  if (!split) return Found();
  return WithConnection<Found>(*pool_, [&](pqxx::connection& conn) -> Result<Found> {
    pqxx::read_transaction tx(conn);
    const auto unit = tx.exec_params("SELECT name, type FROM registry_unit WHERE unit_id = $1", split->second);
    if (unit.empty()) return Found();
    const std::string type = unit[0][1].as<std::string>();
    if ((split->first == "listed" && type != "vardcentral") || (split->first == "saebo" && type != "kommun")) {
      return Found();
    }
    ExportGroup group;
    group.id = id;
    group.kind = split->first;
    group.unit_id = split->second;
    group.unit_name = unit[0][0].as<std::string>();
    group.members = tx.exec1("SELECT count(*) FROM (" + MembersSql(split->first, tx.quote(split->second), TodaySql()) +
                             ") m")[0].as<long>();
    return Found(std::move(group));
  });
}

Result<std::vector<ExportGroup>> PgExport::ListGroups() {
  using Groups = std::vector<ExportGroup>;
  return WithConnection<Groups>(*pool_, [&](pqxx::connection& conn) -> Result<Groups> {
    pqxx::read_transaction tx(conn);
    const std::string d = TodaySql();
    Groups groups;
    const auto rows = tx.exec(
        "SELECT u.unit_id, u.name, u.type, CASE WHEN u.type = 'vardcentral' THEN "
        "(SELECT count(*) FROM (" + MembersSql("listed", "u.unit_id", d) + ") m) ELSE "
        "(SELECT count(*) FROM (" + MembersSql("saebo", "u.unit_id", d) + ") m) END "
        "FROM registry_unit u WHERE u.type IN ('vardcentral', 'kommun') ORDER BY u.type DESC, u.unit_id");
    for (const auto& row : rows) {
      ExportGroup group;
      group.unit_id = row[0].as<std::string>();
      group.unit_name = row[1].as<std::string>();
      group.kind = row[2].as<std::string>() == "vardcentral" ? "listed" : "saebo";
      group.id = group.kind + "-" + group.unit_id;
      group.members = row[3].as<long>();
      groups.push_back(std::move(group));
    }
    return groups;
  });
}

}  // namespace nara::pg
