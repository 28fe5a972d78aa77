// The form every OperationOutcome text a client receives has (docs/api.md, "Errors"): Swedish first,
// English after in parentheses, "<svensk text> (<English text>)", optionally followed by a list of
// names after a colon that both parts refer to ("…(…): shoesize x:y"). Used by the tables of error
// texts in the unit tests: the text (before such a list) must end in a parenthesis that closes the
// English part, and the two parts must differ (a text written twice in English, or only in Swedish,
// fails).
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace nara::testing {

inline ::testing::AssertionResult IsSwedishFirst(const std::string& whole) {
  std::string text = whole;
  // A trailing list of names, "): a b", holds no parenthesis of its own.
  if (const size_t list = whole.rfind("): ");
      list != std::string::npos && whole.find_first_of("()", list + 1) == std::string::npos) {
    text = whole.substr(0, list + 1);
  }
  if (text.empty() || text.back() != ')') {
    return ::testing::AssertionFailure() << "does not end with the English part in parentheses: " << text;
  }
  // The '(' that the last ')' closes: the English part may hold parentheses of its own.
  int depth = 0;
  size_t open = std::string::npos;
  for (size_t i = text.size(); i-- > 0;) {
    if (text[i] == ')') ++depth;
    if (text[i] == '(' && --depth == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string::npos || open < 2 || text[open - 1] != ' ') {
    return ::testing::AssertionFailure() << "no \" (\" before the English part: " << text;
  }
  const std::string swedish = text.substr(0, open - 1);
  const std::string english = text.substr(open + 1, text.size() - open - 2);
  if (swedish.empty() || english.empty()) {
    return ::testing::AssertionFailure() << "an empty Swedish or English part: " << text;
  }
  if (swedish == english) return ::testing::AssertionFailure() << "the same text twice: " << text;
  if (swedish.find(english) != std::string::npos) {
    return ::testing::AssertionFailure() << "the English part also stands first: " << text;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace nara::testing
