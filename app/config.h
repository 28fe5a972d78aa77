// Config: the one typed configuration, read once at start-up from nara.properties (if present) with
// every key overridable by an environment variable: key "tls.cert" ⇄ NARA_TLS_CERT (docs/api.md section 7).
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "fhir/http/router.h"

namespace nara::app {

// db.pool-size when not set: twice `cores` (this machine's), at least 4 and at most 16. More busy
// connections than that make each of PostgreSQL's statements dearer; the measurements are in
// docs/internals.md ("What would take the hot paths further"), sizing in docs/deployment.md.
int DefaultDbPoolSize(unsigned cores);

struct Config {
  std::string database_url = "postgresql:///nara";  // database.url
  std::string database_role = "nara_server";        // database.role: SET ROLE on every server connection
  // Reads from hot standbys (docs/api.md section 12, pg/read_routing.h): searches and measures go to
  // database.read-url (empty: the primary); a caller's reads wait up to read-wait-ms for its last write.
  std::string database_read_url;                    // database.read-url
  int database_read_wait_ms = 200;                  // database.read-wait-ms
  int port = 8443;                                  // port
  std::string bind_address = "0.0.0.0";             // bind.address
  int ops_port = 8081;                              // ops.port (plain HTTP, 127.0.0.1 only)
  std::string tls_cert;                             // tls.cert
  std::string tls_key;                              // tls.key
  std::string tls_ca;                               // tls.ca
  std::string tls_crl;                              // tls.crl (empty: no revocation check)
  std::string access_file;                          // access.file
  int threads = 32;                                 // threads: worker threads for FHIR requests
  int queue = 64;                                   // queue: accepted connections waiting for a worker
  int keep_alive_seconds = 10;                      // keep-alive.seconds
  int request_timeout_seconds = 30;                 // request-timeout.seconds: TLS handshake + whole request
  int db_pool_size = DefaultDbPoolSize(std::thread::hardware_concurrency());  // db.pool-size
  int patient_answer_cache = 50000;                 // cache.patient-answers: GET Patient answers kept (0 = none)
  long max_body_bytes = 1 << 20;                    // max-body-bytes (docs/api.md: 1 MiB → 413)
  std::string public_base_url;                      // public.base-url (default https://<Host>/fhir)
  int listing_max_changes_per_year = 2;             // listing.max-changes-per-year (0 = no limit), docs/api.md §4 rule 7
  std::string capacity_mode = "enforce";            // capacity.mode: enforce | warn (docs/api.md §4 rule 3)
  std::string waitlist_effective = "immediate";     // waitlist.effective: immediate | next-month (docs/api.md §9)
  // upgrade.status-index-rows: off | on. On while nodes of a release before schema/0022 still serve
  // (docs/deployment.md section 9): episodes' and care teams' status and period also as index rows.
  std::string upgrade_status_index_rows = "off";
  // bulk export (fhir/operations/bulk_export.h, app/server/export_worker.h)
  std::string export_dir = "var/export";            // export.dir: NDJSON files, a folder per job
  int export_max_jobs = 2;                          // export.max-jobs: queued + running; beyond: 429
  int export_retention_hours = 24;                  // export.retention-hours: then jobs and files are removed
  // Change notifications (docs/api.md section 10, app/server/subscription_worker.h).
  std::string subscription_endpoint_allowlist;      // subscription.endpoint-allowlist: host names/addresses, comma-separated
  std::string subscription_endpoint_ca;             // subscription.endpoint-ca (default tls.ca)
  std::string subscription_client_cert;             // subscription.client-cert: the server's client certificate
  std::string subscription_client_key;              // subscription.client-key (defaults: tls.cert, tls.key)
  int subscription_max_attempts = 10;               // subscription.max-attempts: failures in a row before `error`
  int subscription_retry_first_ms = 1000;           // subscription.retry-first-ms: first backoff, doubling, cap 5 min
};

// subscription.endpoint-allowlist as a list (blanks trimmed, empty entries dropped).
std::vector<std::string> EndpointAllowlist(const Config& config);

// file may be empty: then ./nara.properties is read when it exists.
Config LoadConfig(const std::string& file);

// What the FHIR layer needs of the configuration.
fhir::ApiOptions ApiOptionsFrom(const Config& config);

}  // namespace nara::app
