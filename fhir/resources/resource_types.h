// The resource types this server serves and the search parameters each supports. One table drives
// routing (unknown type = 404), search parsing and the CapabilityStatement, so what is advertised
// is exactly what works.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "registry/search_query.h"

namespace nara::fhir {

enum class ParamType { token, string, reference, date };

struct SearchParamDef {
  std::string name;         // e.g. "identifier"
  ParamType type;           // FHIR search parameter type (CapabilityStatement)
  SearchKind kind;          // how the store evaluates it
  std::string target_type;  // reference: the resource type it points to
  std::string documentation;
};

struct OperationDef {
  std::string name;         // without $, e.g. "list-status"
  bool instance = false;    // invoked on Type/{id} (else on the type)
  std::string documentation;
};

struct ResourceTypeDef {
  std::string type;
  std::vector<SearchParamDef> search_params;  // includes _id and _lastUpdated
  std::string documentation;
  std::vector<OperationDef> operations;

  const SearchParamDef* FindParam(std::string_view name) const;
};

const std::vector<ResourceTypeDef>& SupportedTypes();
const ResourceTypeDef* FindType(std::string_view type);

// Canonical base of this registry's own definitions (docs/api.md: NR).
inline constexpr const char* kNrBase = "https://fhir.nara-registry.org";

}  // namespace nara::fhir
