#include "fhir/conformance/definitions.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "fhir/http/routes.h"
#include "fhir/resources/resource_types.h"
#include "registry/code_systems.h"
#include "registry/facts.h"

namespace nara::fhir {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void Header(Writer& w, const char* type, const std::string& id, const std::string& url, const std::string& name,
            const std::string& title, const std::string& description) {
  Str(w, "resourceType", type);
  Str(w, "id", id);
  Str(w, "url", url);
  Str(w, "name", name);
  if (!title.empty()) Str(w, "title", title);  // R4's SearchParameter has no title
  Str(w, "status", "active");
  Str(w, "date", "2026-12-05");
  Str(w, "publisher", "Nära Registry");
  Str(w, "description", description);
}

std::string Done(rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

// A computer-friendly name from an id ("list-status" → "ListStatus").
std::string Pascal(const std::string& id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '-' || c == '_' || c == '$') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// ---- OperationDefinition ----------------------------------------------------------------------------

struct OpParam {
  const char* name;
  const char* use;  // in | out
  int min;
  const char* max;
  const char* type;         // a FHIRAllTypes code
  const char* search_type;  // for string parameters taking a search value; "" otherwise
  const char* documentation;
};

// One operation as served: where it is invoked and what it takes and answers (docs/api.md section 5).
struct OpSpec {
  std::string id;
  std::string url;
  std::string code;
  std::string resource;  // "" for a system-level operation
  bool system = false, type = false, instance = false;
  std::string description;
  std::vector<OpParam> parameters;
};

const std::vector<OpParam> kBulkExportParams = {
    {"_outputFormat", "in", 0, "1", "string", "",
     "application/fhir+ndjson (or application/ndjson, ndjson); other formats are refused"},
    {"_since", "in", 0, "1", "instant", "", "Only resources written after this instant"},
    {"_type", "in", 0, "*", "string", "", "Comma-separated resource types to export (default: all the export holds)"},
};

// The parameters of each served operation, by its definition's id. Every operation a route row serves
// must be here (tests/fhir/conformance/definitions_test.cpp).
const std::map<std::string, std::vector<OpParam>>& OperationParameters() {
  static const std::map<std::string, std::vector<OpParam>> kParams = {
      {"Patient-fixed-contacts",
       {{"identifier", "in", 1, "1", "string", "token",
         "SYSTEM|VALUE: the patient's personnummer or samordningsnummer (Swedish system aliases are normalised)"},
        {"return", "out", 1, "1", "Bundle", "",
         "The patient, the active listing and its unit, the fast läkarkontakt, the fast vårdkontakter with roles "
         "and names, the current Patientkontrakt"}}},
      {"PractitionerRole-list-status",
       {{"date", "in", 0, "1", "date", "", "The day (YYYY-MM-DD) the figures are for; default today"},
        {"practitioner-role", "out", 1, "1", "Reference", "", "The PractitionerRole asked about"},
        {"date", "out", 1, "1", "date", "", "The day the figures are for"},
        {"capacity", "out", 1, "1", "integer", "", "List capacity (extension list-capacity, default round(1100 × fte))"},
        {"listed", "out", 1, "1", "integer", "", "Fast läkarkontakter in force on the day"},
        {"free", "out", 1, "1", "integer", "", "Places left: capacity minus the places taken"},
        {"waiting", "out", 1, "1", "integer", "", "People in the doctor's waiting list (docs/api.md section 9)"},
        {"waiting-median-days", "out", 0, "1", "decimal", "", "Median days the people waiting have waited"}}},
      {"Organization-list-status",
       {{"date", "in", 0, "1", "date", "", "The day (YYYY-MM-DD) the figures are for; default today"},
        {"organization", "out", 1, "1", "Reference", "", "The vårdcentral asked about"},
        {"date", "out", 1, "1", "date", "", "The day the figures are for"},
        {"listed", "out", 1, "1", "integer", "", "Patients listed at the unit on the day"},
        {"doctor-fte", "out", 1, "1", "decimal", "", "The unit's doctors' full-time equivalents"},
        {"listed-per-doctor-fte", "out", 0, "1", "decimal", "", "listed / doctor-fte (absent when doctor-fte is 0)"},
        {"target", "out", 1, "1", "integer", "", "1100 listed per full-time doctor (ÖK 2021)"},
        {"waiting", "out", 1, "1", "integer", "", "People in the waiting lists of the unit's doctors"},
        {"waiting-median-days", "out", 0, "1", "decimal", "", "Median days they have waited"}}},
      {"Measure-evaluate-measure",
       {{"measure", "in", 0, "1", "string", "",
         "On the type (Measure/$evaluate-measure): the Measure's id, Measure/[id] or canonical url"},
        {"periodStart", "in", 0, "1", "date", "", "Measures are as of one day: when given it must equal periodEnd"},
        {"periodEnd", "in", 1, "1", "date", "", "The day the report is as of (YYYY-MM-DD)"},
        {"subject", "in", 0, "1", "string", "reference", "Organization/[id]: one region, kommun or vårdcentral"},
        {"reportType", "in", 0, "1", "code", "", "summary (the only one supported)"},
        {"window", "in", 0, "1", "string", "", "Continuity measures: the look-back, e.g. P18M (default) or P365D"},
        {"minVisits", "in", 0, "1", "integer", "", "Continuity measures: counted visits a resident needs (default 3)"},
        {"scope", "in", 0, "1", "code", "", "Continuity measures: unit (visits at the listing unit, default) | all"},
        {"class", "in", 0, "1", "code", "", "Continuity measures: only visits of this class, AMB | VR | HH"},
        {"baseline", "in", 0, "1", "date", "",
         "Continuity measures: adds the relative change against this date (goal +20 %)"},
        {"return", "out", 1, "1", "MeasureReport", "", "A summary MeasureReport, stratified"}}},
      {"report",
       {{"periodEnd", "in", 1, "1", "date", "", "The day the report is as of (YYYY-MM-DD); the trend ends there"},
        {"subject", "in", 0, "1", "string", "reference", "Organization/[id]: one region, kommun or vårdcentral"},
        {"_format", "in", 0, "1", "code", "", "html (default) or csv (';', decimal comma, UTF-8 with BOM)"}}},
      {"export", kBulkExportParams},
      {"Patient-export", kBulkExportParams},
      {"Group-export", kBulkExportParams},
      {"Subscription-status",
       {{"return", "out", 1, "1", "Bundle", "", "A searchset Bundle of the subscription's status Parameters"}}},
      {"Subscription-events",
       {{"eventsSinceNumber", "in", 0, "1", "string", "", "The first event number to return"},
        {"eventsUntilNumber", "in", 0, "1", "string", "", "The last event number to return"},
        {"content", "in", 0, "1", "code", "", "empty | id-only | full-resource"},
        {"return", "out", 1, "1", "Bundle", "", "A subscription-notification Bundle of the past events"}}},
  };
  return kParams;
}

bool IsOperationRow(const Route& row) {
  return std::any_of(row.interactions.begin(), row.interactions.end(),
                     [](const char* i) { return std::string_view(i) == "operation"; });
}

constexpr const char* kCopyNote =
    " Kopia för klienter med de parametrar den här servern tar; den publicerade definitionen gäller "
    "(a copy for clients, listing the parameters this server takes; the published definition governs).";

// The operations the route table serves, each once, named as the CapabilityStatement names them
// (fhir/conformance/capability.cpp): the registry's own under NR, the standard ones under their canonicals.
std::vector<OpSpec> ServedOperations() {
  std::vector<OpSpec> ops;
  std::set<std::string> seen;
  const auto add = [&](OpSpec spec) {
    if (seen.insert(spec.id).second) ops.push_back(std::move(spec));
  };
  for (const Route& row : Routes()) {
    if (!IsOperationRow(row)) continue;
    const std::string name = row.operation;
    switch (row.shape) {
      case Shape::type_operation:
      case Shape::instance_operation:
        for (const auto& type : SupportedTypes()) {
          for (const auto& op : type.operations) {
            if (op.name != name || op.instance != (row.shape == Shape::instance_operation)) continue;
            const std::string id = type.type + "-" + op.name;
            add({id, std::string(kNrBase) + "/OperationDefinition/" + id, op.name, type.type, false, !op.instance,
                 op.instance, op.documentation, {}});
          }
        }
        break;
      case Shape::measure_evaluate:
      case Shape::measure_evaluate_type:
        add({"Measure-evaluate-measure", "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure", name,
             "Measure", false, true, true,
             "GET Measure/[id]/$evaluate-measure?periodEnd=YYYY-MM-DD[&subject=Organization/X], or on the type with "
             "measure=[id or url]: a summary MeasureReport as of periodEnd; statistics and admin only." +
                 std::string(kCopyNote),
             {}});
        break;
      case Shape::report:
        add({"report", std::string(kNrBase) + "/OperationDefinition/report", name, "", true, false, false,
             "GET [base]/$report?periodEnd=YYYY-MM-DD: every measure as of periodEnd with its 24-month trend as one "
             "self-contained HTML page (text/html) or CSV (_format=csv); small numbers shown as <5; statistics and "
             "admin only (docs/api.md section 11).",
             {}});
        break;
      case Shape::export_system:
        add({"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export", name, "", true, false, false,
             "FHIR Bulk Data 2.0 system export, asynchronous (202 + Content-Location); statistics and admin only." +
                 std::string(kCopyNote), {}});
        break;
      case Shape::export_patient:
        add({"Patient-export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export", name, "Patient",
             false, true, false,
             "FHIR Bulk Data 2.0 patient export: every patient's Patient, EpisodeOfCare, CareTeam, "
             "DocumentReference and Encounter as NDJSON; statistics and admin only." + std::string(kCopyNote), {}});
        break;
      case Shape::export_group:
        add({"Group-export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export", name, "Group", false,
             false, true,
             "FHIR Bulk Data 2.0 group export of the virtual groups listed-<unit> and saebo-<kommun>; statistics and "
             "admin only." + std::string(kCopyNote), {}});
        break;
      case Shape::subscription_operation:
        add({"Subscription-" + name,
             "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-" + name, name,
             "Subscription", false, false, true,
             "Subscription/[id]/$" + name + " of the Subscriptions R5 Backport IG, for the caller's own subscriptions." +
                 std::string(kCopyNote), {}});
        break;
      default:
        break;
    }
  }
  const auto& params = OperationParameters();
  for (auto& op : ops) {
    if (auto it = params.find(op.id); it != params.end()) op.parameters = it->second;
  }
  return ops;
}

std::string OperationDefinitionJson(const OpSpec& op) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Header(w, "OperationDefinition", op.id, op.url, Pascal(op.id), "$" + op.code + (op.resource.empty() ? "" : " (" + op.resource + ")"),
         op.description);
  Str(w, "kind", "operation");
  Str(w, "code", op.code);
  if (!op.resource.empty()) {
    w.Key("resource");
    w.StartArray();
    w.String(op.resource.c_str());
    w.EndArray();
  }
  w.Key("system"); w.Bool(op.system);
  w.Key("type"); w.Bool(op.type);
  w.Key("instance"); w.Bool(op.instance);
  if (!op.parameters.empty()) {
    w.Key("parameter");
    w.StartArray();
    for (const auto& p : op.parameters) {
      w.StartObject();
      Str(w, "name", p.name);
      Str(w, "use", p.use);
      w.Key("min"); w.Int(p.min);
      Str(w, "max", p.max);
      Str(w, "documentation", p.documentation);
      Str(w, "type", p.type);
      if (*p.search_type) Str(w, "searchType", p.search_type);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return Done(buffer);
}

// ---- SearchParameter --------------------------------------------------------------------------------

// The search parameters FHIR R4 itself defines for the types served (and for every resource), whose
// definitions are FHIR's. Any other parameter of fhir/resources/resource_types.cpp is the registry's own.
bool IsFhirBaseParam(const std::string& type, const std::string& name) {
  static const std::map<std::string, std::set<std::string>> kBase = {
      {"Patient", {"active", "address", "address-city", "address-country", "address-postalcode", "address-state",
                   "address-use", "birthdate", "death-date", "deceased", "email", "family", "gender",
                   "general-practitioner", "given", "identifier", "language", "link", "name", "organization", "phone",
                   "phonetic", "telecom"}},
      {"Organization", {"active", "address", "address-city", "address-country", "address-postalcode",
                        "address-state", "address-use", "endpoint", "identifier", "name", "partof", "phonetic",
                        "type"}},
      {"Practitioner", {"active", "address", "address-city", "address-country", "address-postalcode",
                        "address-state", "address-use", "communication", "email", "family", "gender", "given",
                        "identifier", "name", "phone", "phonetic", "telecom"}},
      {"PractitionerRole", {"active", "date", "email", "endpoint", "identifier", "location", "organization", "phone",
                            "practitioner", "role", "service", "specialty", "telecom"}},
      {"EpisodeOfCare", {"care-manager", "condition", "date", "identifier", "incoming-referral", "organization",
                         "patient", "status", "type"}},
      {"CareTeam", {"category", "date", "encounter", "identifier", "participant", "patient", "status", "subject"}},
      {"DocumentReference", {"authenticator", "author", "category", "contenttype", "custodian", "date",
                             "description", "encounter", "event", "facility", "format", "identifier", "language",
                             "location", "patient", "period", "related", "relatesto", "relation", "relationship",
                             "security-label", "setting", "status", "subject", "type"}},
      {"Task", {"authored-on", "based-on", "business-status", "code", "encounter", "focus", "group-identifier",
                "identifier", "intent", "modified", "owner", "part-of", "patient", "performer", "period", "priority",
                "requester", "status", "subject"}},
      {"Encounter", {"account", "appointment", "based-on", "class", "date", "diagnosis", "episode-of-care",
                     "identifier", "length", "location", "location-period", "part-of", "participant",
                     "participant-type", "patient", "practitioner", "reason-code", "reason-reference",
                     "service-provider", "special-arrangement", "status", "subject", "type"}},
  };
  if (!name.empty() && name[0] == '_') return true;  // _id, _lastUpdated, …: every resource's
  const auto it = kBase.find(type);
  return it != kBase.end() && it->second.count(name) > 0;
}

// FHIRPath of the registry's own parameters, by Type-name. A parameter answered from the registry tables
// rather than from an element has none (kComputed); every other one must be here
// (tests/fhir/conformance/definitions_test.cpp).
const std::map<std::string, std::string>& Expressions() {
  static const std::map<std::string, std::string> kExpressions = {
      {"Organization-serves-saebo",
       "Organization.extension('" + std::string(nr::kServesSaeboExt) + "').value.ofType(Reference)"},
      {"Organization-municipality",
       "Organization.extension('" + std::string(nr::kMunicipalityExt) + "').value.ofType(Coding)"},
      {"Patient-municipality",
       "Patient.address.extension('" + std::string(nr::kMunicipalityExt) + "').value.ofType(Coding)"},
      {"CareTeam-member", "CareTeam.participant.member"},
      {"CareTeam-role", "CareTeam.participant.role"},
      {"CareTeam-organization", "CareTeam.managingOrganization"},
      {"CareTeam-managing-organization", "CareTeam.managingOrganization"},
  };
  return kExpressions;
}

const char* const kComputed[] = {"PractitionerRole-has-free-capacity"};

const char* ParamTypeCode(ParamType type) {
  switch (type) {
    case ParamType::token: return "token";
    case ParamType::string: return "string";
    case ParamType::reference: return "reference";
    case ParamType::date: return "date";
  }
  return "token";
}

std::string SearchParameterJson(const ResourceTypeDef& type, const SearchParamDef& param, const std::string& id,
                                const std::string& url) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  std::string description = param.documentation;
  const bool computed = std::any_of(std::begin(kComputed), std::end(kComputed), [&](const char* c) { return id == c; });
  if (computed) description += " (answered from the registry's tables: no FHIRPath expression)";
  Header(w, "SearchParameter", id, url, Pascal(id), "", description);
  Str(w, "code", param.name);
  w.Key("base");
  w.StartArray();
  w.String(type.type.c_str());
  w.EndArray();
  Str(w, "type", ParamTypeCode(param.type));
  if (auto it = Expressions().find(id); it != Expressions().end()) {
    Str(w, "expression", it->second);
    Str(w, "xpathUsage", "normal");
  }
  if (param.type == ParamType::reference && !param.target_type.empty()) {
    w.Key("target");
    w.StartArray();
    w.String(param.target_type.c_str());
    w.EndArray();
  }
  w.EndObject();
  return Done(buffer);
}

// ---- CodeSystem -------------------------------------------------------------------------------------

struct Concept {
  std::string code;
  std::string display;
};

struct CodeSystemSpec {
  std::string id;
  std::string url;
  std::string title;
  std::string description;
  bool complete = true;  // else content fragment: the codes the server itself uses, clients may send others
  std::vector<Concept> concepts;
};

std::vector<CodeSystemSpec> CodeSystems() {
  std::vector<CodeSystemSpec> out;
  {
    CodeSystemSpec types{"organization-type", nr::kOrganizationType, "Organisationstyp",
                         "Vad en Organization i registret är (what kind of unit an Organization is)", true, {}};
    static const std::map<std::string, std::string> kDisplay = {
        {"region", "Region"}, {"vardcentral", "Vårdcentral"}, {"kommun", "Kommun"},
        {"saebo", "Särskilt boende (SÄBO)"}, {"hemsjukvard", "Hemsjukvård"},
        {"specialistmottagning", "Specialistmottagning"}, {"other", "Annan"}};
    // The codes are the registry's own (registry/facts.cpp): every UnitType, in its order.
    for (UnitType t : {UnitType::region, UnitType::vardcentral, UnitType::kommun, UnitType::saebo,
                       UnitType::hemsjukvard, UnitType::specialistmottagning, UnitType::other}) {
      const std::string code = UnitTypeName(t);
      const auto it = kDisplay.find(code);
      types.concepts.push_back({code, it == kDisplay.end() ? code : it->second});
    }
    out.push_back(std::move(types));
  }
  out.push_back({"episode-type", nr::kEpisodeType, "Typ av vårdepisod",
                 "EpisodeOfCare.type: listning vid vårdcentral, boende på SÄBO eller hemsjukvård (listing, SÄBO "
                 "residency or home health care)",
                 true,
                 {{"listning", "Listning vid vårdcentral"},
                  {"saebo", "Boende på särskilt boende (SÄBO)"},
                  {"hemsjukvard", "Hemsjukvård"}}});
  out.push_back({"careteam-category", nr::kCareTeamCategory, "CareTeam-kategori",
                 "CareTeam.category: en namngiven fast kontakt (one named fixed contact)", true,
                 {{nr::kFastKontakt, "Fast kontakt"}}});
  out.push_back({"document-type", nr::kDocumentType, "Dokumenttyp",
                 "DocumentReference.type: dokument i journalen som registret pekar på (documents held in a journal)",
                 true,
                 {{"patientkontrakt", "Patientkontrakt"}, {"sip", "Samordnad individuell plan (SIP)"}}});
  out.push_back({"profession", nr::kProfession, "Yrke",
                 "PractitionerRole.code och Practitioner.qualification: yrket; registret kräver lakare för fast "
                 "läkarkontakt och tar emot andra yrken (the profession; other codes are accepted)",
                 false,
                 {{"lakare", "Läkare"}, {"sjukskoterska", "Sjuksköterska"}, {"fysioterapeut", "Fysioterapeut"},
                  {"arbetsterapeut", "Arbetsterapeut"}}});
  out.push_back({"end-reason", nr::kEndReasonSystem, "Avslutsorsak",
                 "Extension end-reason: varför en fast kontakt upphörde; koderna som servern själv skriver, klienter "
                 "får skicka andra (why a fixed contact ended; the codes the server writes itself)",
                 false,
                 {{"byte-av-listning", "Byte av listning"}, {"avliden", "Patienten har avlidit"}}});
  out.push_back({"kommun", nr::kKommun, "Kommun",
                 "Kommunkod (SCB:s fyrsiffriga kod); här bara demodatans kommuner, SCB:s förteckning gäller "
                 "(the four-digit municipality code; only the demo data's here, SCB's list governs)",
                 false, {{"0184", "Solna"}}});
  out.push_back({"typ-av-fast-kontakt", nr::kContactRole, "Typ av fast kontakt",
                 "CareTeam.participant.role. Kopia för klienter; den nationella kodverket (OID 1.2.752.129.5.1.69) "
                 "gäller (a copy for clients; the national code system governs)",
                 true,
                 {{"1", "fast vårdkontakt"},
                  {"2", "fast läkarkontakt i primärvård"},
                  {"3", "fast omsorgskontakt i hemtjänsten"},
                  {"4", "fast vårdkontakt med övergripande samordningsansvar"}}});
  return out;
}

std::string CodeSystemJson(const CodeSystemSpec& cs) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Header(w, "CodeSystem", cs.id, cs.url, Pascal(cs.id), cs.title, cs.description);
  w.Key("caseSensitive"); w.Bool(true);
  Str(w, "content", cs.complete ? "complete" : "fragment");
  if (cs.complete) {
    w.Key("count");
    w.Int(static_cast<int>(cs.concepts.size()));
  }
  w.Key("concept");
  w.StartArray();
  for (const auto& c : cs.concepts) {
    w.StartObject();
    Str(w, "code", c.code);
    Str(w, "display", c.display);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(buffer);
}

// ---- StructureDefinition (extensions) ---------------------------------------------------------------

struct ExtensionSpec {
  std::string url;
  std::string title;
  std::string description;
  std::vector<std::string> contexts;  // element contexts ("PractitionerRole", "Address")
  std::vector<std::string> types;     // value[x] types
  std::string target;                 // Reference target type
};

std::vector<ExtensionSpec> Extensions() {
  return {
      {nr::kFteExt, "Tjänstgöringsgrad",
       "Tjänstgöringsgrad, 0 < x ≤ 1, standard 1 (the practitioner's full-time equivalent at the unit)",
       {"PractitionerRole"}, {"decimal"}, ""},
      {nr::kListCapacityExt, "Listtak",
       "Hur många som kan ha läkaren som fast läkarkontakt, standard round(1100 × fte) (list capacity)",
       {"PractitionerRole"}, {"integer"}, ""},
      {nr::kMunicipalityExt, "Kommun",
       "Kommunen (kod från " + std::string(nr::kKommun) + ") för en enhet eller en adress (the municipality)",
       {"Organization", "Address"}, {"Coding"}, ""},
      {nr::kServesSaeboExt, "Betjänar SÄBO", "Ett särskilt boende som vårdcentralen betjänar (a SÄBO unit it serves)",
       {"Organization"}, {"Reference"}, "Organization"},
      {nr::kBeginReasonExt, "Orsak till start", "Varför den fasta kontakten började (why the fixed contact began)",
       {"CareTeam"}, {"Coding", "string"}, ""},
      {nr::kEndReasonExt, "Avslutsorsak",
       "Varför den fasta kontakten upphörde, kod från " + std::string(nr::kEndReasonSystem) +
           " eller fritext (why the fixed contact ended)",
       {"CareTeam"}, {"Coding", "string"}, ""},
      {nr::kAgreedTimeExt, "Överenskommen tid", "Överenskommen tid i Patientkontraktet (the agreed time)",
       {"DocumentReference"}, {"dateTime"}, ""},
      {nr::kSipExt, "SIP",
       "Datum för patientens samordnade individuella plan (SIP), på en hemsjukvårdsepisod (the date of the "
       "patient's coordinated individual plan, on a hemsjukvard episode)",
       {"EpisodeOfCare"}, {"date"}, ""},
  };
}

std::string LastSegment(const std::string& url) { return url.substr(url.rfind('/') + 1); }

std::string StructureDefinitionJson(const ExtensionSpec& ext) {
  const std::string id = LastSegment(ext.url);
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Header(w, "StructureDefinition", id, ext.url, Pascal(id), ext.title, ext.description);
  Str(w, "fhirVersion", "4.0.1");
  Str(w, "kind", "complex-type");
  w.Key("abstract"); w.Bool(false);
  w.Key("context");
  w.StartArray();
  for (const auto& context : ext.contexts) {
    w.StartObject();
    Str(w, "type", "element");
    Str(w, "expression", context);
    w.EndObject();
  }
  w.EndArray();
  Str(w, "type", "Extension");
  Str(w, "baseDefinition", "http://hl7.org/fhir/StructureDefinition/Extension");
  Str(w, "derivation", "constraint");
  w.Key("differential");
  w.StartObject();
  w.Key("element");
  w.StartArray();
  const auto element = [&](const std::string& path, const auto& body) {
    w.StartObject();
    Str(w, "id", path);
    Str(w, "path", path);
    body();
    w.EndObject();
  };
  element("Extension", [&] {
    Str(w, "short", ext.title);
    Str(w, "definition", ext.description);
    w.Key("min"); w.Int(0);
    Str(w, "max", "1");
  });
  element("Extension.extension", [&] { Str(w, "max", "0"); });
  element("Extension.url", [&] { Str(w, "fixedUri", ext.url); });
  element("Extension.value[x]", [&] {
    w.Key("min"); w.Int(1);
    w.Key("type");
    w.StartArray();
    for (const auto& type : ext.types) {
      w.StartObject();
      Str(w, "code", type);
      if (type == "Reference" && !ext.target.empty()) {
        w.Key("targetProfile");
        w.StartArray();
        w.String(("http://hl7.org/fhir/StructureDefinition/" + ext.target).c_str());
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
  });
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return Done(buffer);
}

std::vector<ConformanceResource> Build() {
  std::vector<ConformanceResource> out;
  for (const auto& op : ServedOperations()) {
    out.push_back({"OperationDefinition", op.id, op.url, OperationDefinitionJson(op)});
  }
  for (const auto& type : SupportedTypes()) {
    for (const auto& param : type.search_params) {
      const std::string url = SearchParameterCanonical(type.type, param.name);
      if (url.empty()) continue;
      const std::string id = type.type + "-" + param.name;
      out.push_back({"SearchParameter", id, url, SearchParameterJson(type, param, id, url)});
    }
  }
  for (const auto& cs : CodeSystems()) out.push_back({"CodeSystem", cs.id, cs.url, CodeSystemJson(cs)});
  for (const auto& ext : Extensions()) {
    out.push_back({"StructureDefinition", LastSegment(ext.url), ext.url, StructureDefinitionJson(ext)});
  }
  return out;
}

}  // namespace

std::string SearchParameterCanonical(const std::string& type, const std::string& name) {
  if (IsFhirBaseParam(type, name)) return "";
  return std::string(kNrBase) + "/SearchParameter/" + type + "-" + name;
}

const std::vector<ConformanceResource>& ConformanceResources() {
  static const std::vector<ConformanceResource> kResources = Build();
  return kResources;
}

const std::vector<std::string>& ConformanceTypes() {
  static const std::vector<std::string> kTypes = {"OperationDefinition", "SearchParameter", "CodeSystem",
                                                  "StructureDefinition"};
  return kTypes;
}

bool IsConformanceType(std::string_view type) {
  const auto& types = ConformanceTypes();
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace nara::fhir
