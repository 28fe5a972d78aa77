// PgRegistry: RegistryTransaction over the typed registry tables (schema/0003_registry.sql), inside
// the pqxx transaction of the surrounding PgTransaction. Internal to the adapter (includes pqxx).
#pragma once

#include <pqxx/pqxx>

#include "registry/registry_store.h"

namespace nara::pg {

class PgRegistry final : public RegistryTransaction {
 public:
  explicit PgRegistry(pqxx::transaction_base& tx) : tx_(tx) {}

  std::optional<PatientFacts> LockPatient(const std::string& patient_id) override;
  std::optional<RoleFacts> LockRole(const std::string& role_id) override;
  std::optional<UnitFacts> Unit(const std::string& unit_id) override;
  std::optional<RoleFacts> Role(const std::string& role_id) override;
  std::vector<EpisodeFacts> Listings(const std::string& patient_id) override;
  std::vector<EpisodeFacts> Residencies(const std::string& patient_id) override;
  std::vector<ContactFacts> Contacts(const std::string& patient_id) override;
  std::optional<EpisodeFacts> Listing(const std::string& episode_id) override;
  std::optional<EpisodeFacts> Residency(const std::string& episode_id) override;
  std::optional<ContactFacts> Contact(const std::string& careteam_id) override;
  int CountDoctorContacts(const std::string& role_id, Date on) override;
  int CountDoctorContactsOn(const std::string& role_id, Date on) override;
  std::vector<std::pair<RoleFacts, int>> DoctorLoadsAtUnit(const std::string& unit_id, Date on) override;
  std::vector<std::pair<RoleFacts, int>> AllDoctorLoads(Date on) override;
  long CountListingsAtUnit(const std::string& unit_id, Date on) override;
  void PutPatient(const PatientFacts& facts) override;
  void PutUnit(const UnitFacts& facts) override;
  void PutRole(const RoleFacts& facts) override;
  void PutListing(const EpisodeFacts& facts) override;
  void PutResidency(const EpisodeFacts& facts) override;
  void PutContact(const ContactFacts& facts) override;
  void Remove(const std::string& fhir_type, const std::string& id) override;

 private:
  pqxx::transaction_base& tx_;
};

}  // namespace nara::pg
