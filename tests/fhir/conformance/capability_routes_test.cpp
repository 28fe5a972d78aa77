// The CapabilityStatement against the route table (fhir/http/routes.h): every row that serves an
// interaction or operation is claimed, and every claimed interaction or operation has a row, so a
// client that trusts the statement finds no missing route and no hidden one.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>
#include <tuple>
#include <string>
#include <utility>

#include "fhir/conformance/capability.h"
#include "fhir/conformance/definitions.h"
#include "fhir/http/routes.h"
#include "fhir/resources/resource_types.h"

namespace nara::fhir {
namespace {

// (resource type or "" for the system level, interaction code or "$operation")
using Claim = std::pair<std::string, std::string>;

bool IsTypeShape(Shape shape) {
  switch (shape) {
    case Shape::type:
    case Shape::type_search:
    case Shape::type_history:
    case Shape::type_operation:
    case Shape::instance:
    case Shape::instance_history:
    case Shape::vread:
    case Shape::instance_operation: return true;
    default: return false;
  }
}

bool HasOperation(const ResourceTypeDef& type, const std::string& name) {
  for (const auto& op : type.operations) {
    if (op.name == name) return true;
  }
  return false;
}

// What the route table serves, as the statement would say it.
std::set<Claim> ServedByRoutes() {
  std::set<Claim> served;
  for (const auto& route : Routes()) {
    std::vector<std::string> types;
    if (IsTypeShape(route.shape)) {
      for (const auto& type : SupportedTypes()) {
        if (*route.operation && !HasOperation(type, route.operation)) continue;
        types.push_back(type.type);
      }
    } else if (route.shape == Shape::conformance_type || route.shape == Shape::conformance_instance) {
      types = ConformanceTypes();  // one row serves the four, deciding on the path's type
    } else {
      types.push_back(route.target_type);
    }
    for (const auto& type : types) {
      for (const char* interaction : route.interactions) {
        served.insert({type, std::string(interaction) == "operation" ? std::string("$") + route.operation
                                                                       : std::string(interaction)});
      }
    }
  }
  return served;
}

std::set<Claim> ClaimedByStatement(const rapidjson::Value& rest) {
  std::set<Claim> claimed;
  auto add = [&](const std::string& type, const rapidjson::Value& holder) {
    if (holder.HasMember("interaction")) {
      for (const auto& i : holder["interaction"].GetArray()) claimed.insert({type, i["code"].GetString()});
    }
    if (holder.HasMember("operation")) {
      for (const auto& op : holder["operation"].GetArray()) claimed.insert({type, std::string("$") + op["name"].GetString()});
    }
  };
  for (const auto& resource : rest["resource"].GetArray()) add(resource["type"].GetString(), resource);
  add("", rest);
  return claimed;
}

TEST(CapabilityRoutes, EveryRowIsClaimedAndEveryClaimHasARow) {
  const std::string text = CapabilityStatementJson("https://localhost:8443/fhir", "1.0");
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  ASSERT_FALSE(doc.HasParseError());
  const std::set<Claim> served = ServedByRoutes();
  const std::set<Claim> claimed = ClaimedByStatement(doc["rest"][0]);
  for (const auto& [type, code] : served) {
    EXPECT_TRUE(claimed.count({type, code})) << "served but not in the statement: " << type << " " << code;
  }
  for (const auto& [type, code] : claimed) {
    EXPECT_TRUE(served.count({type, code})) << "in the statement but no route: " << type << " " << code;
  }
  // The table is not empty by accident: the registry's own operations and the writes are there.
  EXPECT_TRUE(served.count({"Patient", "$fixed-contacts"}));
  EXPECT_TRUE(served.count({"Organization", "$list-status"}));
  EXPECT_TRUE(served.count({"Measure", "$evaluate-measure"}));
  EXPECT_TRUE(served.count({"CareTeam", "patch"}));
  EXPECT_TRUE(served.count({"", "transaction"}));
}

// Each shape a path can take has at least one row, and no shape has two rows for one method.
TEST(CapabilityRoutes, EachShapeHasRowsWithDistinctMethods) {
  std::set<std::tuple<int, std::string, std::string>> seen;
  for (const auto& route : Routes()) {
    EXPECT_TRUE(seen.insert({static_cast<int>(route.shape), route.operation, route.method}).second)
        << "two rows for shape " << static_cast<int>(route.shape) << " " << route.method;
  }
  for (int shape = 0; shape <= static_cast<int>(Shape::instance_operation); ++shape) {
    bool any = false;
    for (const auto& route : Routes()) any = any || static_cast<int>(route.shape) == shape;
    EXPECT_TRUE(any) << "shape " << shape << " has no row";
  }
}

}  // namespace
}  // namespace nara::fhir
