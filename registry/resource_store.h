// ResourceStore: the port through which every layer above reaches persisted FHIR resources.
// Invariants the adapter guarantees:
//  - every write is a new version (1, 2, 3...), never an update in place;
//  - a delete is a tombstone version, history stays readable;
//  - everything done inside one Transact() call commits whole or not at all;
//  - unique identifiers (IndexEntries::unique) never belong to two live resources.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/audit.h"
#include "registry/registry_store.h"
#include "registry/result.h"
#include "registry/search_query.h"

namespace nara {

// What a version is when it is written; handed to the renderer so the stored JSON carries its meta.
struct VersionInfo {
  std::string id;
  int version = 0;
  std::string last_updated;  // RFC 3339 UTC with milliseconds, e.g. 2026-11-23T10:00:00.123Z
};

struct StoredResource {
  std::string type;
  std::string id;
  int version = 0;
  std::string last_updated;
  bool deleted = false;
  std::string json;  // the exact text written by the server; empty for a tombstone
};

// Resources held elsewhere, viewed without copying (a page of kept answers, or a search's page).
inline std::vector<const StoredResource*> ViewsOf(const std::vector<StoredResource>& resources) {
  std::vector<const StoredResource*> views;
  views.reserve(resources.size());
  for (const auto& resource : resources) views.push_back(&resource);
  return views;
}

// Search index rows for a resource's current version, extracted by fhir/ from its JSON.
struct IndexEntries {
  struct Token {
    std::string param, system, code;
  };
  struct Text {
    std::string param;
    std::string value;       // as written, for :exact
    std::string normalized;  // case-folded by the extractor, for the default prefix and :contains match
  };
  struct Reference {
    std::string param, target_type, target_id;
  };
  struct PeriodRange {
    std::string param;
    std::string start;  // RFC 3339 UTC, inclusive; "" = unbounded
    std::string end;    // RFC 3339 UTC, exclusive; "" = unbounded (open period)
  };
  std::vector<Token> tokens;
  std::vector<Text> texts;
  std::vector<Reference> references;
  std::vector<PeriodRange> periods;
  // Identifiers that no two live resources of any type may share (personnummer, samordningsnummer).
  std::vector<Token> unique;
};

// A write or delete whose If-Match names another version than the current one (412): one text for
// every store and for a PATCH, which compares before it reaches the store.
inline Error VersionConflict(int if_match, int current) {
  const std::string named = std::to_string(if_match), now = std::to_string(current);
  return Error::PreconditionFailed("If-Match anger version " + named + " men aktuell version är " + now +
                                   " (If-Match names version " + named + " but the current version is " + now + ")");
}

struct WriteRequest {
  std::string type;
  std::string id;                // empty: the store assigns one (create)
  std::optional<int> if_match;   // expected current version, for optimistic locking
  // A create (POST, or a resource the registry composes): the id is one the server has just chosen,
  // so the registry's rules look up no stored row under it. Were one there, the write is refused
  // (409) and, as after any refused write of a request, the request's transaction is rolled back.
  bool must_not_exist = false;
  IndexEntries index;
  // Produces the JSON to store for the version being written (the renderer sets id and meta).
  std::function<std::string(const VersionInfo&)> render;
};

struct WriteOutcome {
  StoredResource resource;
  bool created = false;  // true when this write made version 1 (or revived a deleted id)
};

struct SearchPage {
  std::vector<StoredResource> resources;
  std::optional<long> total;  // exact number of matches when requested
  bool has_more = false;      // rows follow the page's last one in the query's order
  // search (keyset paging, _include/_revinclude)
  bool has_previous = false;  // rows precede the page's first one (known for cursor and offset pages)
  std::string first_key, last_key;  // sort keys of the first and last row (SearchCursor::key)
  std::vector<StoredResource> included;  // _include/_revinclude, not among the matches, no duplicates
  bool included_truncated = false;       // more than SearchQuery::max_included were found
  // Read on a hot standby (database.read-url): as of its replay position, which may be behind the
  // primary's latest commit, so nothing may be kept from it that the primary's changes invalidate.
  bool from_standby = false;
};

struct HistoryQuery {
  std::string type;  // empty: the whole system
  std::string id;    // empty: the whole type
  std::optional<std::string> since;  // RFC 3339; versions written at or after
  int count = 50;
  int offset = 0;
};

// The change feed: system or type history as a stream a municipality or EHR polls to stay in sync.
// A position is (txid, seq) of the last version delivered; versions come in that order, and only
// from transactions that have finished, so a position never has to go back (no change is missed or
// repeated, even when transactions commit out of order). Positions are opaque to clients.
struct ChangePosition {
  std::string txid = "0";  // decimal xid8
  long long seq = 0;
};

struct ChangeQuery {
  std::string type;                   // empty: every type
  std::optional<std::string> since;   // RFC 3339: only versions with lastUpdated at or after
  ChangePosition after;               // deliver what comes after this position
  int count = 50;
};

struct ChangePage {
  std::vector<StoredResource> resources;  // in feed order
  ChangePosition last;                    // where the next call continues (== after when empty)
  bool has_more = false;                  // more finished changes are there now
};

// Operations inside one database transaction.
class ResourceTransaction {
 public:
  virtual ~ResourceTransaction() = default;
  virtual Result<StoredResource> Read(std::string_view type, std::string_view id) = 0;
  // Read, for an answer that only reads: a store may bring the facts the answer needs next in the
  // same round trip (for a Patient: its episodes, contacts and protection, which Registry() then
  // answers from memory). Those facts are not locked; work that writes uses Read and LockPatient.
  virtual Result<StoredResource> ReadToAnswer(std::string_view type, std::string_view id) { return Read(type, id); }
  // Brings the current versions of these resources in one round trip, for the Reads of them that
  // follow in this transaction (the rewrite of several of a locked patient's episodes and contacts).
  // Only a hint: such a Read answers as it would have, unless another transaction changed the
  // resource in between, which a caller rules out by holding the lock every writer of it takes (the
  // patient's); a write of a stale version is still refused by its If-Match. Default: nothing.
  virtual void ReadAhead(const std::vector<std::pair<std::string, std::string>>& /*type_and_id*/) {}
  virtual Result<WriteOutcome> Write(const WriteRequest& request) = 0;
  virtual Result<StoredResource> Delete(std::string_view type, std::string_view id,
                                        std::optional<int> if_match) = 0;
  virtual Result<SearchPage> Search(const SearchQuery& query) = 0;
  // Serialises transactions that name the same key until commit (conditional create, rules).
  virtual void LockKey(std::string_view key) = 0;
  // The typed registry tables, in this same transaction. Stores without them (unit-test fakes)
  // keep this default, so a registry write against them fails loudly instead of silently.
  virtual RegistryTransaction& Registry() { throw std::logic_error("this store has no registry tables"); }
  // audit (registry/audit.h)
  // Appends the audit record of this write to the log in this same transaction: it commits with the
  // write or not at all. Fails (invalid) only for a malformed record; stores without a log throw.
  virtual Status AppendAudit(const AuditRecord& /*record*/) {
    throw std::logic_error("this store has no audit log");
  }
};

class ResourceStore {
 public:
  virtual ~ResourceStore() = default;
  // Runs work in one transaction; commits when it returns Ok, rolls back otherwise.
  // Transient conflicts (serialization failure, deadlock) are retried by the adapter.
  virtual Status Transact(const std::function<Status(ResourceTransaction&)>& work) = 0;
  // Runs work on one connection without a transaction block: each statement commits on its own, so
  // a read saves the BEGIN and COMMIT round trips. Only for work that reads, or whose one write is
  // its last statement: nothing earlier could be rolled back. Stores without the distinction run it
  // as a transaction.
  virtual Status Autocommit(const std::function<Status(ResourceTransaction&)>& work) { return Transact(work); }

