#include "fhir/search/search_params.h"

#include <Poco/UTF8String.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <string_view>

#include "fhir/search/date_param.h"
#include "registry/date.h"
#include "registry/identifier_system.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

constexpr size_t kMaxNameEcho = 100;
constexpr size_t kMaxTypeLength = 64;

// Length of the valid UTF-8 sequence at `pos`, or 0 (overlong forms, surrogates and code points
// above U+10FFFF are invalid: PostgreSQL would refuse them and turn a 400 into a 500).
size_t Utf8SequenceLength(std::string_view s, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(pos);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned int cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (pos + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  static constexpr unsigned int kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Valid UTF-8 without NUL (PostgreSQL text holds neither invalid bytes nor NUL).
bool IsStorableText(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    if (s[pos] == '\0') return false;
    const size_t n = Utf8SequenceLength(s, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

// A parameter name fit for an error text or an OperationOutcome: at most ~100 bytes of valid,
// printable UTF-8; anything else becomes '?'.
std::string CleanName(std::string_view s) {
  std::string out;
  for (size_t pos = 0; pos < s.size();) {
    if (out.size() >= kMaxNameEcho) return out + "...";
    const size_t n = Utf8SequenceLength(s, pos);
    const unsigned char c = static_cast<unsigned char>(s[pos]);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      out += '?';
      pos += 1;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

std::string Quoted(std::string_view s) { return "'" + CleanName(s) + "'"; }

const char* TypeName(ParamType type) {
  switch (type) {
    case ParamType::token: return "token";
    case ParamType::string: return "string";
    case ParamType::reference: return "reference";
    case ParamType::date: return "date";
  }
  return "?";
}

bool IsEscapable(char c) { return c == ',' || c == '|' || c == '$' || c == '\\'; }

// Splits on `sep` where it is not escaped by a backslash; the pieces keep their escapes.
std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && IsEscapable(s[i + 1])) {
      ++i;
    } else if (s[i] == sep) {
      parts.push_back(s.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  parts.push_back(s.substr(begin));
  return parts;
}

// FHIR search escaping: \, \| \$ \\ stand for the character; any other backslash is itself.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && IsEscapable(s[i + 1])) ++i;
    out += s[i];
  }
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The forms Swedish systems print a personnummer or samordningsnummer in, as the 12 digits the
// registry stores (docs/api.md section 2): YYYYMMDD-NNNN, and under a personnummer or
// samordningsnummer system also YYMMDD-NNNN, YYMMDDNNNN and YYMMDD+NNNN (Skatteverket: '+' once
// the person has turned 100). The century of a 10-digit form is the latest that does not put the
// birth year after this year, one earlier with '+'. Anything else is returned unchanged (it then
// matches nothing, or what the client meant in another system).
std::string NormalisedPersonId(std::string_view value, bool person_system) {
  if (value.size() == 13 && value[8] == '-' && AllDigits(value.substr(0, 8)) && AllDigits(value.substr(9))) {
    return std::string(value.substr(0, 8)) + std::string(value.substr(9));
  }
  if (!person_system) return std::string(value);
  std::string digits;
  bool plus = false;
  if (value.size() == 11 && (value[6] == '-' || value[6] == '+') && AllDigits(value.substr(0, 6)) &&
      AllDigits(value.substr(7))) {
    digits = std::string(value.substr(0, 6)) + std::string(value.substr(7));
    plus = value[6] == '+';
  } else if (value.size() == 10 && AllDigits(value)) {
    digits = std::string(value);
  } else {
    return std::string(value);
  }
  const int this_year = Date::Today().year();
  int year = this_year / 100 * 100 + (digits[0] - '0') * 10 + (digits[1] - '0');
  if (year > this_year) year -= 100;
  if (plus) year -= 100;
  return std::to_string(year).substr(0, 2) + digits;
}

bool IsResourceTypeName(std::string_view s) {
  if (s.empty() || s.size() > kMaxTypeLength || s[0] < 'A' || s[0] > 'Z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

// A non-negative decimal integer, saturated at INT_MAX; nullopt when it is not one.
std::optional<int> ParseNonNegative(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min<long long>(value * 10 + (c - '0'), static_cast<long long>(INT_MAX) + 1);
  }
  return static_cast<int>(std::min<long long>(value, INT_MAX));
}

bool IsResultParam(std::string_view name) {
  return name == "_count" || name == "_offset" || name == "_total" || name == "_summary" || name == "_sort" ||
         name == "_format" || name == "_pretty" || name == "_cursor" || name == "_elements" ||
         name == "_include" || name == "_revinclude";
}

// A FHIR element name (the top level of a resource, for _elements).
bool IsElementName(std::string_view s) {
  if (s.empty() || s.size() > kMaxTypeLength || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

class SearchParser {
 public:
  SearchParser(const ResourceTypeDef& type, bool strict, int max_count)
      : type_(type), strict_(strict), max_count_(max_count) {
    out_.query.type = type.type;
    // A doctor's waiting list reads oldest first (docs/api.md section 9) unless _sort says otherwise.
    if (type.type == "Task") out_.query.sort = SearchSort{SortKey::period_start, false, "authored-on"};
  }

  Status Add(const std::string& full_name, const std::string& value) {
    if (full_name.empty() && value.empty()) return Ok();  // "a=1&&b=2"
    if (full_name.rfind("_include:", 0) == 0 || full_name.rfind("_revinclude:", 0) == 0) {
      // :iterate (and anything else) would need a second round of includes.
      return Unsupported(full_name,
                         "_include och _revinclude stöds bara utan modifierare "
                         "(Only _include and _revinclude without a modifier are supported)");
    }
    if (const size_t dot = full_name.find('.'); dot != std::string::npos) {
      return AddChain(full_name, full_name.substr(0, dot), full_name.substr(dot + 1), value);
    }
    const size_t colon = full_name.find(':');
    const std::string name = full_name.substr(0, colon);
    const std::optional<std::string> modifier =
        colon == std::string::npos ? std::nullopt : std::optional<std::string>(full_name.substr(colon + 1));

    if (IsResultParam(name)) {
      if (modifier) return ParamTakesNoModifier(Quoted(name));
      if (value.empty()) return Ok();
      return AddResultParam(name, value);
    }
    const SearchParamDef* def = type_.FindParam(name);
    if (def == nullptr) {
      const std::string text = name.size() > 0 && name[0] == '_'
                                   ? "sökparametern " + Quoted(full_name) + " stöds inte (The search parameter " +
                                         Quoted(full_name) + " is not supported)"
                                   : UnknownParam(Quoted(full_name), type_.type);
      return UnsupportedFilter(full_name, text);
    }
    if (modifier && modifier->empty()) {
      return EmptyModifier(name);
    }
    auto criterion = BuildCriterion(*def, full_name, modifier.value_or(""), value);
    if (!criterion) return criterion.error();
    if (!*criterion) return Ok();
    const size_t values = std::max<size_t>(1, (*criterion)->any_of.size());
    return Apply(std::move(**criterion), full_name, value, values);
  }

  Result<ParsedSearch> Finish() {
    // Lenient handling drops what it does not know, but a Patient search left without any criterion
    // by it would release (and audit) the whole registry for a question about a few: refused.
    if (type_.type == "Patient" && !ignored_filters_.empty() && out_.query.criteria.empty()) {
      std::string names;
      for (const auto& name : ignored_filters_) names += " " + name;
      return Error::Invalid("not-supported",
                            "sökningen av Patient har bara kriterier som inte stöds och skulle ge alla patienter "
                            "(the Patient search has only unsupported criteria and would return every patient):" +
                                names);
    }
    if (out_.summary_count) {
      out_.query.want_total = true;
      out_.query.count = 0;
    }
    const std::pair<std::string, std::string> count{"_count", std::to_string(out_.query.count)};
    if (count_position_) {
      out_.canonical[*count_position_] = count;
    } else {
      out_.canonical.push_back(count);
    }
    return std::move(out_);
  }

 private:
  // An unsupported criterion (not a result parameter such as _sort): one that would have restricted
  // the search.
  Status UnsupportedFilter(const std::string& full_name, const std::string& text) {
    std::string clean = CleanName(full_name);
    if (!strict_ && std::find(ignored_filters_.begin(), ignored_filters_.end(), clean) == ignored_filters_.end()) {
      ignored_filters_.push_back(std::move(clean));
    }
    return Unsupported(full_name, text);
  }

  Status Unsupported(const std::string& full_name, const std::string& text) {
    if (strict_) return Error::Invalid("not-supported", text);
    std::string clean = CleanName(full_name);
    if (std::find(out_.ignored.begin(), out_.ignored.end(), clean) == out_.ignored.end()) {
      out_.ignored.push_back(std::move(clean));
    }
    return Ok();
  }

  static std::string UnknownParam(const std::string& quoted, const std::string& type) {
    return "okänd sökparameter " + quoted + " för " + type + " (Unknown search parameter " + quoted + " for " + type +
           ")";
  }

  static Error EmptyModifier(const std::string& name) {
    return Error::Invalid("invalid",
                          "tom modifierare efter " + Quoted(name) + " (Empty modifier after " + Quoted(name) + ")");
  }

  // A reference parameter with one target type, given another as its :Type modifier.
  static Error WrongTargetType(const SearchParamDef& def, const std::string& type) {
    return Error::Invalid("invalid", "sökparametern " + def.name + " refererar till " + def.target_type + ", inte " +
                                         type + " (The search parameter " + def.name + " refers to " + def.target_type +
                                         ", not " + type + ")");
  }

  Status AddResultParam(const std::string& name, const std::string& value) {
    if (name == "_format" || name == "_pretty") return Ok();  // the router renders
    if (name == "_include" || name == "_revinclude") return AddInclude(name, value);
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) {
      return ParamGivenTwice(name);
    }
    seen_.push_back(name);
    if (name == "_count" || name == "_offset") {
      const std::optional<int> number = ParseNonNegative(value);
      if (!number) return ParamNotWholeNumber(name);
      if (name == "_offset") {
        if (*number == INT_MAX) return Error::Invalid("invalid", "_offset är för stort (the parameter _offset is too large)");
        out_.query.offset = *number;
        return Ok();
      }
      out_.query.count = std::min(*number, max_count_);
      count_position_ = out_.canonical.size();
      out_.canonical.emplace_back(name, value);  // the effective count is filled in by Finish
      return Ok();
    }
    if (name == "_total") {
      if (value == "none") {
        out_.query.want_total = false;
      } else if (value == "accurate" || value == "estimate") {
        out_.query.want_total = true;
      } else {
        return Error::Invalid("invalid", "_total måste vara none, estimate eller accurate (_total must be none, estimate or accurate)");
      }
      out_.canonical.emplace_back(name, value);
      return Ok();
    }
    if (name == "_summary") {
      if (value == "count") {
        out_.summary_count = true;
        out_.canonical.emplace_back(name, value);
        return Ok();
      }
      if (value == "false") return Ok();
      return Unsupported(name,
                         "bara _summary=count och _summary=false stöds "
                         "(Only _summary=count and _summary=false are supported)");
    }
    if (name == "_cursor") {
      out_.cursor = value;  // checked against the search by the handler (fhir/search/search_cursor.h)
      return Ok();
    }
    if (name == "_elements") {
      for (std::string_view element : SplitUnescaped(value, ',')) {
        if (element.empty()) continue;
        if (!IsElementName(element)) {
          return Error::Invalid("invalid", "_elements tar namn på element på översta nivån, t.ex. _elements=identifier,name (_elements takes top-level "
                                         "element names)");
        }
        out_.elements.emplace_back(element);
      }
      if (out_.elements.empty()) return Ok();
      out_.canonical.emplace_back(name, value);
      return Ok();
    }
    // _sort: one key, with the id after it (registry/search_query.h).
    const bool descending = value[0] == '-';
    const std::string key = descending ? value.substr(1) : value;
    SearchSort sort;
    sort.descending = descending;
    // A date parameter of the type sorts by the start of its period: `date` (episodes, contacts,
    // documents), Task's `authored-on` (the place in line), Patient's `birthdate` (a list by age).
    // A string parameter sorts by its first value in Swedish order: a list by `family`, units by `name`.
    const SearchParamDef* by = type_.FindParam(key);
    if (key == "_id") {
      sort.key = SortKey::id;
    } else if (key == "_lastUpdated") {
      sort.key = SortKey::last_updated;
    } else if (by != nullptr && (by->kind == SearchKind::period || by->kind == SearchKind::text)) {
      sort.key = by->kind == SearchKind::period ? SortKey::period_start : SortKey::text;
      sort.param = by->name;
    } else {
      std::string keys = "_id, _lastUpdated";
      for (const auto& param : type_.search_params) {
        if (param.kind == SearchKind::period || param.kind == SearchKind::text) keys += ", " + param.name;
      }
      return Unsupported(name, "_sort tar en av " + keys + " (med - för fallande ordning) (_sort takes one of " + keys +
                                   " (with - for descending))");
    }
    out_.query.sort = sort;
    out_.canonical.emplace_back(name, value);
    return Ok();
  }

  // _include=Source:param[:Target] (Source = the searched type) and _revinclude=Source:param[:Target]
  // (Target = the searched type): the param must be a reference parameter that can point there.
  Status AddInclude(const std::string& name, const std::string& value) {
    const bool reverse = name == "_revinclude";
    const std::string shown = name + "=" + value;
    const std::vector<std::string_view> parts = SplitUnescaped(value, ':');
    const ResourceTypeDef* source = parts.size() >= 2 ? FindType(parts[0]) : nullptr;
    const SearchParamDef* def = source ? source->FindParam(parts[1]) : nullptr;
    if (parts.size() < 2 || parts.size() > 3 || !source || !def || def->kind != SearchKind::reference ||
        (!reverse && source->type != type_.type)) {
      const std::string form = (reverse ? "Type:param" : type_.type + ":param") + "[:Target]";
      return Unsupported(
          shown, name + " tar " + form + " med en referensparameter av den typen (se CapabilityStatement) (" + name +
                     " takes " + form + " with a reference parameter of that type (see the CapabilityStatement))");
    }
    IncludeSpec spec{source->type, def->name, parts.size() == 3 ? std::string(parts[2]) : std::string()};
    if (!spec.target_type.empty() && !FindType(spec.target_type)) {
      return Unsupported(shown, name + ": okänd måltyp " + Quoted(spec.target_type) + " (" + name +
                                    ": unknown target type " + Quoted(spec.target_type) + ")");
    }
    if (!spec.target_type.empty() && !def->target_type.empty() && spec.target_type != def->target_type) {
      return Unsupported(shown, name + ": " + def->name + " refererar till " + def->target_type + " (" + name + ": " +
                                    def->name + " refers to " + def->target_type + ")");
    }
    if (reverse) {
      if ((!def->target_type.empty() && def->target_type != type_.type) ||
          (!spec.target_type.empty() && spec.target_type != type_.type)) {
        const std::string param = source->type + ":" + def->name;
        return Unsupported(shown, name + ": " + param + " refererar inte till " + type_.type + " (" + name + ": " +
                                      param + " does not refer to " + type_.type + ")");
      }
      spec.target_type = type_.type;
    } else if (spec.target_type.empty()) {
      spec.target_type = def->target_type;
    }
    if (out_.query.includes.size() + out_.query.revincludes.size() >= kMaxIncludeSpecs) {
      const std::string most = std::to_string(kMaxIncludeSpecs);
      return Error::Invalid("too-costly", "en sökning får ha högst " + most +
                                              " _include- och _revinclude-parametrar "
                                              "(A search may carry at most " +
                                              most + " _include and _revinclude parameters)");
    }
    auto& list = reverse ? out_.query.revincludes : out_.query.includes;
    for (const auto& existing : list) {
      if (existing.source_type == spec.source_type && existing.param == spec.param &&
          existing.target_type == spec.target_type) {
        return Ok();  // the same include twice adds nothing
      }
    }
    list.push_back(std::move(spec));
    out_.query.max_included = kMaxIncluded;
    out_.canonical.emplace_back(name, value);
    return Ok();
  }

  // One level of chaining: `left` is a reference parameter of the searched type, with the target type
  // as its modifier unless the parameter has only one; `right` a parameter of the target type.
  Status AddChain(const std::string& full_name, const std::string& left, const std::string& right,
                  const std::string& value) {
    const size_t colon = left.find(':');
    const std::string name = left.substr(0, colon);
    const std::string type_modifier = colon == std::string::npos ? "" : left.substr(colon + 1);
    const SearchParamDef* def = type_.FindParam(name);
    if (def == nullptr) {
      return UnsupportedFilter(full_name, UnknownParam(Quoted(full_name), type_.type));
    }
    if (def->kind != SearchKind::reference) {
      return Error::Invalid("invalid", "bara referensparametrar kan kedjas; " + def->name + " är " +
                                           TypeName(def->type) + " (Only reference parameters can be chained; " +
                                           def->name + " is " + TypeName(def->type) + ")");
    }
    if (!type_modifier.empty() && !IsResourceTypeName(type_modifier)) {
      return Error::Invalid("invalid", "modifieraren före kedjan i " + Quoted(full_name) +
                                           " måste vara en resurstyp (The modifier before the chain in " +
                                           Quoted(full_name) + " must be a resource type)");
    }
    if (!type_modifier.empty() && !def->target_type.empty() && type_modifier != def->target_type) {
      return WrongTargetType(*def, type_modifier);
    }
    const std::string target_name = type_modifier.empty() ? def->target_type : type_modifier;
    if (target_name.empty()) {
      const std::string example = def->name + ":PractitionerRole.identifier";
      return Error::Invalid("invalid", def->name + " kan referera till flera typer: ange en, t.ex. " + example + " (" +
                                           def->name + " may refer to several types: name one, e.g. " + example + ")");
    }
    const ResourceTypeDef* target = FindType(target_name);
    if (target == nullptr) {
      return Error::Invalid("invalid", "okänd resurstyp " + Quoted(target_name) + " i " + Quoted(full_name) +
                                           " (Unknown resource type " + Quoted(target_name) + " in " +
                                           Quoted(full_name) + ")");
    }
    if (right.find('.') != std::string::npos) {
      return UnsupportedFilter(full_name, "kedjor stöds bara i en nivå (Chaining is supported one level deep only)");
    }
    const size_t right_colon = right.find(':');
    const std::string inner_name = right.substr(0, right_colon);
    const std::string inner_modifier = right_colon == std::string::npos ? "" : right.substr(right_colon + 1);
    const SearchParamDef* inner_def = target->FindParam(inner_name);
    // has-free-capacity and general-practitioner are answered by the registry, not the search index:
    // they cannot be chained.
    if (inner_def == nullptr || inner_def->name == "has-free-capacity" || inner_def->name == "general-practitioner") {
      return UnsupportedFilter(full_name, "okänd sökparameter " + Quoted(inner_name) + " för " + target->type +
                                              " i kedjan " + Quoted(full_name) + " (Unknown search parameter " +
                                              Quoted(inner_name) + " for " + target->type + " in the chain " +
                                              Quoted(full_name) + ")");
    }
    if (right_colon != std::string::npos && inner_modifier.empty()) {
      return EmptyModifier(inner_name);
    }
    auto inner = BuildCriterion(*inner_def, right, inner_modifier, value);
    if (!inner) return inner.error();
    if (!*inner) return Ok();
    SearchCriterion outer;
    outer.kind = SearchKind::reference;
    outer.param = def->name;
    outer.chain_type = target->type;
    const size_t values = std::max<size_t>(1, (*inner)->any_of.size());
    outer.chain.push_back(std::move(**inner));
    return Apply(std::move(outer), full_name, value, values);
  }

  // The criterion for one parameter, or none when the value is empty (FHIR: no criterion).
  Result<std::optional<SearchCriterion>> BuildCriterion(const SearchParamDef& def, const std::string& full_name,
                                                        const std::string& modifier, const std::string& value) {
    SearchCriterion criterion;
    criterion.kind = def.kind;
    criterion.param = def.name;
    std::string target_type;  // a reference's :Type modifier

    // The modifier is checked before the value: a wrong modifier is an error even without a value.
    if (modifier == "missing") {
      if (def.kind == SearchKind::id || def.kind == SearchKind::last_updated) return BadModifier(def, modifier);
      if (value.empty()) return std::optional<SearchCriterion>();
      if (value != "true" && value != "false") {
        return Error::Invalid("invalid", "värdet av " + Quoted(full_name) +
                                             " måste vara true eller false (The value of " + Quoted(full_name) +
                                             " must be true or false)");
      }
      criterion.modifier = modifier;
      criterion.missing = value == "true";
      return std::optional<SearchCriterion>(std::move(criterion));
    }
    if (modifier == "not") {
      if (def.kind != SearchKind::token) return BadModifier(def, modifier);
      criterion.modifier = modifier;
    } else if (modifier == "exact" || modifier == "contains") {
      if (def.kind != SearchKind::text) return BadModifier(def, modifier);
      criterion.modifier = modifier;
    } else if (def.kind == SearchKind::reference && IsResourceTypeName(modifier)) {
      if (!def.target_type.empty() && modifier != def.target_type) {
        return WrongTargetType(def, modifier);
      }
      target_type = modifier;
    } else if (!modifier.empty()) {
      return BadModifier(def, modifier);
    }
    if (value.empty()) return std::optional<SearchCriterion>();  // FHIR: a parameter without a value is no criterion
    if (!IsStorableText(value)) {
      return Error::Invalid("invalid", "värdet av " + Quoted(full_name) + " är inte giltig UTF-8-text (The value of " +
                                           Quoted(full_name) + " is not valid UTF-8 text)");
    }

    for (std::string_view raw : SplitUnescaped(value, ',')) {
      if (raw.empty()) continue;
      auto parsed = ParseValue(def, criterion.modifier, target_type, raw);
      if (!parsed) return parsed.error();
      criterion.any_of.push_back(std::move(parsed).value());
    }
    if (criterion.any_of.empty()) return std::optional<SearchCriterion>();  // only empty values: as if not given
    return std::optional<SearchCriterion>(std::move(criterion));
  }

  Status Apply(SearchCriterion criterion, const std::string& full_name, const std::string& value, size_t values) {
    total_values_ += values;
    if (total_values_ > kMaxSearchValues) {
      const std::string most = std::to_string(kMaxSearchValues);
      return Error::Invalid("too-costly", "en sökning får pröva högst " + most +
                                              " värden; dela upp den i flera sökningar (A search may test at most " +
                                              most + " values; split it into several searches)");
    }
    out_.query.criteria.push_back(std::move(criterion));
    out_.canonical.emplace_back(full_name, value);
    return Ok();
  }

  Error BadModifier(const SearchParamDef& def, const std::string& modifier) const {
    std::string supported, supported_sv;
    switch (def.kind) {
      case SearchKind::text:
        supported = ":exact, :contains and :missing", supported_sv = ":exact, :contains och :missing";
        break;
      case SearchKind::token: supported = ":missing and :not", supported_sv = ":missing och :not"; break;
      case SearchKind::reference:
        supported = ":missing and a target type", supported_sv = ":missing och en måltyp";
        break;
      case SearchKind::period: supported = supported_sv = ":missing"; break;
      case SearchKind::id:
      case SearchKind::last_updated: supported = "none", supported_sv = "inga"; break;
    }
    const std::string shown = Quoted(":" + modifier);
    const std::string param = def.name + " (" + TypeName(def.type) + ")";
    return Error::Invalid("invalid", "modifieraren " + shown + " stöds inte för " + param +
                                         "; de som stöds: " + supported_sv + " (The modifier " + shown +
                                         " is not supported on " + param + "; supported: " + supported + ")");
  }

  Result<SearchValue> ParseValue(const SearchParamDef& def, const std::string& modifier,
                                 const std::string& target_type, std::string_view raw) const {
    switch (def.kind) {
      case SearchKind::id: return ParseId(def, Unescape(raw));
      case SearchKind::token: return ParseToken(def, raw);
      case SearchKind::text: {
        SearchValue v;
        const std::string text = Unescape(raw);
        // The store compares the default and :contains forms with a lower-cased copy.
        v.value = modifier == "exact" ? text : Poco::UTF8::toLower(text);
        return v;
      }
      case SearchKind::reference: return ParseReference(def, target_type, Unescape(raw));
      case SearchKind::last_updated:
      case SearchKind::period: {  // the same values; the store compares a period instead of an instant
        auto parsed = ParseDateSearchValue(Unescape(raw));
        if (!parsed) {
          Error error = parsed.error();
          error.text = def.name + ": " + error.text;
          return error;
        }
        SearchValue v;
        v.prefix = parsed->first;
        v.range_start = parsed->second.start;
        v.range_end = parsed->second.end;
        return v;
      }
    }
    return Error::Invalid("invalid", "sökparametertypen stöds inte (Unsupported search parameter kind)");
  }

  static Result<SearchValue> ParseId(const SearchParamDef& def, const std::string& id) {
    if (!IsValidId(id)) {
      return Error::Invalid("invalid", "ett värde av " + def.name +
                                           " är inte ett giltigt id (1-64 av A-Z a-z 0-9 - .) "
                                           "(A value of " +
                                           def.name + " is not a valid id (1-64 of A-Z a-z 0-9 - .))");
    }
    SearchValue v;
    v.value = id;
    return v;
  }

  static Result<SearchValue> ParseToken(const SearchParamDef& def, std::string_view raw) {
    SearchValue v;
    const std::vector<std::string_view> parts = SplitUnescaped(raw, '|');
    if (parts.size() > 2) {
      return Error::Invalid("invalid", "ett värde av " + def.name +
                                           " har mer än ett '|' (skriv det som \\|) (A value of " + def.name +
                                           " has more than one '|' (escape it as \\|))");
    }
    if (parts.size() == 2) {
      std::string system = Unescape(parts[0]);
      // Aliases of Swedish identifier systems (docs/api.md section 2) find the same resources as the canonical.
      v.system = def.name == "identifier" && !system.empty() ? CanonicalSystem(system) : std::move(system);
    }
    v.value = Unescape(parts.back());
    if (v.value.empty()) {
      // FHIR R4 3.1.1.4.7: `[system]|` is any code in that system.
      if (v.system && !v.system->empty()) return v;
      return Error::Invalid("invalid", "värdet av " + def.name + " saknar kod (a value of " + def.name +
                                           " needs a code, or a system before '|': system|code or system|)");
    }
    if (def.name == "identifier") {
      const bool person_system = v.system && (*v.system == systems::kPersonnummer ||
                                              *v.system == systems::kSamordningsnummer);
      v.value = NormalisedPersonId(v.value, person_system);
    }
    return v;
  }

  // Type/id, id, or an absolute URL ending in Type/id (a server's base is not ours to check).
  static Result<SearchValue> ParseReference(const SearchParamDef& def, const std::string& target_type,
                                            const std::string& text) {
    const auto bad = [&](const std::string& why_sv, const std::string& why) {
      return Error::Invalid("invalid",
                            "ett värde av " + def.name + " " + why_sv + " (A value of " + def.name + " " + why + ")");
    };
    SearchValue v;
    v.target_type = target_type;
    std::string_view ref = text;
    if (ref.find("://") != std::string_view::npos) {
      ref = ref.substr(0, ref.find_first_of("?#"));
      const size_t last = ref.rfind('/');
      const size_t before = last == 0 || last == std::string_view::npos ? std::string_view::npos
                                                                           : ref.rfind('/', last - 1);
      if (before == std::string_view::npos)
        return bad("är inte en referens av formen [base/]Type/id", "is not a reference of the form [base/]Type/id");
      ref = ref.substr(before + 1);
    }
    const size_t slash = ref.find('/');
    if (slash == std::string_view::npos) {
      if (!IsValidId(ref))
        return bad("är inte ett giltigt id (1-64 av A-Z a-z 0-9 - .)", "is not a valid id (1-64 of A-Z a-z 0-9 - .)");
      v.value = std::string(ref);
      return v;
    }
    const std::string_view type = ref.substr(0, slash);
    const std::string_view id = ref.substr(slash + 1);
    if (!IsResourceTypeName(type) || !IsValidId(id))
      return bad("är inte en referens av formen [base/]Type/id", "is not a reference of the form [base/]Type/id");
    if (!target_type.empty() && type != target_type) {
      return bad("anger en annan typ än modifieraren :" + target_type,
                 "names another type than the :" + target_type + " modifier");
    }
    if (!def.target_type.empty() && type != def.target_type)
      return bad("måste referera till " + def.target_type, "must refer to " + def.target_type);
    v.target_type = std::string(type);
    v.value = std::string(id);
    return v;
  }

  const ResourceTypeDef& type_;
  const bool strict_;
  ParsedSearch out_;
  std::vector<std::string> seen_;              // result parameters given, each allowed once
  std::vector<std::string> ignored_filters_;   // criteria ignored under lenient handling, cleaned
  std::optional<size_t> count_position_;       // of _count in canonical
  int max_count_;
  size_t total_values_ = 0;
};

}  // namespace

Error ParamTakesNoModifier(const std::string& name) {
  return Error::Invalid("invalid",
                        "parametern " + name + " tar ingen modifierare (The parameter " + name + " takes no modifier)");
}

Error ParamGivenTwice(const std::string& name) {
  return Error::Invalid(
      "invalid", "parametern " + name + " får anges högst en gång (The parameter " + name + " may be given only once)");
}

Error ParamNotWholeNumber(const std::string& name) {
  return Error::Invalid("invalid", "parametern " + name + " måste vara ett heltal, 0 eller större (The parameter " +
                                       name + " must be a whole number, 0 or more)");
}

Result<ParsedSearch> ParseSearch(const ResourceTypeDef& type,
                                 const std::vector<std::pair<std::string, std::string>>& params, bool strict,
                                 int max_count) {
  SearchParser parser(type, strict, max_count);
  for (const auto& [name, value] : params) {
    Status status = parser.Add(name, value);
    if (!status) return status.error();
  }
  return parser.Finish();
}

}  // namespace nara::fhir
