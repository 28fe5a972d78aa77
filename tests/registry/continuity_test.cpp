// The continuity indices of one patient (registry/continuity.h, docs/api.md section 11): the worked
// example of the contract, and the edges where an index is undefined.
#include "registry/continuity.h"

#include <gtest/gtest.h>

namespace nara {
namespace {

TEST(Continuity, TheWorkedExampleOfTheContract) {
  const std::vector<std::string> a = {"D1", "D1", "D2", "D1", "D3", "D1"};
  const std::vector<std::string> c = {"D1", "D2", "D3"};
  EXPECT_NEAR(*BiceBoxermanCoc(a), 0.4, 1e-12);
  EXPECT_NEAR(*UsualProviderOfCare(a), 4.0 / 6.0, 1e-12);
  EXPECT_NEAR(*BiceBoxermanCoc(c), 0.0, 1e-12);
  EXPECT_NEAR(*UsualProviderOfCare(c), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR((*BiceBoxermanCoc(a) + *BiceBoxermanCoc(c)) / 2, 0.2, 1e-12);
}

TEST(Continuity, OneProviderIsFullContinuityAndTooFewVisitsAreUndefined) {
  EXPECT_DOUBLE_EQ(*BiceBoxermanCoc({"D1", "D1"}), 1.0);
  EXPECT_DOUBLE_EQ(*UsualProviderOfCare({"D1"}), 1.0);
  EXPECT_FALSE(BiceBoxermanCoc({"D1"}));
  EXPECT_FALSE(BiceBoxermanCoc({}));
  EXPECT_FALSE(UsualProviderOfCare({}));
}

TEST(Continuity, VisitClassesByCode) {
  for (VisitClass c : {VisitClass::AMB, VisitClass::VR, VisitClass::HH}) {
    EXPECT_EQ(VisitClassFromName(VisitClassName(c)), c);
  }
  EXPECT_FALSE(VisitClassFromName("IMP"));
  EXPECT_FALSE(VisitClassFromName("amb"));
}

}  // namespace
}  // namespace nara
