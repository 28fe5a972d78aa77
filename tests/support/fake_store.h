// An in-memory ResourceStore for the FhirApi unit tests (tests/fhir/http). The real PostgreSQL
// store is tested in tests/pg; this fake only keeps versions, unique identifiers and token search
// well enough for the router's behaviour to be observable.
#pragma once

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/identifier_system.h"
#include "registry/registry_store.h"
#include "registry/resource_store.h"

namespace nara::fhir {

// The registry tables as plain maps: enough for routing tests, where no registry rule is under test
// (the rules have their own unit tests, the PostgreSQL tables their integration tests).
class FakeRegistry : public RegistryTransaction {
 public:
  std::optional<PatientFacts> LockPatient(const std::string& id) override { return Find(patients, id); }
  std::optional<RoleFacts> LockRole(const std::string& id) override { return Find(roles, id); }
  std::optional<UnitFacts> Unit(const std::string& id) override { return Find(units, id); }
  std::optional<RoleFacts> Role(const std::string& id) override { return Find(roles, id); }
  // What a test puts in `listings` and `contacts` (PutListing and PutContact keep nothing: no
  // registry rule is under test here).
  std::vector<EpisodeFacts> Listings(const std::string& patient) override { return Of(listings, patient); }
  std::vector<EpisodeFacts> Residencies(const std::string&) override { return {}; }
  std::vector<EpisodeFacts> HomeCare(const std::string&) override { return {}; }
  std::vector<ContactFacts> Contacts(const std::string& patient) override { return Of(contacts, patient); }
  std::optional<EpisodeFacts> Listing(const std::string&) override { return std::nullopt; }
  std::optional<EpisodeFacts> Residency(const std::string&) override { return std::nullopt; }
  std::optional<EpisodeFacts> HomeCareEpisode(const std::string&) override { return std::nullopt; }
  std::optional<ContactFacts> Contact(const std::string&) override { return std::nullopt; }
  int CountDoctorContacts(const std::string&, Date) override { return 0; }
  int CountDoctorContactsOn(const std::string&, Date) override { return 0; }
  std::vector<std::pair<RoleFacts, int>> DoctorLoadsAtUnit(const std::string&, Date) override { return {}; }
  std::vector<std::pair<RoleFacts, int>> AllDoctorLoads(Date) override { return {}; }
  long CountListingsAtUnit(const std::string&, Date) override { return 0; }
  std::vector<std::string> PatientsOfDoctor(const std::string&, Date) override { return {}; }
  std::vector<std::string> PatientsListedAt(const std::string&, Date) override { return {}; }
  void PutPatient(const PatientFacts& f) override { patients[f.id] = f; }
  void PutUnit(const UnitFacts& f) override { units[f.id] = f; }
  void PutRole(const RoleFacts& f) override { roles[f.id] = f; }
  void PutListing(const EpisodeFacts&) override {}
  void PutResidency(const EpisodeFacts&) override {}
  void PutHomeCare(const EpisodeFacts&) override {}
  void PutContact(const ContactFacts&) override {}
  std::vector<QueueEntry> Waiting(const std::string&, int) override { return {}; }
  int CountWaiting(const std::string&) override { return 0; }
  std::vector<QueueEntry> WaitingOfPatient(const std::string&) override { return {}; }
  std::optional<QueueEntry> QueueEntryOf(const std::string&) override { return std::nullopt; }
  int QueuePosition(const QueueEntry&) override { return 0; }
  void PutQueueEntry(const QueueEntry&) override {}
  void PutVisit(const VisitFacts&) override {}
  void Remove(const std::string& type, const std::string& id) override {
    if (type == "Patient") patients.erase(id);
  }

  std::map<std::string, PatientFacts> patients;
  std::map<std::string, UnitFacts> units;
  std::map<std::string, RoleFacts> roles;
  std::vector<EpisodeFacts> listings;
  std::vector<ContactFacts> contacts;

