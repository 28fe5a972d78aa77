// The check the error-text tables rely on (tests/support/swedish_first.h): it must tell the form
// docs/api.md promises from the ways texts went wrong before (English only, Swedish only, the same
// text twice, English words after the parenthesis).
#include <gtest/gtest.h>

#include "tests/support/swedish_first.h"

namespace nara::testing {
namespace {

TEST(SwedishFirstForm, AcceptsTheFormsTheDocsName) {
  EXPECT_TRUE(IsSwedishFirst("tom modifierare efter 'family' (Empty modifier after 'family')"));
  EXPECT_TRUE(
      IsSwedishFirst("_sort tar en av _id (med - för fallande) (_sort takes one of _id (with - for descending))"));
  EXPECT_TRUE(IsSwedishFirst("sökningen har bara okända kriterier (the search has only unknown criteria): a x:y"));
}

TEST(SwedishFirstForm, RefusesTheFormsThatWentWrong) {
  EXPECT_FALSE(IsSwedishFirst("Unknown search parameter 'x' for Patient"));
  EXPECT_FALSE(IsSwedishFirst("okänd sökparameter 'x'"));
  EXPECT_FALSE(IsSwedishFirst("(only English)"));
  EXPECT_FALSE(IsSwedishFirst("the same (the same)"));
  EXPECT_FALSE(IsSwedishFirst("no HSA-id (no HSA-id)"));
  EXPECT_FALSE(IsSwedishFirst("ogiltig JSON (malformed JSON) at offset 16: Invalid value."));
  EXPECT_FALSE(IsSwedishFirst("the same (the same): a b"));
  EXPECT_FALSE(IsSwedishFirst(""));
}

}  // namespace
}  // namespace nara::testing
