// PlannedWrite: one create, update, patch or delete, parsed and validated before its database
// transaction starts, so that a single request and every entry of a transaction Bundle run the same
// way: plan outside (nothing touched), execute inside (FhirApi::ExecuteWrite: decide, rules, write,
// audit), all in the caller's one transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "registry/resource_store.h"
#include "registry/search_query.h"

namespace nara::fhir {

struct PlannedWrite {
  enum class Kind { create, update, patch, remove };
  Kind kind = Kind::create;
  const ResourceTypeDef* type = nullptr;
  // create: the id chosen up front (so registry facts and a Bundle's urn:uuid references can name it);
  // update/patch/delete: the id in the URL; "" for a conditional update or delete (found in the tx).
  std::string id;
  // If-None-Exist of a create, or the search criteria of a conditional update/delete
  // (PUT/DELETE [type]?criteria). Count 2: more than one match is 412.
  std::optional<SearchQuery> condition;
  std::optional<int> if_match;
  std::optional<PreparedResource> prepared;  // create and update: the validated content
  std::string body_id;                       // conditional update: the id the body names, if any
  std::string patch;                         // patch: the JSON Patch document

  const char* AuditAction() const;  // create | update | delete (a patch is an update)
};

struct WriteDone {
  int status = 200;                 // 201 created, 200 otherwise
  StoredResource resource;          // written, found by If-None-Exist, or the tombstone of a delete
  std::vector<Issue> warnings;
  bool found_existing = false;      // If-None-Exist matched: nothing written
  bool deleted = false;
  bool nothing_matched = false;     // conditional delete that matched nothing
};

// A key that serialises conditional writes on the same type and criteria until commit, so two
// concurrent conditional creates/updates of one personnummer cannot both create.
std::string ConditionKey(const SearchQuery& query);

}  // namespace nara::fhir
