// fhir/resources/audit_event.*: an audit record rendered as a FHIR R4 AuditEvent, and the AuditEvent search
// parameters parsed into an AuditQuery.
#include "fhir/resources/audit_event.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

StoredAudit SampleRead() {
  StoredAudit audit;
  audit.id = 42;
  audit.recorded = "2026-11-23T10:00:00.123Z";
  AuditRecord& r = audit.record;
  r.request_id = "req-7f3a";
  r.agent_hsa_id = "SE2321000016-1234";
  r.agent_role = "ehr";
  r.agent_name = "Vårdcentralen Åby journal";
  r.agent_organizations = {"SE2321000016-2001"};
  r.action = "read";
  r.resource_type = "CareTeam";
  r.resource_ids = {"ct-1"};
  r.patient_ids = {"pat-1"};
  r.unit = "SE2321000016-2001";
  r.outcome = "success";
  r.http_status = 200;
  return audit;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  EXPECT_TRUE(doc.IsObject()) << json;
  return doc;
}

std::string Str(const rapidjson::Value& v) { return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "<not a string>"; }

// The entity whose what.reference is ref, or nullptr.
const rapidjson::Value* EntityFor(const rapidjson::Document& doc, const std::string& ref) {
  for (const auto& e : doc["entity"].GetArray()) {
    if (e.HasMember("what") && Str(e["what"]["reference"]) == ref) return &e;
  }
  return nullptr;
}

TEST(AuditEventJson, RendersTheRequiredElements) {
  const auto doc = Parse(AuditEventJson(SampleRead()));
  EXPECT_EQ(Str(doc["resourceType"]), "AuditEvent");
  EXPECT_EQ(Str(doc["id"]), "42");
  EXPECT_EQ(Str(doc["type"]["system"]), "http://terminology.hl7.org/CodeSystem/audit-event-type");
  EXPECT_EQ(Str(doc["type"]["code"]), "rest");
  ASSERT_EQ(doc["subtype"].Size(), 1u);
  EXPECT_EQ(Str(doc["subtype"][0]["system"]), "http://hl7.org/fhir/restful-interaction");
  EXPECT_EQ(Str(doc["subtype"][0]["code"]), "read");
  EXPECT_EQ(Str(doc["action"]), "R");
  EXPECT_EQ(Str(doc["recorded"]), "2026-11-23T10:00:00.123Z");
  EXPECT_EQ(Str(doc["outcome"]), "0");
  EXPECT_EQ(Str(doc["source"]["observer"]["display"]), "Nära Registry");

  const auto& agent = doc["agent"][0];
  EXPECT_EQ(Str(agent["who"]["identifier"]["system"]), "urn:oid:1.2.752.29.4.19");
  EXPECT_EQ(Str(agent["who"]["identifier"]["value"]), "SE2321000016-1234");
  EXPECT_EQ(Str(agent["name"]), "Vårdcentralen Åby journal");
  EXPECT_TRUE(agent["requestor"].GetBool());
  EXPECT_EQ(Str(agent["role"][0]["text"]), "ehr");
  // The unit acted for: what the patient's log extract shows.
  ASSERT_EQ(doc["agent"].Size(), 2u);
  EXPECT_EQ(Str(doc["agent"][1]["who"]["identifier"]["value"]), "SE2321000016-2001");
  EXPECT_FALSE(doc["agent"][1]["requestor"].GetBool());

  const auto* careteam = EntityFor(doc, "CareTeam/ct-1");
  ASSERT_NE(careteam, nullptr);
  const auto* patient = EntityFor(doc, "Patient/pat-1");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(Str((*patient)["role"]["system"]), "http://terminology.hl7.org/CodeSystem/object-role");
  EXPECT_EQ(Str((*patient)["role"]["code"]), "1");
  bool request_entity = false;
  for (const auto& e : doc["entity"].GetArray()) {
    if (e.HasMember("description") && Str(e["description"]) == "req-7f3a") request_entity = true;
  }
  EXPECT_TRUE(request_entity);
}

