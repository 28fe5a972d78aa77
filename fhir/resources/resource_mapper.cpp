#include "fhir/resources/resource_mapper.h"

#include <Poco/UTF8String.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/registry_resources.h"
#include "fhir/search/date_param.h"
#include "registry/identifier_system.h"

namespace nara::fhir {
namespace {

using rapidjson::Value;

constexpr const char* kGenderSystem = "http://hl7.org/fhir/administrative-gender";

std::string Lower(const std::string& text) { return Poco::UTF8::toLower(text); }

// Collects the first structural problem found; validators return false to stop.
struct Checker {
  std::optional<Error> error;
  bool Fail(std::string code, std::string text, std::string where) {
    if (!error) error = Error::Invalid(std::move(code), std::move(text), std::move(where));
    return false;
  }
};

// FHIR R4: "Dates SHALL be valid dates" — the pattern admits 02-30, the calendar does not.
bool IsRealDay(const std::string& text) {
  if (text.size() < 10) return true;  // year or year-month precision: nothing more to check
  const int year = std::stoi(text.substr(0, 4)), month = std::stoi(text.substr(5, 2)), day = std::stoi(text.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool IsDate(const std::string& text) {
  static const std::regex kDate(R"(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?)");
  return std::regex_match(text, kDate) && IsRealDay(text);
}

bool IsDateTime(const std::string& text) {
  static const std::regex kDateTime(
      R"(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?)");
  return std::regex_match(text, kDateTime) && IsRealDay(text);
}

bool ExpectArrayOfObjects(const Value& obj, const char* name, const std::string& path, Checker& c) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return true;
  if (!it->value.IsArray()) return c.Fail("structure", std::string(name) + " måste vara en lista (" + name + " must be an array)", path + "." + name);
  for (const auto& item : it->value.GetArray()) {
    if (!item.IsObject()) return c.Fail("structure", std::string(name) + " får bara innehålla objekt (" + name + " must hold objects)", path + "." + name);
  }
  return true;
}

// The Swedish of ExpectType's `what` (the messages are Swedish first, English after).
std::string Swedish(const char* what) {
  static const std::map<std::string, std::string> kWords = {
      {"a string", "en sträng"},           {"true or false", "true eller false"},
      {"an object", "ett objekt"},         {"a Narrative object", "ett Narrative-objekt"},
      {"a date string", "ett datum"},      {"a dateTime string", "en tidpunkt (dateTime)"},
      {"an array of strings", "en lista av strängar"},
  };
  const auto found = kWords.find(what);
  return found == kWords.end() ? what : found->second;
}

bool ExpectType(const Value& obj, const char* name, const std::string& path, Checker& c, bool (Value::*is)() const,
                const char* what) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return true;
  if (!(it->value.*is)()) return c.Fail("structure", std::string(name) + " måste vara " + Swedish(what) + " (" + name + " must be " + what + ")", path + "." + name);
  return true;
}

// identifier[]: structure, canonical system, Swedish identifier rules, index tokens.
bool NormaliseIdentifiers(Value& resource, rapidjson::Document::AllocatorType& alloc, const std::string& type,
                          IndexEntries& index, Checker& c) {
  if (!ExpectArrayOfObjects(resource, "identifier", type, c)) return false;
  auto it = resource.FindMember("identifier");
  if (it == resource.MemberEnd()) return true;
  int i = 0;
  for (auto& identifier : it->value.GetArray()) {
    const std::string where = type + ".identifier[" + std::to_string(i++) + "]";
    if (!ExpectType(identifier, "system", where, c, &Value::IsString, "a string")) return false;
    if (!ExpectType(identifier, "value", where, c, &Value::IsString, "a string")) return false;
    const std::string system = CanonicalSystem(StringMember(identifier, "system"));
    const std::string value = StringMember(identifier, "value");
    if (!system.empty()) identifier["system"].SetString(system.c_str(), static_cast<rapidjson::SizeType>(system.size()), alloc);
    if (value.empty()) return c.Fail("required", "identifier.value saknas (identifier needs a value)", where);
    if (auto status = ValidateIdentifier(system, value); !status) {
      return c.Fail("value", status.error().text, where + ".value");
    }
    index.tokens.push_back({"identifier", system, value});
    // A replaced samordningsnummer (or a unit's former HSA-id) keeps its row with period.end; only live
    // identifiers are unique.
    const bool ended = identifier.HasMember("period") && identifier["period"].IsObject() &&
                       identifier["period"].HasMember("end");
    if (IsUniqueIdentifierOf(type, system) && !ended) index.unique.push_back({"", system, value});
  }
  return true;
}

void IndexHumanNames(const Value& resource, IndexEntries& index) {
  auto it = resource.FindMember("name");
  if (it == resource.MemberEnd() || !it->value.IsArray()) return;
  auto add = [&](const char* param, const Value& v) {
    if (!v.IsString()) return;
    std::string text(v.GetString(), v.GetStringLength());
    if (!text.empty()) index.texts.push_back({param, text, Lower(text)});
  };
  for (const auto& name : it->value.GetArray()) {
    if (!name.IsObject()) continue;
    if (name.HasMember("family")) {
      add("family", name["family"]);
      add("name", name["family"]);
    }
    if (name.HasMember("given") && name["given"].IsArray()) {
      for (const auto& given : name["given"].GetArray()) {
        add("given", given);
        add("name", given);
      }
    }
    if (name.HasMember("text")) add("name", name["text"]);
  }
}

bool CheckHumanNames(const Value& resource, const std::string& type, Checker& c) {
  if (!ExpectArrayOfObjects(resource, "name", type, c)) return false;
  auto it = resource.FindMember("name");
  if (it == resource.MemberEnd()) return true;
  for (const auto& name : it->value.GetArray()) {
    if (!ExpectType(name, "family", type + ".name", c, &Value::IsString, "a string")) return false;
    if (!ExpectType(name, "given", type + ".name", c, &Value::IsArray, "an array of strings")) return false;
    if (name.HasMember("given")) {
      for (const auto& given : name["given"].GetArray()) {
        if (!given.IsString()) return c.Fail("structure", "given får bara innehålla strängar (given must hold strings)", type + ".name.given");
      }
    }
  }
  return true;
}

// A Reference element: index it when it points at Type/id.
bool IndexReference(const Value& resource, const char* element, const char* param, const std::string& type,
                    IndexEntries& index, Checker& c) {
  auto it = resource.FindMember(element);
  if (it == resource.MemberEnd()) return true;
  const std::string where = type + "." + element;
  if (!it->value.IsObject()) return c.Fail("structure", std::string(element) + " måste vara ett Reference-objekt (" + element + " must be a Reference object)", where);
  if (!ExpectType(it->value, "reference", where, c, &Value::IsString, "a string")) return false;
  std::string target_type, target_id;
  const std::string reference = StringMember(it->value, "reference");
  if (reference.empty()) return true;
  if (!ParseReference(reference, target_type, target_id)) {
    return c.Fail("value", std::string(element) + ".reference måste vara Typ/id (" + element + ".reference must be Type/id)", where + ".reference");
  }
  index.references.push_back({param, target_type, target_id});
  return true;
}

// CodeableConcept[] (or one) → token rows.
bool IndexCodings(const Value& resource, const char* element, const char* param, const std::string& type,
                  IndexEntries& index, Checker& c) {
  auto it = resource.FindMember(element);
  if (it == resource.MemberEnd()) return true;
  const std::string where = type + "." + element;
  auto index_concept = [&](const Value& concept_value) {
    if (!concept_value.IsObject()) return c.Fail("structure", std::string(element) + " får bara innehålla CodeableConcept (" + element + " must hold CodeableConcepts)", where);
    if (!ExpectArrayOfObjects(concept_value, "coding", where, c)) return false;
    if (!concept_value.HasMember("coding")) return true;
    for (const auto& coding : concept_value["coding"].GetArray()) {
      if (!ExpectType(coding, "code", where, c, &Value::IsString, "a string")) return false;
      const std::string code = StringMember(coding, "code");
      if (!code.empty()) index.tokens.push_back({param, StringMember(coding, "system"), code});
    }
    return true;
  };
  if (it->value.IsArray()) {
    for (const auto& item : it->value.GetArray()) {
      if (!index_concept(item)) return false;
    }
    return true;
  }
  return index_concept(it->value);
}

// Patient.address: line, city and postal code as text (the postal code also without its space, as
// Swedish systems write it both ways), the municipality extension as a kommunkod token.
void IndexAddresses(const Value& resource, IndexEntries& index) {
  auto it = resource.FindMember("address");
  if (it == resource.MemberEnd() || !it->value.IsArray()) return;
  auto add = [&](const char* param, const std::string& text) {
    if (!text.empty()) index.texts.push_back({param, text, Lower(text)});
  };
  for (const auto& address : it->value.GetArray()) {
    if (!address.IsObject()) continue;
    if (const Value* lines = Member(address, "line"); lines != nullptr && lines->IsArray()) {
      for (const auto& line : lines->GetArray()) {
        if (line.IsString()) add("address", line.GetString());
      }
    }
    const std::string city = StringMember(address, "city");
    add("address-city", city);
    add("address", city);
    const std::string postal = StringMember(address, "postalCode");
    std::string compact = postal;
    compact.erase(std::remove(compact.begin(), compact.end(), ' '), compact.end());
    for (const std::string& code : compact == postal ? std::vector<std::string>{postal} : std::vector<std::string>{postal, compact}) {
      add("address-postalcode", code);
      add("address", code);
    }
    for (const Value* ext : FindExtensions(address, nr::kMunicipalityExt)) {
      const Value* coding = Member(*ext, "valueCoding");
      const std::string code = coding == nullptr ? "" : StringMember(*coding, "code");
      if (!code.empty()) index.tokens.push_back({"municipality", nr::kKommun, code});
    }
  }
}

bool CheckPatient(Value& r, const std::string& t, IndexEntries& index, Checker& c) {
  if (!CheckHumanNames(r, t, c)) return false;
  IndexHumanNames(r, index);
  if (!ExpectType(r, "gender", t, c, &Value::IsString, "a string")) return false;
  const std::string gender = StringMember(r, "gender");
  if (r.HasMember("gender")) {
    if (gender != "male" && gender != "female" && gender != "other" && gender != "unknown") {
      return c.Fail("value", "gender måste vara male, female, other eller unknown (gender must be male, female, other or unknown)", "Patient.gender");
    }
    index.tokens.push_back({"gender", kGenderSystem, gender});
  }
  if (!ExpectType(r, "birthDate", t, c, &Value::IsString, "a date string")) return false;
  if (r.HasMember("birthDate") && !IsDate(StringMember(r, "birthDate"))) {
    return c.Fail("value", "birthDate måste vara ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD (birthDate must be YYYY, YYYY-MM or YYYY-MM-DD)", "Patient.birthDate");
  }
  {
    const std::string written = StringMember(r, "birthDate");
    const auto from_id = written.empty() ? BirthDateFromPersonId(r) : std::nullopt;
    const std::string birth = !written.empty() ? written : from_id ? from_id->ToString() : "";
    if (auto range = birth.empty() ? Result<DateRange>(Error::Invalid("value", "")) : ParseDateRange(birth)) {
      index.periods.push_back({"birthdate", range->start, range->end});
    }
  }
  if (!ExpectType(r, "deceasedDateTime", t, c, &Value::IsString, "a dateTime string")) return false;
  if (r.HasMember("deceasedDateTime") && !IsDateTime(StringMember(r, "deceasedDateTime"))) {
    return c.Fail("value", "deceasedDateTime måste vara en FHIR dateTime (deceasedDateTime must be a FHIR dateTime)", "Patient.deceasedDateTime");
  }
  if (!ExpectType(r, "deceasedBoolean", t, c, &Value::IsBool, "true or false")) return false;
  if (!ExpectType(r, "active", t, c, &Value::IsBool, "true or false")) return false;
  if (!ExpectArrayOfObjects(r, "address", t, c) || !ExpectArrayOfObjects(r, "telecom", t, c)) return false;
  IndexAddresses(r, index);
  return true;
}

bool CheckOrganization(Value& r, const std::string& t, IndexEntries& index, Checker& c) {
  if (!ExpectType(r, "name", t, c, &Value::IsString, "a string")) return false;
  const std::string name = StringMember(r, "name");
  if (!name.empty()) index.texts.push_back({"name", name, Lower(name)});
  if (r.HasMember("alias")) {
    if (!r["alias"].IsArray()) return c.Fail("structure", "alias måste vara en lista av strängar (alias must be an array of strings)", "Organization.alias");
    for (const auto& alias : r["alias"].GetArray()) {
      if (!alias.IsString()) return c.Fail("structure", "alias får bara innehålla strängar (alias must hold strings)", "Organization.alias");
      std::string text(alias.GetString(), alias.GetStringLength());
      if (!text.empty()) index.texts.push_back({"name", text, Lower(text)});
    }
  }
  if (!ExpectType(r, "active", t, c, &Value::IsBool, "true or false")) return false;
  return IndexCodings(r, "type", "type", t, index, c) && IndexReference(r, "partOf", "partof", t, index, c) &&
         ExpectArrayOfObjects(r, "address", t, c);
}

bool CheckPractitioner(Value& r, const std::string& t, IndexEntries& index, Checker& c) {
  if (!CheckHumanNames(r, t, c)) return false;
  IndexHumanNames(r, index);
  if (!ExpectType(r, "active", t, c, &Value::IsBool, "true or false")) return false;
  return ExpectArrayOfObjects(r, "qualification", t, c);
}

bool CheckPractitionerRole(Value& r, const std::string& t, IndexEntries& index, Checker& c) {
  if (!ExpectType(r, "active", t, c, &Value::IsBool, "true or false")) return false;
  if (r.HasMember("active")) index.tokens.push_back({"active", "", r["active"].GetBool() ? "true" : "false"});
  return IndexReference(r, "practitioner", "practitioner", t, index, c) &&
         IndexReference(r, "organization", "organization", t, index, c) &&
         IndexCodings(r, "code", "role", t, index, c);
}

bool CheckCommon(Value& r, const std::string& t, Checker& c) {
  if (!ExpectType(r, "meta", t, c, &Value::IsObject, "an object")) return false;
  if (!ExpectType(r, "text", t, c, &Value::IsObject, "a Narrative object")) return false;
  return ExpectArrayOfObjects(r, "extension", t, c) && ExpectArrayOfObjects(r, "contained", t, c);
}

}  // namespace

bool ParseReference(std::string_view reference, std::string& type, std::string& id) {
  const auto history = reference.find("/_history/");
  if (history != std::string_view::npos) reference = reference.substr(0, history);
  const auto slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const auto type_start = reference.rfind('/', slash - 1);
  type = std::string(reference.substr(type_start == std::string_view::npos ? 0 : type_start + 1,
                                      slash - (type_start == std::string_view::npos ? 0 : type_start + 1)));
  id = std::string(reference.substr(slash + 1));
  if (type.empty() || !std::isupper(static_cast<unsigned char>(type[0]))) return false;
  for (char ch : type) {
    if (!std::isalpha(static_cast<unsigned char>(ch))) return false;
  }
  return IsValidId(id);
}

Result<PreparedResource> PrepareResource(std::string_view body, const ResourceTypeDef& type,
                                         const std::optional<std::string>& url_id) {
  rapidjson::Document parsed;
  NARA_RETURN_IF_ERROR(ParseJsonObject(body, parsed));
  return PrepareParsedResource(parsed, type, url_id);
}

Result<PreparedResource> PrepareParsedResource(rapidjson::Document& parsed, const ResourceTypeDef& type,
                                               const std::optional<std::string>& url_id) {
  PreparedResource prepared;
  auto& doc = prepared.doc;
  doc.Swap(parsed);
  const std::string resource_type = StringMember(doc, "resourceType");
  if (resource_type.empty()) return Error::Invalid("structure", "resourceType saknas (resourceType is missing)");
  if (resource_type != type.type) {
    const std::string shown = SafeExcerpt(resource_type);
    return Error::Invalid("invalid", "resourceType " + shown + " stämmer inte med adressen " + type.type +
                                         " (resourceType " + shown + " does not match the endpoint " + type.type + ")");
  }
  if (doc.HasMember("id") && !doc["id"].IsString())
    return Error::Invalid("structure", "id måste vara en sträng (id must be a string)", "id");
  const std::string body_id = StringMember(doc, "id");
  if (url_id) {
    if (body_id.empty())
      return Error::Invalid("invalid",
                            "uppdateringen behöver resursens id i kroppen (update needs the "
                            "resource id in the body (FHIR R4 3.1.0.4))");
    if (body_id != *url_id) {
      return Error::Invalid("invalid",
                            "id i kroppen stämmer inte med id i adressen (id in the body does not match "
                            "the id in the URL)",
                            type.type + ".id");
    }
  }
  Checker checker;
  const std::string& t = type.type;
  bool ok = CheckCommon(doc, t, checker) && NormaliseIdentifiers(doc, doc.GetAllocator(), t, prepared.index, checker);
  if (ok) {
    if (t == "Patient") ok = CheckPatient(doc, t, prepared.index, checker);
    else if (t == "Organization") ok = CheckOrganization(doc, t, prepared.index, checker);
    else if (t == "Practitioner") ok = CheckPractitioner(doc, t, prepared.index, checker);
    else if (t == "PractitionerRole") ok = CheckPractitionerRole(doc, t, prepared.index, checker);
  }
  if (!ok) return *checker.error;
  // Registry resources and extensions (fhir/resources/registry_resources.cpp).
  if (Status registry = CheckRegistryResource(doc, t, prepared.index, prepared.warnings); !registry) {
    return registry.error();
  }
  return prepared;
}

std::string RenderVersion(const rapidjson::Document& doc, const std::string& type, const VersionInfo& info) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("resourceType");
  w.String(type.c_str());
  w.Key("id");
  w.String(info.id.c_str());
  w.Key("meta");
  w.StartObject();
  w.Key("versionId");
  w.String(std::to_string(info.version).c_str());
  w.Key("lastUpdated");
  w.String(info.last_updated.c_str());
  // Keep what the client may set in meta (profile, tag, security), never its versionId/lastUpdated.
  if (doc.HasMember("meta") && doc["meta"].IsObject()) {
    for (const auto& m : doc["meta"].GetObject()) {
      const std::string name = m.name.GetString();
      if (name == "versionId" || name == "lastUpdated") continue;
      w.Key(m.name.GetString(), m.name.GetStringLength());
      m.value.Accept(w);
    }
  }
  w.EndObject();
  for (const auto& m : doc.GetObject()) {
    const std::string name = m.name.GetString();
    if (name == "resourceType" || name == "id" || name == "meta") continue;
    w.Key(m.name.GetString(), m.name.GetStringLength());
    m.value.Accept(w);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace nara::fhir
