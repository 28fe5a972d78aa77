// nara: one executable for the registry (docs/api.md section 7).
#include <Poco/Net/SSLManager.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/log.h"
#include "app/server/serve.h"
#include "app/tools/audit_extract.h"
#include "app/tools/demo_data.h"
#include "app/tools/import.h"
#include "app/tools/migrated.h"
#include "app/tools/reindex.h"
#include "app/tools/report.h"
#include "app/tools/synth.h"
#include "auth/dev_pki.h"
#include "fhir/http/router.h"
#include "pg/migrations.h"
#include "pg/pg_store.h"

namespace {

// Every command with its arguments and what it does: the one source of `nara --help` and of
// `nara COMMAND --help`.
struct Command {
  const char* name;
  const char* arguments;
  const char* summary;
};

constexpr Command kCommands[] = {
    {"serve", "", "serve https://HOST:PORT/fhir over mutual TLS (+ ops endpoints on 127.0.0.1)"},
    {"migrate", "", "apply schema migrations (idempotent)"},
    {"dev-pki", "DIR", "create a SITHS-style test PKI (CAs, server and client certificates, CRL, access.json)"},
    {"demo-load", "", "load the small demo population (idempotent)"},
    {"audit-extract", "--patient PNR", "the patient's log extract: which units accessed the data, when"},
    {"report", "--as-of DATE [--format csv|json|html] [--out FILE] [--subject ORG]", "the indicators as of DATE"},
    {"synth", "--people N [--seed S] [--as-of DATE] --out FILE.ndjson", "a synthetic Swedish population"},
    {"import", "FILE.ndjson", "load new resources with COPY, all or nothing (- reads stdin)"},
    {"reindex", "[--type TYPE]", "make the search-index rows again from the stored resources (after an upgrade)"},
    {"version", "", "print the version"},
};

constexpr const char* kConfigNote =
    "configuration: nara.properties, every key overridable by NARA_* environment variables (see docs/operations.md)\n";

std::string Usage() {
  std::string out = "usage: nara [--config FILE] COMMAND   (nara COMMAND --help for one command)\n";
  for (const auto& command : kCommands) {
    std::string line = std::string("  ") + command.name + (*command.arguments ? " " : "") + command.arguments;
    line.resize(std::max<size_t>(line.size() + 3, 19), ' ');
    out += line + command.summary + "\n";
  }
  return out + kConfigNote;
}

const Command* FindCommand(const std::string& name) {
  for (const auto& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

// `nara COMMAND --help` (or -h anywhere after the command): the command's usage, exit 0, nothing run.
bool WantsHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin() + 1, args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
}

int Migrate(const nara::app::Config& config) {
  auto report = nara::pg::ApplyMigrations(config.database_url);
  if (!report) {
    nara::app::Log("error", "migrate.failed", {{"detail", report.error().text}});
    return 1;
  }
  for (const auto& name : report->applied) nara::app::Log("info", "migrate.applied", {{"migration", name}});
  nara::app::Log("info", "migrate.done", {{"applied", std::to_string(report->applied.size())},
                                          {"already_applied", std::to_string(report->already_applied)}});
  return 0;
}

int DemoLoad(const nara::app::Config& config) {
  if (!nara::app::DatabaseMigrated(config.database_url, "demo.not_migrated")) return 2;
  nara::pg::PgStore store(config.database_url, 2, config.database_role);
  nara::fhir::FhirApi api(store, nara::app::ApiOptionsFrom(config));
  auto report = nara::app::LoadDemoData(api);
  if (!report) {
    nara::app::Log("error", "demo.failed", {{"detail", report.error().text}});
    return 1;
  }
  nara::app::Log("info", "demo.loaded", {{"written", std::to_string(report->written)},
                                         {"already_loaded", report->already_loaded ? "true" : "false"}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_file;
  if (args.size() >= 2 && args[0] == "--config") {
    config_file = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << Usage();
    return args.empty() ? 64 : 0;
  }
  const std::string command = args[0];
  if (const Command* known = FindCommand(command); known && WantsHelp(args)) {
    std::cout << "usage: nara [--config FILE] " << known->name << (*known->arguments ? " " : "") << known->arguments
              << "\n  " << known->summary << "\n" << kConfigNote;
    return 0;
  }
  try {
    if (command == "version") {
      std::cout << "nara 0.1.0\n";
      return 0;
    }
    if (command == "dev-pki") {
      if (args.size() != 2) {
        std::cerr << "usage: nara dev-pki DIR\n";
        return 64;
      }
      auto status = nara::auth::CreateDevPki(args[1]);
      if (!status) {
        nara::app::Log("error", "dev_pki.failed", {{"detail", status.error().text}});
        return 1;
      }
      nara::app::Log("info", "dev_pki.ready", {{"dir", args[1]}});
      return 0;
    }
    if (command == "synth") return nara::app::Synth(std::vector<std::string>(args.begin() + 1, args.end()));
    const nara::app::Config config = nara::app::LoadConfig(config_file);
    if (command == "migrate") return Migrate(config);
    if (command == "demo-load") return DemoLoad(config);
    if (command == "import") return nara::app::Import(config, std::vector<std::string>(args.begin() + 1, args.end()));
    if (command == "reindex") return nara::app::Reindex(config, std::vector<std::string>(args.begin() + 1, args.end()));
    if (command == "audit-extract") {
      if (args.size() != 3 || args[1] != "--patient") {
        std::cerr << "usage: nara audit-extract --patient PERSONNUMMER\n";
        return 64;
      }
      return nara::app::AuditExtract(config, args[2], std::cout);
    }
    if (command == "report") {
      return nara::app::Report(config, std::vector<std::string>(args.begin() + 1, args.end()), std::cout);
    }
    if (command == "serve") {
      // A client that hangs up mid-response must cost one write error, not the process.
      std::signal(SIGPIPE, SIG_IGN);
      Poco::Net::initializeSSL();
      const int code = nara::app::Serve(config);
      Poco::Net::uninitializeSSL();
      return code;
    }
  } catch (const std::exception& e) {
    nara::app::Log("error", "command.failed", {{"command", command}, {"detail", e.what()}});
    return 1;
  }
  std::cerr << "unknown command: " << command << "\n" << Usage();
  return 64;
}
