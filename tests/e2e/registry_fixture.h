// Test data for the registry end-to-end tests (docs/api.md sections 3–5): valid personnummer, the
// resource shapes of the registry (Organization, PractitionerRole, EpisodeOfCare, CareTeam,
// DocumentReference) and a small "world" builder that writes them over mTLS as the clients the
// access policy allows: directory data and Patients as `admin`, listings, CareTeams and
// DocumentReferences as `ehr` (units below the region HSA-id SE2321000016-0001), SÄBO episodes and
// SÄBO fast vårdkontakt as `municipality` (units below the kommun HSA-id SE2120000184-0001).
//
// Every resource id starts with the world's prefix, so tests sharing one server and database never
// touch each other's data. Setup failures throw (gtest reports them as a failure of the test).
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include "registry/personnummer.h"
#include "tests/e2e/json_helpers.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e::reg {

inline const std::string kNr = "https://fhir.nara-registry.org";
inline const std::string kOrgType = kNr + "/CodeSystem/organization-type";
inline const std::string kProfession = kNr + "/CodeSystem/profession";
inline const std::string kEpisodeType = kNr + "/CodeSystem/episode-type";
inline const std::string kDocumentType = kNr + "/CodeSystem/document-type";
inline const std::string kServesSaebo = kNr + "/StructureDefinition/serves-saebo";
inline const std::string kFte = kNr + "/StructureDefinition/fte";
inline const std::string kListCapacity = kNr + "/StructureDefinition/list-capacity";
inline const std::string kAgreedTime = kNr + "/StructureDefinition/agreed-time";
inline const std::string kEndReason = kNr + "/StructureDefinition/end-reason";
inline const std::string kIneraCategory = "https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs";
inline const std::string kContactRole = "urn:oid:1.2.752.129.5.1.69";
inline const std::string kHsaSystem = "urn:oid:1.2.752.29.4.19";
inline const std::string kPersonnummerSystem = "http://electronichealth.se/identifier/personnummer";
inline const std::string kRegionHsa = "SE2321000016-0001";  // the ehr client's organization
inline const std::string kKommunHsa = "SE2120000184-0001";  // the municipality client's organization

inline const std::map<std::string, std::string> kFhirJson = {{"Content-Type", "application/fhir+json"}};

// personnummer

// A civil date from days since 1970-01-01 (H. Hinnant's algorithm).
inline void CivilFromDays(long z, int& y, int& m, int& d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<long>(yoe) + era * 400 + (m <= 2));
}

// A valid 12-digit personnummer YYYYMMDDNNNC, different on every call in this process (born on
// consecutive days from 1931-03-01, birth number 7xx, so it never meets the other tests' literals).
inline std::string NextPersonnummer() {
  static std::atomic<int> counter{0};
  const int n = counter++;
  const long base = -14186;  // 1931-03-01
  int y, m, d;
  CivilFromDays(base + n, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%03d", y, m, d, 700 + (n * 7) % 100);
  std::string twelve(buf);
  return twelve + static_cast<char>('0' + nara::PersonIdCheckDigit(twelve.substr(2, 9)));
}

// reading responses

// details.coding[0].code of the first issue (the registry's detail code, e.g. list-full).
inline std::string DetailCode(const std::string& body) {
  return At(Parse(body), "/issue/0/details/coding/0/code");
}

// "Type/id" of each entry of a Bundle, in order.
inline std::vector<std::string> EntryRefs(const std::string& body) {
  std::vector<std::string> out;
  auto doc = Parse(body);
  if (!doc.IsObject() || !doc.HasMember("entry") || !doc["entry"].IsArray()) return out;
  for (const auto& entry : doc["entry"].GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("resource")) continue;
    const auto& r = entry["resource"];
    if (!r.IsObject() || !r.HasMember("resourceType") || !r.HasMember("id")) continue;
    out.push_back(std::string(r["resourceType"].GetString()) + "/" + r["id"].GetString());
  }
  return out;
}

inline bool Contains(const std::vector<std::string>& all, const std::string& one) {
  for (const auto& s : all) {
    if (s == one) return true;
  }
  return false;
}

// A Parameters parameter's value as a number (valueInteger or valueDecimal); NaN-free: -1 when absent.
inline double ParamNumber(const std::string& body, const std::string& name) {
  auto doc = Parse(body);
  if (!doc.IsObject() || !doc.HasMember("parameter") || !doc["parameter"].IsArray()) return -1;
  for (const auto& p : doc["parameter"].GetArray()) {
    if (!p.IsObject() || !p.HasMember("name") || name != p["name"].GetString()) continue;
    for (const char* key : {"valueInteger", "valueDecimal", "valueUnsignedInt"}) {
      if (p.HasMember(key) && p[key].IsNumber()) return p[key].GetDouble();
    }
  }
  return -1;
}

