#include "app/tools/demo_data.h"

#include <cstdio>
#include <string>
#include <vector>

#include "registry/code_systems.h"
#include "registry/date.h"
#include "registry/identifier_system.h"
#include "registry/personnummer.h"

namespace nara::app {
namespace {

struct Person {
  std::string pnr, family, given, gender, birth_date;
};

// Deterministic: the same 200 residents on every machine.
Person MakePerson(int n) {
  static const std::vector<std::string> kFamily = {"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson",
                                                   "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson",
                                                   "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Åberg"};
  static const std::vector<std::string> kFemale = {"Anna", "Eva", "Maria", "Karin", "Kristina", "Lena", "Sara",
                                                   "Ingrid", "Elsa", "Astrid", "Märta", "Ebba"};
  static const std::vector<std::string> kMale = {"Lars", "Mikael", "Anders", "Johan", "Erik", "Per", "Karl",
                                                 "Nils", "Olof", "Björn", "Gösta", "Åke"};
  const int year = 1928 + (n * 37) % 95;
  const int month = 1 + (n * 7) % 12;
  const int day = 1 + (n * 11) % 28;
  const int serial = 100 + (n * 13) % 800;
  const bool female = n % 2 == 0;
  // Digit 9 (the 11th of 12) is even for women, odd for men.
  char nnn[16];
  std::snprintf(nnn, sizeof nnn, "%02d%d", serial / 10 % 100, (serial % 5) * 2 + (female ? 0 : 1));
  char date[16];
  std::snprintf(date, sizeof date, "%02d%02d%02d", year % 100, month, day);
  const std::string nine = std::string(date) + nnn;
  Person p;
  p.pnr = std::to_string(year / 100) + nine + std::to_string(PersonIdCheckDigit(nine));
  p.family = kFamily[n % kFamily.size()];
  p.given = female ? kFemale[(n / 2) % kFemale.size()] : kMale[(n / 2) % kMale.size()];
  p.gender = female ? "female" : "male";
  char birth[16];
  std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", year, month, day);
  p.birth_date = birth;
  return p;
}

std::string Organization(const std::string& id, const std::string& hsa, const std::string& name,
                         const std::string& type, const std::string& part_of, const std::string& kommun,
                         const std::string& serves_saebo = "") {
  std::string json = "{\"resourceType\":\"Organization\",\"id\":\"" + id + "\",\"active\":true,"
                     "\"identifier\":[{\"system\":\"" + systems::kHsaId + "\",\"value\":\"" + hsa + "\"}],"
                     "\"type\":[{\"coding\":[{\"system\":\"" + nr::kOrganizationType + "\",\"code\":\"" + type +
                     "\"}]}],"
                     "\"name\":\"" + name + "\"";
  if (!part_of.empty()) json += ",\"partOf\":{\"reference\":\"Organization/" + part_of + "\"}";
  std::string extensions;
  if (!kommun.empty()) {
    extensions += "{\"url\":\"" + std::string(nr::kMunicipalityExt) + "\",\"valueCoding\":{\"system\":\"" +
                  nr::kKommun + "\",\"code\":\"" + kommun + "\"}}";
  }
  if (!serves_saebo.empty()) {
    extensions += std::string(extensions.empty() ? "" : ",") +
                  "{\"url\":\"" + std::string(nr::kServesSaeboExt) + "\",\"valueReference\":{"
                  "\"reference\":\"Organization/" + serves_saebo + "\"}}";
  }
  if (!extensions.empty()) json += ",\"extension\":[" + extensions + "]";
  return json + "}";
}

std::string Practitioner(const std::string& id, const std::string& hsa, const std::string& family,
                         const std::string& given, const std::string& profession) {
  return "{\"resourceType\":\"Practitioner\",\"id\":\"" + id + "\",\"active\":true,"
         "\"identifier\":[{\"system\":\"" + systems::kHsaId + "\",\"value\":\"" + hsa + "\"}],"
         "\"name\":[{\"family\":\"" + family + "\",\"given\":[\"" + given + "\"]}],"
         "\"qualification\":[{\"code\":{\"coding\":[{\"system\":\"" + nr::kProfession + "\",\"code\":\"" + profession +
         "\"}]}}]}";
}

std::string Role(const std::string& id, const std::string& practitioner, const std::string& org,
                 const std::string& profession, const std::string& fte, int capacity = 0) {
  const std::string capacity_ext =
      capacity > 0 ? ",{\"url\":\"" + std::string(nr::kListCapacityExt) + "\",\"valueInteger\":" +
                         std::to_string(capacity) + "}"
                   : "";
  return "{\"resourceType\":\"PractitionerRole\",\"id\":\"" + id + "\",\"active\":true,"
         "\"practitioner\":{\"reference\":\"Practitioner/" + practitioner + "\"},"
         "\"organization\":{\"reference\":\"Organization/" + org + "\"},"
         "\"code\":[{\"coding\":[{\"system\":\"" + nr::kProfession + "\",\"code\":\"" + profession + "\"}]}],"
         "\"extension\":[{\"url\":\"" + std::string(nr::kFteExt) + "\",\"valueDecimal\":" + fte +
         "}" + capacity_ext + "]}";
}

std::string Episode(const std::string& id, const std::string& kind, const std::string& patient,
                    const std::string& unit, const std::string& start) {
  return "{\"resourceType\":\"EpisodeOfCare\",\"id\":\"" + id + "\",\"status\":\"active\","
         "\"type\":[{\"coding\":[{\"system\":\"" + std::string(nr::kEpisodeType) + "\",\"code\":\"" +
         kind + "\"}]}],\"patient\":{\"reference\":\"Patient/" + patient + "\"},"
         "\"managingOrganization\":{\"reference\":\"Organization/" + unit + "\"},\"period\":{\"start\":\"" + start + "\"}}";
}

// role: typ av fast kontakt (urn:oid:1.2.752.129.5.1.69): 1 fast vårdkontakt, 2 fast läkarkontakt.
std::string FixedContact(const std::string& id, const std::string& patient, const std::string& role_code,
                         const std::string& practitioner_role, const std::string& unit, const std::string& start) {
  return "{\"resourceType\":\"CareTeam\",\"id\":\"" + id + "\",\"status\":\"active\","
         "\"category\":[{\"coding\":[{\"system\":\"" + std::string(nr::kIneraCareTeamCategory) + "\","
         "\"code\":\"fast-kontakt\"}]}],\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
         "\"participant\":[{\"role\":[{\"coding\":[{\"system\":\"" + std::string(nr::kContactRole) +
         "\",\"code\":\"" + role_code +
         "\"}]}],\"member\":{\"reference\":\"PractitionerRole/" + practitioner_role + "\"}}],"
         "\"managingOrganization\":[{\"reference\":\"Organization/" + unit + "\"}],\"period\":{\"start\":\"" + start +
         "\"}}";
}

// Hemsjukvård at a kommun's unit (docs/api.md section 11), with the SIP's date when there is one.
std::string HomeCare(const std::string& id, const std::string& patient, const std::string& unit,
                     const std::string& start, const std::string& sip) {
  std::string json = Episode(id, "hemsjukvard", patient, unit, start);
  if (!sip.empty()) {
    json.insert(1, "\"extension\":[{\"url\":\"" + std::string(nr::kSipExt) + "\",\"valueDate\":\"" + sip + "\"}],");
  }
  return json;
}

// A finished visit (docs/api.md section 11) with `role` as the primary performer.
std::string Visit(const std::string& id, const std::string& patient, const std::string& unit, const std::string& role,
                  const std::string& visit_class, Date date) {
  return "{\"resourceType\":\"Encounter\",\"id\":\"" + id + "\",\"identifier\":[{\"system\":"
         "\"https://journal.example.se/kontakt-id\",\"value\":\"" + id + "\"}],\"status\":\"finished\","
         "\"class\":{\"system\":\"" + std::string(nr::kActCodeSystem) + "\",\"code\":\"" + visit_class + "\"},"
         "\"subject\":{\"reference\":\"Patient/" + patient + "\"},\"participant\":[{\"type\":[{\"coding\":[{"
         "\"system\":\"" + std::string(nr::kParticipationTypeSystem) + "\",\"code\":\"PPRF\"}]}],"
         "\"individual\":{\"reference\":\"PractitionerRole/" + role + "\"}}],"
         "\"serviceProvider\":{\"reference\":\"Organization/" + unit + "\"},"
         "\"period\":{\"start\":\"" + date.ToString() + "T09:00:00+01:00\"}}";
}

// A reference to a Patientkontrakt kept in the journal (the registry points into it, never copies it).
std::string Contract(const std::string& id, const std::string& patient, const std::string& careteam,
                     const std::string& custodian, const std::string& date) {
  return "{\"resourceType\":\"DocumentReference\",\"id\":\"" + id + "\",\"status\":\"current\","
         "\"masterIdentifier\":{\"system\":\"" + std::string(nr::kDocumentIdSystem) + "\",\"value\":\"TC-" + id + "\"},"
         "\"type\":{\"coding\":[{\"system\":\"" + std::string(nr::kDocumentType) + "\","
         "\"code\":\"patientkontrakt\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
         "\"date\":\"" + date + "T09:00:00+01:00\",\"custodian\":{\"reference\":\"Organization/" + custodian + "\"},"
         "\"content\":[{\"attachment\":{\"contentType\":\"text/html\","
         "\"url\":\"https://journal.example.se/npo/patientkontrakt/" + id + "\"}}],"
         "\"context\":{\"related\":[{\"reference\":\"CareTeam/" + careteam + "\"}]},"
         "\"extension\":[{\"url\":\"" + std::string(nr::kAgreedTimeExt) + "\","
         "\"valueDateTime\":\"" + date + "T10:30:00+01:00\"}]}";
}

std::string Patient(const std::string& id, const Person& p) {
  return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\","
         "\"identifier\":[{\"system\":\"" + std::string(systems::kPersonnummer) + "\",\"value\":\"" + p.pnr +
         "\"}],\"name\":[{\"family\":\"" + p.family + "\",\"given\":[\"" + p.given + "\"]}],"
         "\"gender\":\"" + p.gender + "\",\"birthDate\":\"" + p.birth_date + "\","
         "\"address\":[{\"city\":\"Solna\",\"extension\":[{\"url\":\"" + std::string(nr::kMunicipalityExt) +
         "\",\"valueCoding\":{\"system\":\"" + nr::kKommun + "\",\"code\":\"0184\",\"display\":\"Solna\"}}]}]}";
}

fhir::HttpResponse Put(fhir::FhirApi& api, const std::string& type, const std::string& id, std::string body) {
  fhir::HttpRequest request;
  request.method = "PUT";
  request.path = "/" + type + "/" + id;
  request.headers["content-type"] = "application/fhir+json";
  request.headers["prefer"] = "return=minimal";
  request.body = std::move(body);
  request.base_url = "https://localhost/fhir";
  request.caller.hsa_id = "nara-demo-loader";
  request.caller.role = "admin";
  return api.Handle(request);
}

}  // namespace

Result<DemoReport> LoadDemoData(fhir::FhirApi& api, int patients) {
  DemoReport report;
  {
    fhir::HttpRequest probe;
    probe.method = "GET";
    probe.path = "/Organization/demo-region";
    probe.base_url = "https://localhost/fhir";
    probe.caller.hsa_id = "nara-demo-loader";
    probe.caller.role = "admin";
    if (api.Handle(probe).status == 200) {
      report.already_loaded = true;
      return report;
    }
  }
  std::vector<std::tuple<std::string, std::string, std::string>> writes = {
      {"Organization", "demo-region", Organization("demo-region", "SE2321000016-0001", "Region Stockholm", "region", "", "")},
      {"Organization", "demo-vc-solna", Organization("demo-vc-solna", "SE2321000016-1001", "Vårdcentralen Solna", "vardcentral", "demo-region", "0184", "demo-saebo-polhem")},
      {"Organization", "demo-vc-hagalund", Organization("demo-vc-hagalund", "SE2321000016-1002", "Hagalunds vårdcentral", "vardcentral", "demo-region", "0184")},
      {"Organization", "demo-kommun-solna", Organization("demo-kommun-solna", "SE2120000184-0001", "Solna stad", "kommun", "", "0184")},
      {"Organization", "demo-saebo-polhem", Organization("demo-saebo-polhem", "SE2120000184-1001", "Polhemsgårdens vård- och omsorgsboende", "saebo", "demo-kommun-solna", "0184")},
      {"Organization", "demo-hsv-solna", Organization("demo-hsv-solna", "SE2120000184-1002", "Solna stads hemsjukvård", "hemsjukvard", "demo-kommun-solna", "0184")},
  };
  struct Doctor { const char* id; const char* hsa; const char* family; const char* given; const char* unit; const char* fte; const char* profession; int capacity; };
  // Dr Berg works half time with a deliberately small list (3): the demo's full doctor.
  const Doctor doctors[] = {
      {"demo-dr-lindqvist", "SE2321000016-2001", "Lindqvist", "Helena", "demo-vc-solna", "1.0", "lakare", 0},
      {"demo-dr-berg", "SE2321000016-2002", "Berg", "Omar", "demo-vc-solna", "0.5", "lakare", 3},
      {"demo-dr-holm", "SE2321000016-2003", "Holm", "Sofia", "demo-vc-hagalund", "1.0", "lakare", 0},
      {"demo-dr-ek", "SE2321000016-2004", "Ek", "Jonas", "demo-vc-hagalund", "0.8", "lakare", 0},
      {"demo-ssk-wall", "SE2120000184-3001", "Wall", "Linnea", "demo-saebo-polhem", "1.0", "sjukskoterska", 0},
      {"demo-ssk-noren", "SE2120000184-3002", "Norén", "Maja", "demo-hsv-solna", "1.0", "sjukskoterska", 0},
  };
  // Visits (docs/api.md section 11) over the 18 months before today, so the continuity measures give
  // figures as of today: the unit's doctors, most visits with the fast läkarkontakt when there is one.
  const Date today = Date::Today();
  const auto doctors_at = [](const std::string& unit) {
    return unit == "demo-vc-solna" ? std::vector<std::string>{"demo-dr-lindqvist-role", "demo-dr-berg-role"}
                                   : std::vector<std::string>{"demo-dr-holm-role", "demo-dr-ek-role"};
  };
  const auto add_visits = [&](const std::string& patient, int n, const std::string& unit, const std::string& fast) {
    const auto doctors = doctors_at(unit);
    const int count = 3 + n % 4;  // 3–6 visits
    for (int k = 0; k < count; ++k) {
      // Mostly the fast läkarkontakt (every visit but each third); without one, the unit's doctors in turn.
      const std::string role = !fast.empty() && k % 3 != 2 ? fast : doctors[(n + k) % doctors.size()];
      const char* visit_class = k % 4 == 3 ? "VR" : (n >= 190 && k == 0 ? "HH" : "AMB");
      const Date date = today.AddDays(-(20 + (k * 97 + n * 13) % 520));
      writes.emplace_back("Encounter", patient + "-v" + std::to_string(k + 1),
                          Visit(patient + "-v" + std::to_string(k + 1), patient, unit, role, visit_class, date));
    }
  };
  for (const auto& d : doctors) {
    writes.emplace_back("Practitioner", d.id, Practitioner(d.id, d.hsa, d.family, d.given, d.profession));
    const std::string role_id = std::string(d.id) + "-role";
    writes.emplace_back("PractitionerRole", role_id, Role(role_id, d.id, d.unit, d.profession, d.fte, d.capacity));
  }
  // Residents 1..N-10 live at home; the last ten live in the SÄBO Polhemsgården.
  const int saebo_from = patients > 10 ? patients - 9 : patients + 1;
  int berg_places = 3;
  for (int n = 1; n <= patients; ++n) {
    char id[32];
    std::snprintf(id, sizeof id, "demo-patient-%03d", n);
    const std::string patient = id;
    writes.emplace_back("Patient", patient, Patient(patient, MakePerson(n)));
    const std::string start = "2024-0" + std::to_string(1 + n % 9) + "-15";
    if (n >= saebo_from) {
      // SÄBO resident: residency registered by Solna stad, the SÄBO nurse as fast vårdkontakt, a doctor
      // from the vårdcentral serving the SÄBO as fast läkarkontakt, and a Patientkontrakt for the first.
      writes.emplace_back("EpisodeOfCare", patient + "-saebo", Episode(patient + "-saebo", "saebo", patient, "demo-saebo-polhem", start));
      writes.emplace_back("CareTeam", patient + "-fvk", FixedContact(patient + "-fvk", patient, "1", "demo-ssk-wall-role", "demo-saebo-polhem", start));
      writes.emplace_back("CareTeam", patient + "-flk", FixedContact(patient + "-flk", patient, "2", "demo-dr-lindqvist-role", "demo-vc-solna", start));
      if (n == saebo_from) {
        writes.emplace_back("DocumentReference", patient + "-kontrakt",
                            Contract(patient + "-kontrakt", patient, patient + "-fvk", "demo-saebo-polhem", start));
      }
      continue;
    }
    if (n % 20 == 0) continue;  // about 5 % are not listed anywhere
    const bool solna = n % 2 == 1;
    const std::string unit = solna ? "demo-vc-solna" : "demo-vc-hagalund";
    writes.emplace_back("EpisodeOfCare", patient + "-listning", Episode(patient + "-listning", "listning", patient, unit, start));
    // Hemsjukvård from Solna stad's unit for two residents at home: one with a SIP and the unit's
    // nurse as fast vårdkontakt, one with neither yet (hemsjukvard-*-andel 1/2 each).
    if (n == 3) {
      writes.emplace_back("EpisodeOfCare", patient + "-hsv", HomeCare(patient + "-hsv", patient, "demo-hsv-solna", start, "2024-10-01"));
      writes.emplace_back("CareTeam", patient + "-hfvk", FixedContact(patient + "-hfvk", patient, "1", "demo-ssk-noren-role", "demo-hsv-solna", start));
    } else if (n == 7) {
      writes.emplace_back("EpisodeOfCare", patient + "-hsv", HomeCare(patient + "-hsv", patient, "demo-hsv-solna", start, ""));
    }
    if (n % 5 < 2) {  // about 60 % of the listed have a named fast läkarkontakt
      add_visits(patient, n, unit, "");
      continue;
    }
    std::string role = solna ? "demo-dr-lindqvist-role" : (n % 4 == 0 ? "demo-dr-holm-role" : "demo-dr-ek-role");
    if (solna && berg_places > 0) {  // fills Dr Berg's three places
      role = "demo-dr-berg-role";
      --berg_places;
    }
    writes.emplace_back("CareTeam", patient + "-flk", FixedContact(patient + "-flk", patient, "2", role, unit, start));
    add_visits(patient, n, unit, role);
  }
  for (const auto& [type, id, body] : writes) {
    auto response = Put(api, type, id, body);
    if (response.status >= 300) {
      return Error{ErrorKind::invalid, "exception",
                   "demo data " + type + "/" + id + " refused with " + std::to_string(response.status) + ": " + response.body, {}};
    }
    ++report.written;
  }
  return report;
}

}  // namespace nara::app
