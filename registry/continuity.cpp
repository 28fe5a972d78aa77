#include "registry/continuity.h"

#include <algorithm>
#include <map>

namespace nara {

const char* VisitClassName(VisitClass c) {
  switch (c) {
    case VisitClass::AMB: return "AMB";
    case VisitClass::VR: return "VR";
    case VisitClass::HH: return "HH";
  }
  return "AMB";
}

std::optional<VisitClass> VisitClassFromName(std::string_view name) {
  for (VisitClass c : {VisitClass::AMB, VisitClass::VR, VisitClass::HH}) {
    if (name == VisitClassName(c)) return c;
  }
  return std::nullopt;
}

namespace {
std::map<std::string, long> CountByProvider(const std::vector<std::string>& providers) {
  std::map<std::string, long> n;
  for (const auto& p : providers) ++n[p];
  return n;
}
}  // namespace

std::optional<double> BiceBoxermanCoc(const std::vector<std::string>& providers) {
  const long total = static_cast<long>(providers.size());
  if (total < 2) return std::nullopt;
  long squares = 0;
  for (const auto& [provider, n] : CountByProvider(providers)) squares += n * n;
  return static_cast<double>(squares - total) / static_cast<double>(total * (total - 1));
}

std::optional<double> UsualProviderOfCare(const std::vector<std::string>& providers) {
  if (providers.empty()) return std::nullopt;
  long most = 0;
  for (const auto& [provider, n] : CountByProvider(providers)) most = std::max(most, n);
  return static_cast<double>(most) / static_cast<double>(providers.size());
}

}  // namespace nara