  virtual Result<StoredResource> Read(std::string_view type, std::string_view id) = 0;
  virtual Result<StoredResource> ReadVersion(std::string_view type, std::string_view id, int version) = 0;
  virtual Result<SearchPage> History(const HistoryQuery& query) = 0;
  virtual Result<SearchPage> Search(const SearchQuery& query) = 0;
  virtual Status Ping() = 0;  // database reachable and migrations current
  // The change feed (see ChangeQuery). Stores without one answer unavailable.
  virtual Result<ChangePage> Changes(const ChangeQuery& /*query*/) {
    return Error::Unavailable("no change feed in this store");
  }

  // audit (registry/audit.h)
  // Appends one record in a transaction of its own: for reads, and for refused or failed requests
  // (whose write transaction, if any, rolled back with its record). Stores without a log (unit-test
  // fakes) keep the defaults, which fail as unavailable.
  virtual Status AppendAudit(const AuditRecord& /*record*/) { return NoAuditLog(); }
  // Records matching the query, newest first, one page of query.count from query.offset.
  virtual Result<std::vector<StoredAudit>> SearchAudit(const AuditQuery& /*query*/) { return NoAuditLog(); }
  // How many records match the query (count and offset ignored).
  virtual Result<long> CountAudit(const AuditQuery& /*query*/) { return NoAuditLog(); }

 private:
  static Error NoAuditLog() { return Error::Unavailable("no audit log in this store"); }
};

}  // namespace nara