TEST(AuditEventJson, MapsActionsAndOutcomes) {
  const std::vector<std::pair<std::string, std::string>> actions = {
      {"create", "C"}, {"read", "R"}, {"vread", "R"}, {"history", "R"},
      {"update", "U"}, {"delete", "D"}, {"search", "E"}, {"operation", "E"}};
  for (const auto& [action, code] : actions) {
    auto audit = SampleRead();
    audit.record.action = action;
    const auto doc = Parse(AuditEventJson(audit));
    EXPECT_EQ(Str(doc["action"]), code) << action;
    EXPECT_EQ(Str(doc["subtype"][0]["code"]), action);
  }
  const std::vector<std::pair<std::string, std::string>> outcomes = {{"success", "0"}, {"refused", "4"}, {"failed", "8"}};
  for (const auto& [outcome, code] : outcomes) {
    auto audit = SampleRead();
    audit.record.outcome = outcome;
    EXPECT_EQ(Str(Parse(AuditEventJson(audit))["outcome"]), code) << outcome;
  }
}

TEST(AuditEventJson, RefusalCarriesStatusAndDetail) {
  auto audit = SampleRead();
  audit.record.outcome = "refused";
  audit.record.http_status = 403;
  audit.record.detail = "role ehr may not write for this unit";
  const auto doc = Parse(AuditEventJson(audit));
  EXPECT_EQ(Str(doc["outcomeDesc"]), "HTTP 403: role ehr may not write for this unit");
}

TEST(AuditEventJson, APatientReadNamesThePatientOnce) {
  auto audit = SampleRead();
  audit.record.resource_type = "Patient";
  audit.record.resource_ids = {"pat-1"};
  const auto doc = Parse(AuditEventJson(audit));
  int count = 0;
  for (const auto& e : doc["entity"].GetArray()) {
    if (e.HasMember("what") && Str(e["what"]["reference"]) == "Patient/pat-1") ++count;
  }
  EXPECT_EQ(count, 1);
}

TEST(AuditEventJson, StaysValidJsonWithQuotesAndNoCallerOrUnit) {
  auto audit = SampleRead();
  audit.record.agent_hsa_id.clear();
  audit.record.agent_role.clear();
  audit.record.unit.clear();
  audit.record.agent_name = "\"quoted\" \\ name\n";
  audit.record.request_id.clear();
  audit.record.resource_ids.clear();
  audit.record.patient_ids.clear();
  const auto doc = Parse(AuditEventJson(audit));
  EXPECT_EQ(Str(doc["agent"][0]["name"]), "\"quoted\" \\ name\n");
  EXPECT_FALSE(doc["agent"][0]["who"].HasMember("identifier"));
  EXPECT_EQ(doc["agent"].Size(), 1u);
  EXPECT_EQ(doc["entity"].Size(), 0u);
}

TEST(AuditEventJson, AUnitThatIsNotAnHsaIdIsAnOrganizationReference) {
  auto audit = SampleRead();
  audit.record.unit = "org-vc-1";
  const auto doc = Parse(AuditEventJson(audit));
  EXPECT_EQ(Str(doc["agent"][1]["who"]["reference"]), "Organization/org-vc-1");
}

// ParseAuditSearch

AuditQuery ParseOk(const Params& params) {
  auto parsed = ParseAuditSearch(params);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().text);
  return parsed.ok() ? *parsed : AuditQuery{};
}

void ExpectInvalid(const Params& params, const std::string& detail_code) {
  auto parsed = ParseAuditSearch(params);
  ASSERT_FALSE(parsed.ok()) << params.front().first << "=" << params.front().second;
  EXPECT_EQ(parsed.error().kind, ErrorKind::invalid);
  EXPECT_EQ(parsed.error().detail_code, detail_code) << parsed.error().text;
}

TEST(AuditSearch, DefaultsToEverythingNewestFiftyAtATime) {
  const auto q = ParseOk({});
  EXPECT_EQ(q.patient_id, "");
  EXPECT_EQ(q.agent_hsa_id, "");
  EXPECT_FALSE(q.from);
  EXPECT_FALSE(q.to);
  EXPECT_EQ(q.count, 50);
  EXPECT_EQ(q.offset, 0);
}

