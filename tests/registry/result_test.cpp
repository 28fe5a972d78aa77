// NARA_RETURN_IF_ERROR: the first error is returned unchanged and later steps do not run.
#include "registry/result.h"

#include <gtest/gtest.h>

namespace nara {
namespace {

Status Step(bool ok, int* calls, const char* text) {
  ++*calls;
  if (!ok) return Error::Conflict(text);
  return Ok();
}

Result<int> TwoSteps(bool first_ok, bool second_ok, int* calls) {
  NARA_RETURN_IF_ERROR(Step(first_ok, calls, "första"));
  NARA_RETURN_IF_ERROR(Step(second_ok, calls, "andra"));
  return 42;
}

TEST(ReturnIfError, GoesOnWhenEveryStepSucceeds) {
  int calls = 0;
  Result<int> r = TwoSteps(true, true, &calls);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 2);
}

TEST(ReturnIfError, ReturnsTheFirstErrorAndStops) {
  int calls = 0;
  Result<int> r = TwoSteps(false, true, &calls);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(r.error().text, "första");
  EXPECT_EQ(calls, 1);
}

TEST(ReturnIfError, ReturnsALaterError) {
  int calls = 0;
  Result<int> r = TwoSteps(true, false, &calls);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().text, "andra");
  EXPECT_EQ(calls, 2);
}

TEST(ReturnIfError, WorksOnAResultWithAValue) {
  auto f = [](Result<std::string> in) -> Status {
    NARA_RETURN_IF_ERROR(in);
    return Ok();
  };
  EXPECT_TRUE(f(std::string("x")).ok());
  EXPECT_EQ(f(Error::NotFound("saknas")).error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace nara
