// Caller: who is calling, as established by the client certificate (HSA-id in subject
// serialNumber) and, once the access policy is applied, what role and units it acts for.
#pragma once

#include <string>
#include <vector>

namespace nara {

struct Caller {
  std::string hsa_id;       // from the certificate subject serialNumber
  std::string common_name;  // certificate subject CN, for logs
  std::string role;         // ehr | municipality | statistics | citizen-portal | admin ("" before policy)
  std::string name;         // display name from access.json
  std::vector<std::string> organizations;  // HSA-ids of units the caller acts for
};

}  // namespace nara
