#include "app/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "registry/waitlist.h"

namespace nara::app {
namespace {

std::string EnvName(const std::string& key) {
  std::string name = "NARA_";
  for (char ch : key) name += (ch == '.' || ch == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

class Source {
 public:
  explicit Source(const std::string& file) {
    const std::string path = file.empty() ? "nara.properties" : file;
    if (Poco::File(path).exists()) {
      props_ = new Poco::Util::PropertyFileConfiguration(path);
    } else if (!file.empty()) {
      throw std::runtime_error("configuration file not found: " + file);
    }
  }

  void Get(const std::string& key, std::string& out) const {
    if (const char* env = std::getenv(EnvName(key).c_str()); env && *env) {
      out = env;
    } else if (props_ && props_->hasProperty(key)) {
      out = props_->getString(key);
    }
  }

  template <typename Int>
  void Get(const std::string& key, Int& out) const {
    std::string text;
    Get(key, text);
    if (text.empty()) return;
    try {
      out = static_cast<Int>(std::stol(text));
    } catch (const std::exception&) {
      throw std::runtime_error("configuration " + key + " must be a number, got '" + text + "'");
    }
  }

 private:
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props_;
};

}  // namespace

int DefaultDbPoolSize(unsigned cores) { return static_cast<int>(std::clamp(2u * cores, 4u, 16u)); }

Config LoadConfig(const std::string& file) {
  Source source(file);
  Config config;
  source.Get("database.url", config.database_url);
  source.Get("database.role", config.database_role);
  source.Get("database.read-url", config.database_read_url);
  source.Get("database.read-wait-ms", config.database_read_wait_ms);
  source.Get("port", config.port);
  source.Get("bind.address", config.bind_address);
  source.Get("ops.port", config.ops_port);
  source.Get("tls.cert", config.tls_cert);
  source.Get("tls.key", config.tls_key);
  source.Get("tls.ca", config.tls_ca);
  source.Get("tls.crl", config.tls_crl);
  source.Get("access.file", config.access_file);
  source.Get("threads", config.threads);
  source.Get("queue", config.queue);
  source.Get("keep-alive.seconds", config.keep_alive_seconds);
  source.Get("request-timeout.seconds", config.request_timeout_seconds);
  source.Get("db.pool-size", config.db_pool_size);
  source.Get("cache.patient-answers", config.patient_answer_cache);
  source.Get("max-body-bytes", config.max_body_bytes);
  source.Get("public.base-url", config.public_base_url);
  source.Get("listing.max-changes-per-year", config.listing_max_changes_per_year);
  source.Get("capacity.mode", config.capacity_mode);
  source.Get("waitlist.effective", config.waitlist_effective);
  source.Get("upgrade.status-index-rows", config.upgrade_status_index_rows);
  source.Get("export.dir", config.export_dir);
  source.Get("export.max-jobs", config.export_max_jobs);
  source.Get("export.retention-hours", config.export_retention_hours);
  source.Get("subscription.endpoint-allowlist", config.subscription_endpoint_allowlist);
  source.Get("subscription.endpoint-ca", config.subscription_endpoint_ca);
  source.Get("subscription.max-attempts", config.subscription_max_attempts);
  source.Get("subscription.retry-first-ms", config.subscription_retry_first_ms);
  source.Get("subscription.client-cert", config.subscription_client_cert);
  source.Get("subscription.client-key", config.subscription_client_key);
  if (config.subscription_endpoint_ca.empty()) config.subscription_endpoint_ca = config.tls_ca;
  // A server certificate that also carries clientAuth (common for SITHS function certificates) may
  // serve for both; otherwise name the client certificate.
  if (config.subscription_client_cert.empty()) {
    config.subscription_client_cert = config.tls_cert;
    config.subscription_client_key = config.tls_key;
  }
  if (config.subscription_max_attempts < 1) throw std::runtime_error("subscription.max-attempts must be 1 or more");
  if (config.subscription_retry_first_ms < 1) throw std::runtime_error("subscription.retry-first-ms must be 1 or more");
  if (config.export_max_jobs < 1) throw std::runtime_error("export.max-jobs must be 1 or more");
  if (config.export_retention_hours < 1) throw std::runtime_error("export.retention-hours must be 1 or more");
  if (!WaitlistEffectiveFromName(config.waitlist_effective)) {
    throw std::runtime_error("waitlist.effective must be immediate or next-month, got '" + config.waitlist_effective +
                             "'");
  }
  if (config.upgrade_status_index_rows != "off" && config.upgrade_status_index_rows != "on") {
    throw std::runtime_error("upgrade.status-index-rows must be off or on, got '" + config.upgrade_status_index_rows +
                             "'");
  }
  if (config.capacity_mode != "enforce" && config.capacity_mode != "warn") {
    throw std::runtime_error("capacity.mode must be enforce or warn, got '" + config.capacity_mode + "'");
  }
  if (config.database_read_wait_ms < 0 || config.database_read_wait_ms > 10000) {
    throw std::runtime_error("database.read-wait-ms must be 0 to 10000");
  }
  if (config.patient_answer_cache < 0) throw std::runtime_error("cache.patient-answers must be 0 (none) or more");
  if (config.request_timeout_seconds < 1) throw std::runtime_error("request-timeout.seconds must be 1 or more");
  if (config.listing_max_changes_per_year < 0) {
    throw std::runtime_error("listing.max-changes-per-year must be 0 (no limit) or more");
  }
  return config;
}

std::vector<std::string> EndpointAllowlist(const Config& config) {
  std::vector<std::string> hosts;
  std::string host;
  for (const char ch : config.subscription_endpoint_allowlist + ",") {
    if (ch == ',') {
      if (!host.empty()) hosts.push_back(host);
      host.clear();
    } else if (!std::isspace(static_cast<unsigned char>(ch))) {
      host += ch;
    }
  }
  return hosts;
}

fhir::ApiOptions ApiOptionsFrom(const Config& config) {
  fhir::ApiOptions options;
  options.registry.max_changes_per_year = config.listing_max_changes_per_year;
  options.registry.capacity_warn_only = config.capacity_mode == "warn";
  options.registry.waitlist_effective = *WaitlistEffectiveFromName(config.waitlist_effective);
  options.exports.dir = config.export_dir;
  options.exports.max_jobs = config.export_max_jobs;
  return options;
}

}  // namespace nara::app