// resource JSON

inline std::string Ref(const std::string& reference) { return R"({"reference":")" + reference + R"("})"; }

inline std::string OrganizationJson(const std::string& id, const std::string& hsa_id, const std::string& type,
                                    const std::string& part_of = "", const std::vector<std::string>& serves = {}) {
  std::string json = R"({"resourceType":"Organization","id":")" + id + R"(",)";
  if (!serves.empty()) {
    json += R"("extension":[)";
    for (size_t i = 0; i < serves.size(); ++i) {
      json += (i ? "," : "") + std::string(R"({"url":")") + kServesSaebo + R"(","valueReference":)" +
              Ref("Organization/" + serves[i]) + "}";
    }
    json += "],";
  }
  json += R"("identifier":[{"system":")" + kHsaSystem + R"(","value":")" + hsa_id + R"("}],"active":true,)" +
          R"("type":[{"coding":[{"system":")" + kOrgType + R"(","code":")" + type + R"("}]}],"name":"Test )" + type +
          " " + id + R"(")";
  if (!part_of.empty()) json += R"(,"partOf":)" + Ref("Organization/" + part_of);
  return json + "}";
}

inline std::string PractitionerJson(const std::string& id, const std::string& family) {
  return R"({"resourceType":"Practitioner","id":")" + id + R"(","name":[{"family":")" + family +
         R"(","given":["Doktor"]}]})";
}

inline std::string RoleJson(const std::string& id, const std::string& practitioner, const std::string& unit,
                            const std::string& profession, int capacity = -1, double fte = -1, bool active = true) {
  std::string ext;
  if (fte >= 0) ext += R"({"url":")" + kFte + R"(","valueDecimal":)" + std::to_string(fte) + "}";
  if (capacity >= 0) {
    ext += std::string(ext.empty() ? "" : ",") + R"({"url":")" + kListCapacity + R"(","valueInteger":)" +
           std::to_string(capacity) + "}";
  }
  return R"({"resourceType":"PractitionerRole","id":")" + id + R"(",)" +
         (ext.empty() ? std::string() : R"("extension":[)" + ext + "],") + R"("active":)" +
         (active ? "true" : "false") + R"(,"practitioner":)" + Ref("Practitioner/" + practitioner) +
         R"(,"organization":)" + Ref("Organization/" + unit) + R"(,"code":[{"coding":[{"system":")" + kProfession +
         R"(","code":")" + profession + R"("}]}]})";
}

inline std::string PatientWithPnr(const std::string& id, const std::string& pnr, const std::string& family,
                                  const std::string& deceased = "") {
  std::string json = R"({"resourceType":"Patient","id":")" + id + R"(","identifier":[{"system":")" +
                     kPersonnummerSystem + R"(","value":")" + pnr + R"("}],"name":[{"family":")" + family +
                     R"(","given":["Test"]}],"gender":"male")";
  if (!deceased.empty()) json += R"(,"deceasedDateTime":")" + deceased + R"(")";
  return json + "}";
}

// EpisodeOfCare of type `kind` (listning | saebo); kind "" leaves type out.
inline std::string EpisodeJson(const std::string& id, const std::string& patient, const std::string& unit,
                               const std::string& start, const std::string& kind = "listning",
                               const std::string& status = "active") {
  std::string json = R"({"resourceType":"EpisodeOfCare","id":")" + id + R"(","status":")" + status + R"(",)";
  if (!kind.empty()) {
    json += R"("type":[{"coding":[{"system":")" + kEpisodeType + R"(","code":")" + kind + R"("}]}],)";
  }
  return json + R"("patient":)" + Ref("Patient/" + patient) + R"(,"managingOrganization":)" +
         Ref("Organization/" + unit) + R"(,"period":{"start":")" + start + R"("}})";
}

// CareTeam category fast-kontakt: participant[0] = `role` with typ av fast kontakt `code` (1–4).
// unit "" leaves managingOrganization out; status/end: e.g. "inactive" and "2024-12-01" to end it.
inline std::string CareTeamJson(const std::string& id, const std::string& patient, const std::string& role,
                                const std::string& unit, const std::string& start, const std::string& code = "2",
                                const std::string& status = "active", const std::string& end = "") {
  const std::string period = R"({"start":")" + start + R"(")" + (end.empty() ? "" : R"(,"end":")" + end + R"(")") + "}";
  return R"({"resourceType":"CareTeam","id":")" + id + R"(","status":")" + status +
         R"(","category":[{"coding":[{"system":")" +
         kIneraCategory + R"(","code":"fast-kontakt"}]}],"subject":)" + Ref("Patient/" + patient) +
         R"(,"participant":[{"role":[{"coding":[{"system":")" + kContactRole + R"(","code":")" + code +
         R"("}]}],"member":)" + Ref("PractitionerRole/" + role) + R"(}],)" +
         (unit.empty() ? std::string() : R"("managingOrganization":[)" + Ref("Organization/" + unit) + "],") +
         R"("period":)" + period + "}";
}

