// Small RapidJSON helpers shared by the fhir/ sources. Parsing is iterative (no recursion, so a
// deeply nested hostile body cannot overflow the stack) and nesting depth is bounded afterwards.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "registry/result.h"

namespace nara::fhir {

inline constexpr int kMaxJsonDepth = 64;

// Parses a JSON object; 400-class errors for malformed text, a non-object, or excessive nesting.
Status ParseJsonObject(std::string_view text, rapidjson::Document& doc);

std::string ToJson(const rapidjson::Value& value);

// At most max_bytes of client text for an error message: cut on a UTF-8 character boundary, with
// control characters and invalid bytes replaced by '?', so an OperationOutcome stays valid JSON text.
std::string SafeExcerpt(std::string_view text, size_t max_bytes = 64);

// The member `name` of obj, or nullptr when absent or obj is not an object.
const rapidjson::Value* Member(const rapidjson::Value& obj, const char* name);

// The string member `name` of obj, or "" when absent or not a string.
std::string StringMember(const rapidjson::Value& obj, const char* name);

}  // namespace nara::fhir
