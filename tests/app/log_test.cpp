// The log never carries a personnummer, whatever a caller passes (docs/api.md section 7).
#include "app/log.h"

#include <gtest/gtest.h>

namespace nara::app {
namespace {

TEST(MaskPersonIds, MasksTwelveTenAndSeparatedForms) {
  EXPECT_EQ(MaskPersonIds("pnr 191212121212 found"), "pnr <personnummer> found");
  EXPECT_EQ(MaskPersonIds("Key (value)=(7106254787)"), "Key (value)=(<personnummer>)");
  EXPECT_EQ(MaskPersonIds("19121212-1212 and 121212+1212"), "<personnummer> and <personnummer>");
}

TEST(MaskPersonIds, KeepsHsaIdsTimestampsAndCounts) {
  EXPECT_EQ(MaskPersonIds("caller SE2321000016-E001"), "caller SE2321000016-E001");
  EXPECT_EQ(MaskPersonIds("unit SE162321000024-0001"), "unit SE162321000024-0001");
  EXPECT_EQ(MaskPersonIds("2026-11-23T10:00:00.123Z"), "2026-11-23T10:00:00.123Z");
  EXPECT_EQ(MaskPersonIds("written 541 in 17 ms, request 26256e-00000002"), "written 541 in 17 ms, request 26256e-00000002");
}

}  // namespace
}  // namespace nara::app