 private:
  template <typename T>
  static std::vector<T> Of(const std::vector<T>& all, const std::string& patient) {
    std::vector<T> out;
    for (const auto& f : all) {
      if (f.patient_id == patient) out.push_back(f);
    }
    return out;
  }
  template <typename T>
  static std::optional<T> Find(const std::map<std::string, T>& map, const std::string& id) {
    auto it = map.find(id);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
};

class FakeStore : public ResourceStore {
 public:
  struct Entry {
    StoredResource resource;
    IndexEntries index;
  };

  Status Transact(const std::function<Status(ResourceTransaction&)>& work) override {
    ++transactions;
    auto snapshot = data_;
    auto snapshot_seq = sequence_;
    Tx tx(*this);
    Status status = work(tx);
    if (!status) {
      data_ = std::move(snapshot);
      sequence_ = snapshot_seq;
    }
    return status;
  }

  Result<StoredResource> Read(std::string_view type, std::string_view id) override { return ReadLatest(type, id); }

  Result<StoredResource> ReadVersion(std::string_view type, std::string_view id, int version) override {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound("no such resource");
    for (const auto& e : it->second) {
      if (e.resource.version == version) {
        if (e.resource.deleted) return Error::Gone("deleted version");
        return e.resource;
      }
    }
    return Error::NotFound("no such version");
  }

  Result<SearchPage> History(const HistoryQuery& query) override {
    std::vector<StoredResource> all;
    for (const auto& [key, versions] : data_) {
      for (const auto& e : versions) {
        if (!query.type.empty() && e.resource.type != query.type) continue;
        if (!query.id.empty() && e.resource.id != query.id) continue;
        if (query.since && e.resource.last_updated < *query.since) continue;
        all.push_back(e.resource);
      }
    }
    std::sort(all.begin(), all.end(),
              [](const StoredResource& a, const StoredResource& b) { return a.last_updated > b.last_updated; });
    return Page(all, query.offset, query.count, true);  // as the PostgreSQL adapter: has_more even for count 0
  }

  Result<SearchPage> Search(const SearchQuery& query) override {
    ++searches;
    last_search = query;
    std::vector<StoredResource> matches;
    for (const auto& [key, versions] : data_) {
      const Entry& latest = versions.back();
      if (latest.resource.type != query.type || latest.resource.deleted) continue;
      if (Matches(latest, query)) matches.push_back(latest.resource);
    }
    Result<SearchPage> page = Page(matches, query.offset, query.count, query.want_total);
    if (query.count == 0) page->has_more = false;  // as the PostgreSQL adapter: no rows fetched, no next page
    return page;
  }

  Status Ping() override { return Ok(); }

  std::vector<std::string> locked_keys;
  int transactions = 0;
  int searches = 0;
  SearchQuery last_search;

  size_t Count(const std::string& type) const {
    size_t n = 0;
    for (const auto& [key, versions] : data_) n += versions.back().resource.type == type ? 1 : 0;
    return n;
  }

 private:
  class Tx : public ResourceTransaction {
   public:
    explicit Tx(FakeStore& store) : store_(store) {}
    Result<StoredResource> Read(std::string_view type, std::string_view id) override {
      return store_.ReadLatest(type, id);
    }
    Result<WriteOutcome> Write(const WriteRequest& request) override { return store_.DoWrite(request); }
    Result<StoredResource> Delete(std::string_view type, std::string_view id, std::optional<int> if_match) override {
      return store_.DoDelete(type, id, if_match);
    }
    Result<SearchPage> Search(const SearchQuery& query) override { return store_.Search(query); }
    void LockKey(std::string_view key) override { store_.locked_keys.emplace_back(key); }
    RegistryTransaction& Registry() override { return store_.registry; }
    Status AppendAudit(const AuditRecord& record) override {
      store_.audit.push_back(record);
      return Ok();
    }

   private:
    FakeStore& store_;
  };

  static std::string Key(std::string_view type, std::string_view id) {
    return std::string(type) + "/" + std::string(id);
  }