// DocumentReference type patientkontrakt held in the journal of `custodian`.
inline std::string ContractJson(const std::string& id, const std::string& patient, const std::string& custodian,
                                const std::string& careteam, const std::string& status = "current") {
  return R"({"resourceType":"DocumentReference","id":")" + id + R"(","status":")" + status + R"(",)" +
         R"("extension":[{"url":")" + kAgreedTime + R"(","valueDateTime":"2024-05-02T10:00:00+02:00"}],)" +
         R"("type":{"coding":[{"system":")" + kDocumentType + R"(","code":"patientkontrakt"}]},)" +
         R"("masterIdentifier":{"system":"urn:oid:1.2.752.129.2.1.2.1","value":"doc-)" + id + R"("},"subject":)" +
         Ref("Patient/" + patient) + R"(,"custodian":)" + Ref("Organization/" + custodian) +
         R"(,"content":[{"attachment":{"url":"https://journal.example.se/doc/)" + id + R"("}}],)" +
         R"("context":{"related":[)" + Ref("CareTeam/" + careteam) + "]}}";
}

// the world builder

// A unique HSA-id local part for a unit under `org_hsa` ("SE2321000016-0001" → "SE2321000016-RT12").
inline std::string UnitHsa(const std::string& org_hsa) {
  static std::atomic<int> counter{0};
  return org_hsa.substr(0, org_hsa.find('-')) + "-RT" + std::to_string(++counter);
}

inline const std::string kMunicipalityExt = kNr + "/StructureDefinition/municipality";
inline const std::string kKommunSystem = kNr + "/CodeSystem/kommun";

// A kommun Organization with its kommunkod, through which the server finds a municipality caller's kommun.
inline std::string KommunJson(const std::string& id, const std::string& hsa, const std::string& kommun,
                              const std::string& part_of = "") {
  std::string json = OrganizationJson(id, hsa, "kommun", part_of);
  const std::string ext = R"("extension":[{"url":")" + kMunicipalityExt + R"(","valueCoding":{"system":")" +
                          kKommunSystem + R"(","code":")" + kommun + R"("}}],)";
  return json.insert(json.find('{') + 1, ext);
}

// The units the shared server's ehr and municipality clients act for, written once per process (an
// HSA-id names one unit): Region Stockholm (SE2321000016-0001) and Solna kommun (SE2120000184-0001,
// kommunkod 0184).
inline void PutAsSharedAdmin(const std::string& type, const std::string& id, const std::string& json);  // below World
inline const std::string& SharedRegion() {
  static const std::string id = [] {
    PutAsSharedAdmin("Organization", "e2e-region-stockholm",
                     OrganizationJson("e2e-region-stockholm", kRegionHsa, "region"));
    return std::string("e2e-region-stockholm");
  }();
  return id;
}
inline const std::string& SharedKommun() {
  static const std::string id = [] {
    PutAsSharedAdmin("Organization", "e2e-solna", KommunJson("e2e-solna", kKommunHsa, "0184"));
    return std::string("e2e-solna");
  }();
  return id;
}

class World {
 public:
  explicit World(std::string prefix)
      : prefix_(std::move(prefix)),
        admin_(Server::Shared().Client("admin")),
        ehr_(Server::Shared().Client("ehr")),
        municipality_(Server::Shared().Client("municipality")) {}

  testing::TlsClient& ehr() { return *ehr_; }
  testing::TlsClient& admin() { return *admin_; }
  testing::TlsClient& municipality() { return *municipality_; }
  std::string Id(const std::string& name) const { return prefix_ + "-" + name; }

