#include "registry/export_store.h"

namespace nara {

const std::vector<std::string>& ExportableTypes() {
  // Directory first, then the patients and what is registered about them: a reader loading the files
  // in manifest order meets every reference target before the reference.
  // Encounter last: it names the patient, the unit and the PractitionerRole (docs/api.md section 11).
  static const std::vector<std::string> kTypes = {"Organization", "Practitioner", "PractitionerRole", "Patient",
                                                  "EpisodeOfCare", "CareTeam", "DocumentReference", "Encounter"};
  return kTypes;
}

const std::vector<std::string>& PatientCompartmentTypes() {
  static const std::vector<std::string> kTypes = {"Patient", "EpisodeOfCare", "CareTeam", "DocumentReference",
                                                  "Encounter"};
  return kTypes;
}

std::string_view ExportLevelName(ExportLevel level) {
  switch (level) {
    case ExportLevel::system: return "system";
    case ExportLevel::patient: return "patient";
    case ExportLevel::group: return "group";
  }
  return "system";
}

}  // namespace nara