  std::string Now() {
    ++sequence_;
    char buf[40];
    std::snprintf(buf, sizeof buf, "2026-11-23T10:%02d:%02d.123Z", (sequence_ / 60) % 60, sequence_ % 60);
    return buf;
  }

  static Result<SearchPage> Page(const std::vector<StoredResource>& all, int offset, int count, bool want_total) {
    SearchPage page;
    if (want_total) page.total = static_cast<long>(all.size());
    for (size_t i = static_cast<size_t>(offset); i < all.size() && page.resources.size() < static_cast<size_t>(count);
         ++i) {
      page.resources.push_back(all[i]);
    }
    page.has_more = static_cast<size_t>(offset) + page.resources.size() < all.size();
    return page;
  }

  static bool Matches(const Entry& e, const SearchQuery& query) {
    for (const auto& criterion : query.criteria) {
      bool any = false;
      for (const auto& value : criterion.any_of) {
        if (criterion.kind == SearchKind::id) {
          any = any || e.resource.id == value.value;
        } else if (criterion.kind == SearchKind::token) {
          for (const auto& t : e.index.tokens) {
            if (t.param == criterion.param && t.code == value.value && (!value.system || *value.system == t.system)) {
              any = true;
            }
          }
        } else {
          any = true;  // not modelled by the fake
        }
      }
      if (!any) return false;
    }
    return true;
  }

  Result<StoredResource> ReadLatest(std::string_view type, std::string_view id) {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound(std::string(type) + " finns inte (not found)");
    if (it->second.back().resource.deleted) return Error::Gone("deleted");
    return it->second.back().resource;
  }

  Result<WriteOutcome> DoWrite(const WriteRequest& request) {
    std::string id = request.id;
    if (id.empty()) id = "gen-" + std::to_string(++next_id_);
    auto& versions = data_[Key(request.type, id)];
    const bool exists = !versions.empty();
    const bool live = exists && !versions.back().resource.deleted;
    if (request.must_not_exist && live) return Error::Conflict("exists");
    if (request.if_match && (!live || versions.back().resource.version != *request.if_match)) {
      if (!exists) data_.erase(Key(request.type, id));
      return Error::PreconditionFailed("version mismatch");
    }
    for (const auto& u : request.index.unique) {
      for (const auto& [key, other] : data_) {
        if (key == Key(request.type, id) || other.empty() || other.back().resource.deleted) continue;
        for (const auto& ou : other.back().index.unique) {
          if (ou.system == u.system && ou.code == u.code) {
            if (!exists) data_.erase(Key(request.type, id));
            return Error::Conflict(IdentifierTakenText(u.system, key));
          }
        }
      }
    }
    VersionInfo info{id, exists ? versions.back().resource.version + 1 : 1, Now()};
    Entry entry;
    entry.resource.type = request.type;
    entry.resource.id = id;
    entry.resource.version = info.version;
    entry.resource.last_updated = info.last_updated;
    entry.resource.json = request.render(info);
    entry.index = request.index;
    versions.push_back(entry);
    return WriteOutcome{entry.resource, !live};
  }

  Result<StoredResource> DoDelete(std::string_view type, std::string_view id, std::optional<int> if_match) {
    auto it = data_.find(Key(type, id));
    if (it == data_.end()) return Error::NotFound("not found");
    auto& versions = it->second;
    if (if_match && versions.back().resource.version != *if_match) return Error::PreconditionFailed("mismatch");
    Entry tomb;
    tomb.resource = versions.back().resource;
    tomb.resource.version += 1;
    tomb.resource.deleted = true;
    tomb.resource.json.clear();
    tomb.resource.last_updated = Now();
    versions.push_back(tomb);
    return tomb.resource;
  }

  std::map<std::string, std::vector<Entry>> data_;

 public:
  FakeRegistry registry;
  std::vector<AuditRecord> audit;
  Status AppendAudit(const AuditRecord& record) override {
    audit.push_back(record);
    return Ok();
  }
  int next_id_ = 0;
  int sequence_ = 0;
};

}  // namespace nara::fhir