TEST(AuditSearch, PatientAsReferenceOrId) {
  EXPECT_EQ(ParseOk({{"patient", "Patient/p-1"}}).patient_id, "p-1");
  EXPECT_EQ(ParseOk({{"patient", "p-1"}}).patient_id, "p-1");
  EXPECT_EQ(ParseOk({{"patient", "https://nara.example/fhir/Patient/p-1"}}).patient_id, "p-1");
  EXPECT_EQ(ParseOk({{"patient:Patient", "p-1"}}).patient_id, "p-1");
  EXPECT_EQ(ParseOk({{"patient", "p-1"}, {"patient", "Patient/p-1"}}).patient_id, "p-1");
  ExpectInvalid({{"patient", "Organization/o-1"}}, "invalid");
  ExpectInvalid({{"patient", "bad id!"}}, "invalid");
  ExpectInvalid({{"patient", "p-1,p-2"}}, "not-supported");
  ExpectInvalid({{"patient", "p-1"}, {"patient", "p-2"}}, "not-supported");
  ExpectInvalid({{"patient:exact", "p-1"}}, "invalid");
}

TEST(AuditSearch, ErrorsDoNotRepeatThePatient) {
  auto parsed = ParseAuditSearch({{"patient", "197106254787,197010632391"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().text.find("197106254787"), std::string::npos);
  parsed = ParseAuditSearch({{"patient", "Organization/197106254787"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().text.find("197106254787"), std::string::npos);
}

TEST(AuditSearch, AgentAsHsaIdWithOrWithoutSystem) {
  EXPECT_EQ(ParseOk({{"agent", "SE2321000016-1234"}}).agent_hsa_id, "SE2321000016-1234");
  EXPECT_EQ(ParseOk({{"agent", "urn:oid:1.2.752.29.4.19|SE2321000016-1234"}}).agent_hsa_id, "SE2321000016-1234");
  EXPECT_EQ(ParseOk({{"agent", "urn:oid:1.2.752.129.2.1.4.1|SE2321000016-1234"}}).agent_hsa_id,
            "SE2321000016-1234");  // an alias (docs/api.md §2)
  ExpectInvalid({{"agent", "http://other.example|SE2321000016-1234"}}, "invalid");
  ExpectInvalid({{"agent", "urn:oid:1.2.752.29.4.19|"}}, "invalid");
  ExpectInvalid({{"agent", "SE1 2"}}, "invalid");
  ExpectInvalid({{"agent", "SE2321000016-1,SE2321000016-2"}}, "not-supported");
}

TEST(AuditSearch, DatePrefixesNarrowAHalfOpenWindow) {
  auto q = ParseOk({{"date", "ge2026-01-01"}, {"date", "lt2026-02-01"}});
  EXPECT_EQ(q.from.value_or(""), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(q.to.value_or(""), "2026-02-01T00:00:00.000Z");

  q = ParseOk({{"date", "2026-03-05"}});  // eq: that day
  EXPECT_EQ(q.from.value_or(""), "2026-03-05T00:00:00.000Z");
  EXPECT_EQ(q.to.value_or(""), "2026-03-06T00:00:00.000Z");

  q = ParseOk({{"date", "gt2026-03-05"}, {"date", "le2026-03"}});
  EXPECT_EQ(q.from.value_or(""), "2026-03-06T00:00:00.000Z");
  EXPECT_EQ(q.to.value_or(""), "2026-04-01T00:00:00.000Z");

  // Repeated bounds AND: the narrowest wins, also against the five-digit end of year 9999.
  q = ParseOk({{"date", "ge2025"}, {"date", "ge2026-06"}, {"date", "le9999"}, {"date", "lt2027"}});
  EXPECT_EQ(q.from.value_or(""), "2026-06-01T00:00:00.000Z");
  EXPECT_EQ(q.to.value_or(""), "2027-01-01T00:00:00.000Z");

  ExpectInvalid({{"date", "ne2026-01-01"}}, "not-supported");
  ExpectInvalid({{"date", "sa2026-01-01"}}, "not-supported");
  ExpectInvalid({{"date", "ge2026-02-30"}}, "invalid");
  ExpectInvalid({{"date:missing", "true"}}, "invalid");
}

TEST(AuditSearch, PagingAndSummary) {
  auto q = ParseOk({{"_count", "10"}, {"_offset", "20"}});
  EXPECT_EQ(q.count, 10);
  EXPECT_EQ(q.offset, 20);
  EXPECT_EQ(ParseOk({{"_count", "5000"}}).count, 1000);
  EXPECT_EQ(ParseOk({{"_summary", "count"}}).count, 0);
  EXPECT_EQ(ParseOk({{"_count", ""}}).count, 50);  // an empty value is skipped
  ExpectInvalid({{"_count", "-1"}}, "invalid");
  ExpectInvalid({{"_count", "ten"}}, "invalid");
  ExpectInvalid({{"_count", "1"}, {"_count", "2"}}, "invalid");
  ExpectInvalid({{"_offset", "2147483647"}}, "invalid");
}

TEST(AuditSearch, UnknownParametersAreRefusedStrictlyOrListedLeniently) {
  ExpectInvalid({{"entity", "CareTeam/x"}}, "not-supported");
  ExpectInvalid({{"_sort", "date"}}, "not-supported");
  ParseOk({{"_format", "json"}, {"_pretty", "true"}, {"_total", "accurate"}});

  std::vector<std::string> ignored;
  auto parsed = ParseAuditSearch({{"entity", "CareTeam/x"}, {"patient", "p-1"}, {"entity", "y"}}, &ignored);
  ASSERT_TRUE(parsed.ok()) << parsed.error().text;
  EXPECT_EQ(parsed->patient_id, "p-1");
  EXPECT_EQ(ignored, std::vector<std::string>{"entity"});
}

TEST(AuditSearch, LinkParamsReproduceTheQuery) {
  const Params params = {{"patient", "p-1"}, {"agent", "SE2321000016-1234"}, {"date", "ge2026-01-01"},
                         {"date", "lt2026-02-01T10:00:00.5Z"}, {"_count", "7"}, {"_offset", "14"}};
  const auto q = ParseOk(params);
  auto again = ParseOk(AuditSearchLinkParams(q));
  EXPECT_EQ(again.patient_id, q.patient_id);
  EXPECT_EQ(again.agent_hsa_id, q.agent_hsa_id);
  EXPECT_EQ(again.from, q.from);
  EXPECT_EQ(again.to, q.to);
  EXPECT_EQ(again.count, 7);
  EXPECT_EQ(again.offset, 0);  // the link adds its own _offset
}

// Swedish first, English after in parentheses (docs/api.md, "Errors"): one bad search per error site.
TEST(AuditEventSearch, EveryErrorTextIsSwedishThenEnglishInParentheses) {
  using Params = std::vector<std::pair<std::string, std::string>>;
  const std::vector<std::pair<Params, std::string>> cases = {
      {{{"_summary", "true"}},
       "bara _summary=count stöds för AuditEvent (Only _summary=count is supported for AuditEvent)"},
      {{{"shoesize", "1"}},
       "okänd sökparameter 'shoesize' stöds inte för AuditEvent (Unknown search parameter "
       "'shoesize' is not supported for AuditEvent)"},
      {{{"_sort", "date"}}, ""},
      {{{"agent:x", "1"}}, "parametern 'agent:x' tar ingen modifierare (The parameter 'agent:x' takes no modifier)"},
      {{{"patient", "a,b"}}, "patient: en patient per AuditEvent-sökning (patient: one patient per AuditEvent search)"},
      {{{"patient", "a b"}}, "patient: inget giltigt resurs-id (patient: not a valid resource id)"},
      {{{"patient", "a"}, {"patient", "b"}}, ""},
      {{{"agent", "a,b"}}, ""},
      {{{"agent", "a"}, {"agent", "b"}}, ""},
      {{{"agent", "urn:x|a"}}, ""},
      {{{"date", "sa2026"}}, ""},
      {{{"date", "ne2026"}}, ""},
      {{{"_count", "1"}, {"_count", "1"}},
       "parametern _count får anges högst en gång (The parameter _count may be "
       "given only once)"},
      {{{"_offset", "x"}},
       "parametern _offset måste vara ett heltal, 0 eller större (The parameter _offset must be "
       "a whole number, 0 or more)"},
  };
  for (const auto& [params, expected] : cases) {
    auto parsed = ParseAuditSearch(params);
    ASSERT_FALSE(parsed.ok()) << params[0].first;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(parsed.error().text)) << parsed.error().text;
    if (!expected.empty()) {
      EXPECT_EQ(parsed.error().text, expected);
    }
  }
}

}  // namespace
}  // namespace nara::fhir
