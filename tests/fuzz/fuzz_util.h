// Shared by the libFuzzer targets: a property that must hold aborts, so libFuzzer records the input
// as a crash just as it does for a sanitizer finding.
#pragma once

#include <cstdio>
#include <cstdlib>

#define NARA_FUZZ_CHECK(condition)                                                  \
  do {                                                                              \
    if (!(condition)) {                                                             \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
