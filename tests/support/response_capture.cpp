#include "tests/support/response_capture.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace nara::testing {

void CaptureResponse(const std::string& content_type, const std::string& body) {
  static const char* const dir = std::getenv("NARA_TEST_CAPTURE_DIR");
  if (dir == nullptr || *dir == '\0' || body.empty()) return;
  const bool ndjson = content_type.find("ndjson") != std::string::npos;
  if (!ndjson && content_type.find("json") == std::string::npos) return;
  std::ostringstream name;
  name << dir << '/' << std::hex << std::hash<std::string>{}(body) << (ndjson ? ".ndjson" : ".json");
  // Written aside and renamed, so concurrent test threads never leave a half-written file behind.
  std::ostringstream temp;
  temp << name.str() << ".tmp." << getpid() << '.' << std::this_thread::get_id();
  {
    std::ofstream out(temp.str(), std::ios::binary);
    out << body;
    if (!out) return;
  }
  std::rename(temp.str().c_str(), name.str().c_str());
}

}  // namespace nara::testing