  // This world's region (type region) every vårdcentral of the world is part of. It has an HSA-id of
  // its own and lies below the one region the ehr client acts for (SharedRegion(), HSA-id
  // SE2321000016-0001), as a sjukvårdsområde does: an HSA-id names one unit, so the worlds cannot
  // each hold the client's.
  std::string Region() {
    if (region_.empty()) {
      region_ = Id("region");
      Put(*admin_, "Organization", region_, OrganizationJson(region_, UnitHsa(kRegionHsa), "region", SharedRegion()));
    }
    return region_;
  }
  // This world's kommun (type kommun) every SÄBO of the world is part of, below the Solna kommun the
  // municipality client acts for (SharedKommun(), HSA-id SE2120000184-0001), as a stadsdelsförvaltning
  // is: the world's groups (Group/saebo-{kommun}) stay its own.
  std::string Kommun() {
    if (kommun_.empty()) {
      kommun_ = Id("kommun");
      Put(*admin_, "Organization", kommun_, OrganizationJson(kommun_, UnitHsa(kKommunHsa), "kommun", SharedKommun()));
    }
    return kommun_;
  }
  std::string Vardcentral(const std::string& name, const std::vector<std::string>& serves_saebo = {}) {
    const std::string id = Id(name);
    Put(*admin_, "Organization", id,
        OrganizationJson(id, UnitHsa(kRegionHsa), "vardcentral", Region(), serves_saebo));
    return id;
  }
  std::string Saebo(const std::string& name) {
    const std::string id = Id(name);
    Put(*admin_, "Organization", id, OrganizationJson(id, UnitHsa(kKommunHsa), "saebo", Kommun()));
    return id;
  }
  // A Practitioner and a PractitionerRole at `unit`; returns the role id.
  std::string Staff(const std::string& name, const std::string& unit, const std::string& profession = "lakare",
                    int capacity = -1, double fte = -1) {
    const std::string practitioner = Id(name + "-pr");
    const std::string role = Id(name);
    Put(*admin_, "Practitioner", practitioner, PractitionerJson(practitioner, "Läkarsson " + name));
    Put(*admin_, "PractitionerRole", role, RoleJson(role, practitioner, unit, profession, capacity, fte));
    return role;
  }
  // A Patient with a fresh valid personnummer; returns its id.
  std::string Patient(const std::string& name) {
    const std::string id = Id(name);
    const std::string pnr = NextPersonnummer();
    pnr_[id] = pnr;
    Put(*admin_, "Patient", id, PatientWithPnr(id, pnr, "Registersson"));
    return id;
  }
  const std::string& Pnr(const std::string& patient_id) { return pnr_[patient_id]; }

  // Registry writes, returned for the test to assert on.
  testing::HttpResult List(const std::string& id, const std::string& patient, const std::string& unit,
                           const std::string& start) {
    return ehr_->Request("PUT", "/fhir/EpisodeOfCare/" + id, EpisodeJson(id, patient, unit, start), kFhirJson);
  }
  testing::HttpResult MoveIntoSaebo(const std::string& id, const std::string& patient, const std::string& saebo,
                                    const std::string& start) {
    return municipality_->Request("PUT", "/fhir/EpisodeOfCare/" + id,
                                  EpisodeJson(id, patient, saebo, start, "saebo"), kFhirJson);
  }
  testing::HttpResult Contact(const std::string& id, const std::string& patient, const std::string& role,
                              const std::string& unit, const std::string& start, const std::string& code = "2") {
    return ehr_->Request("PUT", "/fhir/CareTeam/" + id, CareTeamJson(id, patient, role, unit, start, code),
                         kFhirJson);
  }
  testing::HttpResult Get(const std::string& path) { return ehr_->Request("GET", "/fhir/" + path); }

  // Setup: the write must succeed (201 or 200) or the test stops here.
  static void Put(testing::TlsClient& client, const std::string& type, const std::string& id,
                  const std::string& json) {
    auto result = client.Request("PUT", "/fhir/" + type + "/" + id, json, kFhirJson);
    if (result.status != 201 && result.status != 200) {
      throw std::runtime_error("setup PUT " + type + "/" + id + " → " + std::to_string(result.status) + " " +
                               result.error + " " + result.body.substr(0, 600));
    }
  }
  // Setup: a registry write that must be created.
  static void Require(const testing::HttpResult& result, const std::string& what) {
    if (result.status != 201 && result.status != 200) {
      throw std::runtime_error("setup " + what + " → " + std::to_string(result.status) + " " + result.error + " " +
                               result.body.substr(0, 600));
    }
  }

 private:
  std::string prefix_;
  std::unique_ptr<testing::TlsClient> admin_, ehr_, municipality_;
  std::string region_, kommun_;
  std::map<std::string, std::string> pnr_;
};

// Runs `work(i, client)` on `n` threads released together (the concurrency tests of rules 2, 3 and the
// waiting list); each thread opens its own connection as `client_name` first.
template <typename Work>
void RunTogether(int n, const std::string& client_name, Work work) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto client = Server::Shared().Client(client_name);
      client->Request("GET", "/fhir/metadata");  // handshake before the start line
      ready++;
      while (!go.load()) std::this_thread::yield();
      work(i, *client);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go = true;
  for (auto& thread : threads) thread.join();
}

inline void PutAsSharedAdmin(const std::string& type, const std::string& id, const std::string& json) {
  World::Put(*Server::Shared().Client("admin"), type, id, json);
}

}  // namespace nara::e2e::reg
