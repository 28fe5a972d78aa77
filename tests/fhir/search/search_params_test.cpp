#include "fhir/search/search_params.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "registry/identifier_system.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

const ResourceTypeDef& Type(const char* name) {
  const ResourceTypeDef* def = FindType(name);
  EXPECT_NE(def, nullptr) << name;
  return *def;
}

ParsedSearch Parse(const char* type, const Params& params, bool strict = false) {
  auto parsed = ParseSearch(Type(type), params, strict);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().text);
  return parsed.ok() ? std::move(parsed).value() : ParsedSearch{};
}

Error ParseError(const char* type, const Params& params, bool strict = false) {
  auto parsed = ParseSearch(Type(type), params, strict);
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return Error::Invalid("", "");
  EXPECT_EQ(parsed.error().kind, ErrorKind::invalid);
  EXPECT_FALSE(parsed.error().text.empty());
  return parsed.error();
}

// result parameters

TEST(SearchParams, DefaultsWithoutParameters) {
  ParsedSearch s = Parse("Patient", {});
  EXPECT_EQ(s.query.type, "Patient");
  EXPECT_TRUE(s.query.criteria.empty());
  EXPECT_EQ(s.query.count, 50);
  EXPECT_EQ(s.query.offset, 0);
  EXPECT_TRUE(s.query.want_total);
  EXPECT_EQ(s.query.sort.key, SortKey::id);  // ids never change: paging by id is stable
  EXPECT_FALSE(s.query.sort.descending);
  EXPECT_FALSE(s.query.cursor.has_value());
  EXPECT_TRUE(s.query.includes.empty());
  EXPECT_TRUE(s.elements.empty());
  EXPECT_FALSE(s.summary_count);
  EXPECT_TRUE(s.ignored.empty());
  EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
}

// A doctor's list may come whole in one page (HandleSearch passes kMaxListCount for
// Patient?general-practitioner); the link's _count is the count applied.
TEST(SearchParams, AListSearchHonoursALargerCountUpToItsOwnMaximum) {
  auto list = ParseSearch(Type("Patient"), {{"_count", "1100"}}, false, kMaxListCount);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->query.count, 1100);
  EXPECT_EQ(list->canonical, (Params{{"_count", "1100"}}));
  auto capped = ParseSearch(Type("Patient"), {{"_count", "9999"}}, false, kMaxListCount);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->query.count, kMaxListCount);
}

TEST(SearchParams, CountIsClampedToTheMaximum) {
  EXPECT_EQ(Parse("Patient", {{"_count", "5000"}}).query.count, 1000);
  EXPECT_EQ(Parse("Patient", {{"_count", "1000"}}).query.count, 1000);
  EXPECT_EQ(Parse("Patient", {{"_count", "99999999999999999999999"}}).query.count, 1000);
  EXPECT_EQ(Parse("Patient", {{"_count", "0"}}).query.count, 0);
  ParsedSearch s = Parse("Patient", {{"_count", "007"}});
  EXPECT_EQ(s.query.count, 7);
  EXPECT_EQ(s.canonical, (Params{{"_count", "7"}}));
  EXPECT_EQ(Parse("Patient", {{"_count", "5000"}}).canonical, (Params{{"_count", "1000"}}));
}

TEST(SearchParams, MalformedIntegersAreRefusedWhateverTheHandling) {
  for (bool strict : {false, true}) {
    for (const char* bad : {"-1", "+5", "1.5", "ten", " 5", "5 ", "0x10", "1e3"}) {
      EXPECT_EQ(ParseError("Patient", {{"_count", bad}}, strict).detail_code, "invalid") << bad;
      EXPECT_EQ(ParseError("Patient", {{"_offset", bad}}, strict).detail_code, "invalid") << bad;
    }
  }
  ParseError("Patient", {{"_offset", "99999999999999999999"}});
}

TEST(SearchParams, OffsetIsTheCursorAndNotInCanonical) {
  ParsedSearch s = Parse("Patient", {{"_offset", "100"}, {"_count", "10"}});
  EXPECT_EQ(s.query.offset, 100);
  EXPECT_EQ(s.query.count, 10);
  EXPECT_EQ(s.canonical, (Params{{"_count", "10"}}));
}

TEST(SearchParams, Total) {
  EXPECT_FALSE(Parse("Patient", {{"_total", "none"}}).query.want_total);
  EXPECT_TRUE(Parse("Patient", {{"_total", "accurate"}}).query.want_total);
  EXPECT_TRUE(Parse("Patient", {{"_total", "estimate"}}).query.want_total);
  EXPECT_EQ(Parse("Patient", {{"_total", "none"}}).canonical, (Params{{"_total", "none"}, {"_count", "50"}}));
  EXPECT_EQ(ParseError("Patient", {{"_total", "some"}}).detail_code, "invalid");
}

TEST(SearchParams, SummaryCount) {
  ParsedSearch s = Parse("Patient", {{"_total", "none"}, {"_summary", "count"}, {"_count", "20"}});
  EXPECT_TRUE(s.summary_count);
  EXPECT_TRUE(s.query.want_total);
  EXPECT_EQ(s.query.count, 0);
  EXPECT_EQ(s.canonical, (Params{{"_total", "none"}, {"_summary", "count"}, {"_count", "0"}}));
}

TEST(SearchParams, SummaryFalseChangesNothing) {
  ParsedSearch s = Parse("Patient", {{"_summary", "false"}}, true);
  EXPECT_FALSE(s.summary_count);
  EXPECT_EQ(s.query.count, 50);
  EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
}

TEST(SearchParams, OtherSummaryValuesAreUnsupported) {
  for (const char* value : {"true", "text", "data", "bogus"}) {
    EXPECT_EQ(ParseError("Patient", {{"_summary", value}}, true).detail_code, "not-supported") << value;
    ParsedSearch s = Parse("Patient", {{"_summary", value}});
    EXPECT_FALSE(s.summary_count);
    EXPECT_EQ(s.ignored, (std::vector<std::string>{"_summary"}));
    EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
  }
}

TEST(SearchParams, Sort) {
  ParsedSearch desc = Parse("Patient", {{"_sort", "-_lastUpdated"}});
  EXPECT_EQ(desc.query.sort.key, SortKey::last_updated);
  EXPECT_TRUE(desc.query.sort.descending);
  EXPECT_EQ(desc.canonical, (Params{{"_sort", "-_lastUpdated"}, {"_count", "50"}}));
  ParsedSearch asc = Parse("Patient", {{"_sort", "_lastUpdated"}}, true);
  EXPECT_EQ(asc.query.sort.key, SortKey::last_updated);
  EXPECT_FALSE(asc.query.sort.descending);
  EXPECT_EQ(asc.canonical, (Params{{"_sort", "_lastUpdated"}, {"_count", "50"}}));
  ParsedSearch id_desc = Parse("Patient", {{"_sort", "-_id"}}, true);
  EXPECT_EQ(id_desc.query.sort.key, SortKey::id);
  EXPECT_TRUE(id_desc.query.sort.descending);
  // date: the start of the period, on the types that have one.
  for (const char* type : {"EpisodeOfCare", "CareTeam", "DocumentReference"}) {
    ParsedSearch by_date = Parse(type, {{"_sort", "-date"}}, true);
    EXPECT_EQ(by_date.query.sort.key, SortKey::period_start) << type;
    EXPECT_EQ(by_date.query.sort.param, "date");
    EXPECT_TRUE(by_date.query.sort.descending);
  }
  // Any date parameter of the type sorts by its start: a list by age (birthdate, from birthDate or the
  // personnummer's date), a queue by authored-on.
  ParsedSearch by_age = Parse("Patient", {{"_sort", "-birthdate"}}, true);
  EXPECT_EQ(by_age.query.sort.key, SortKey::period_start);
  EXPECT_EQ(by_age.query.sort.param, "birthdate");
  EXPECT_TRUE(by_age.query.sort.descending);
  EXPECT_EQ(by_age.canonical, (Params{{"_sort", "-birthdate"}, {"_count", "50"}}));
  // A string parameter sorts by the first of its values in Swedish alphabetical order: a list by
  // family name, units by name.
  ParsedSearch by_family = Parse("Patient", {{"_sort", "family"}}, true);
  EXPECT_EQ(by_family.query.sort.key, SortKey::text);
  EXPECT_EQ(by_family.query.sort.param, "family");
  EXPECT_FALSE(by_family.query.sort.descending);
  ParsedSearch units = Parse("Organization", {{"_sort", "-name"}}, true);
  EXPECT_EQ(units.query.sort.key, SortKey::text);
  EXPECT_EQ(units.query.sort.param, "name");
  EXPECT_TRUE(units.query.sort.descending);
}

TEST(SearchParams, OtherSortsAreUnsupported) {
  for (const char* value : {"identifier", "_lastUpdated,family", "gender", "date", "-date", "-"}) {
    EXPECT_EQ(ParseError("Patient", {{"_sort", value}}, true).detail_code, "not-supported") << value;
    ParsedSearch s = Parse("Patient", {{"_sort", value}});
    EXPECT_EQ(s.query.sort.key, SortKey::id);
    EXPECT_EQ(s.ignored, (std::vector<std::string>{"_sort"}));
    EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
  }
}

TEST(SearchParams, AnUnsupportedSortNamesTheKeysTheTypeHas) {
  EXPECT_EQ(ParseError("Patient", {{"_sort", "gender"}}, true).text,
            "_sort tar en av _id, _lastUpdated, name, family, given, birthdate, address, address-city, "
            "address-postalcode (med - för fallande ordning) (_sort takes one of _id, _lastUpdated, name, family, "
            "given, birthdate, address, address-city, address-postalcode (with - for descending))");
  EXPECT_NE(ParseError("Organization", {{"_sort", "type"}}, true).text.find("one of _id, _lastUpdated, name (with"),
            std::string::npos);
}

TEST(SearchParams, FormatAndPrettyAreSkipped) {
  ParsedSearch s = Parse("Patient", {{"_format", "json"}, {"_pretty", "true"}, {"_format", "xml"}}, true);
  EXPECT_TRUE(s.ignored.empty());
  EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
}

TEST(SearchParams, ResultParametersOnceAndWithoutModifier) {
  EXPECT_EQ(ParseError("Patient", {{"_count", "5"}, {"_count", "6"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("Patient", {{"_sort", "_lastUpdated"}, {"_sort", "-_lastUpdated"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("Patient", {{"_count:exact", "5"}}).detail_code, "invalid");
}

TEST(SearchParams, CanonicalCountKeepsItsRequestPosition) {
  ParsedSearch s = Parse("Patient", {{"family", "Andersson"}, {"_count", "10"}, {"gender", "female"}});
  EXPECT_EQ(s.canonical, (Params{{"family", "Andersson"}, {"_count", "10"}, {"gender", "female"}}));
}

// unknown and unsupported parameters

TEST(SearchParams, UnknownParameterStrictIsAnError) {
  Error e = ParseError("Patient", {{"shoesize", "42"}}, true);
  EXPECT_EQ(e.detail_code, "not-supported");
  EXPECT_EQ(e.text, "okänd sökparameter 'shoesize' för Patient (Unknown search parameter 'shoesize' for Patient)");
}

TEST(SearchParams, UnknownParameterLenientIsIgnoredAndReported) {
  ParsedSearch s = Parse("Patient", {{"shoesize", "42"}, {"family", "Berg"}, {"shoesize", "43"}, {"x:y", "1"}});
  EXPECT_EQ(s.ignored, (std::vector<std::string>{"shoesize", "x:y"}));
  ASSERT_EQ(s.query.criteria.size(), 1u);
  EXPECT_EQ(s.canonical, (Params{{"family", "Berg"}, {"_count", "50"}}));
}

TEST(SearchParams, ParameterOfAnotherTypeIsUnknown) {
  EXPECT_EQ(ParseError("Patient", {{"partof", "Organization/1"}}, true).detail_code, "not-supported");
  EXPECT_EQ(Parse("Patient", {{"partof", "Organization/1"}, {"family", "Berg"}}).ignored,
            (std::vector<std::string>{"partof"}));
  EXPECT_EQ(Parse("Organization", {{"gender", "male"}}).ignored, (std::vector<std::string>{"gender"}));
}

TEST(SearchParams, UnsupportedUnderscoreParameters) {
  for (const char* name : {"_has:Observation:patient:code", "_text",
                           "_content", "_list", "_tag", "_profile", "_security", "_source", "_include:iterate"}) {
    EXPECT_EQ(ParseError("Organization", {{name, "x"}}, true).detail_code, "not-supported") << name;
    ParsedSearch s = Parse("Organization", {{name, "x"}});
    EXPECT_EQ(s.ignored, (std::vector<std::string>{name}));
    EXPECT_TRUE(s.query.criteria.empty());
  }
}

// Lenient handling must not turn a question about a few patients into a release of the whole
// registry: a Patient search whose only criteria are ignored is refused (400, not-supported).
TEST(SearchParams, IgnoredCriterionThatWouldWidenAPatientSearchIsRefused) {
  for (const Params& params : {Params{{"shoesize", "42"}}, Params{{"_text", "Berg"}, {"_count", "10"}},
                               Params{{"x:y", "1"}, {"_summary", "count"}}, Params{{"shoesize", "1"}, {"shoesize", "2"}}}) {
    Error e = ParseError("Patient", params);
    EXPECT_EQ(e.detail_code, "not-supported") << params[0].first;
    EXPECT_NE(e.text.find(params[0].first), std::string::npos) << e.text;
    EXPECT_EQ(e.text.rfind("sökningen av Patient", 0), 0u) << e.text;  // Swedish first
  }
  // Both parts say the same; the ignored names follow both, after a colon (docs/api.md, "Errors").
  EXPECT_EQ(ParseError("Patient", {{"shoesize", "42"}, {"x:y", "1"}}).text,
            "sökningen av Patient har bara kriterier som inte stöds och skulle ge alla patienter (the Patient search "
            "has only unsupported criteria and would return every patient): shoesize x:y");
  // With a criterion that applies the search is restricted: the unknown one is ignored as before.
  ParsedSearch restricted = Parse("Patient", {{"shoesize", "42"}, {"_id", "p1"}});
  EXPECT_EQ(restricted.ignored, (std::vector<std::string>{"shoesize"}));
  // An unsupported result parameter restricts nothing either way: a plain listing stays allowed.
  EXPECT_EQ(Parse("Patient", {{"_sort", "gender"}}).ignored, (std::vector<std::string>{"_sort"}));
  // Other types keep lenient handling.
  EXPECT_EQ(Parse("CareTeam", {{"shoesize", "42"}}).ignored, (std::vector<std::string>{"shoesize"}));
}

TEST(SearchParams, UnknownParameterIsUnknownEvenWithoutValue) {
  EXPECT_EQ(ParseError("Patient", {{"shoesize", ""}}, true).detail_code, "not-supported");
}

TEST(SearchParams, EmptyNameAndValueIsSkipped) {
  ParsedSearch s = Parse("Patient", {{"", ""}}, true);
  EXPECT_TRUE(s.ignored.empty());
  EXPECT_TRUE(s.query.criteria.empty());
}

// modifiers

TEST(SearchParams, UnsupportedModifiersAreAlwaysErrors) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"Patient", "identifier:text"}, {"Patient", "name:not"},   {"Patient", "gender:in"},
      {"Patient", "gender:exact"},    {"Patient", "identifier:of-type"}, {"Patient", "name:text"},
      {"Patient", "name:Patient"},    {"Patient", "_id:missing"},      {"Patient", "_id:exact"},
      {"Patient", "_lastUpdated:missing"}, {"Patient", "_lastUpdated:exact"}, {"Patient", "name:Exact"},
      {"PractitionerRole", "organization:identifier"}, {"PractitionerRole", "organization:exact"},
      {"PractitionerRole", "organization:above"}, {"Patient", "family:"}};
  for (bool strict : {false, true}) {
    for (const auto& [type, name] : cases) {
      Error e = ParseError(type, {{name, "true"}}, strict);
      EXPECT_EQ(e.detail_code, "invalid") << name;
      // Also without a value: the modifier is what is wrong.
      ParseError(type, {{name, ""}}, strict);
    }
  }
  Error e = ParseError("Patient", {{"identifier:text", "x"}});
  EXPECT_NE(e.text.find(":text"), std::string::npos);
  EXPECT_NE(e.text.find("identifier"), std::string::npos);
}

TEST(SearchParams, MissingModifier) {
  ParsedSearch s = Parse("Patient", {{"gender:missing", "true"}, {"name:missing", "false"}}, true);
  ASSERT_EQ(s.query.criteria.size(), 2u);
  EXPECT_EQ(s.query.criteria[0].param, "gender");
  EXPECT_EQ(s.query.criteria[0].kind, SearchKind::token);
  EXPECT_EQ(s.query.criteria[0].modifier, "missing");
  EXPECT_TRUE(s.query.criteria[0].missing);
  EXPECT_TRUE(s.query.criteria[0].any_of.empty());
  EXPECT_EQ(s.query.criteria[1].kind, SearchKind::text);
  EXPECT_EQ(s.query.criteria[1].modifier, "missing");
  EXPECT_FALSE(s.query.criteria[1].missing);
  EXPECT_EQ(s.canonical, (Params{{"gender:missing", "true"}, {"name:missing", "false"}, {"_count", "50"}}));

  ParsedSearch r = Parse("Organization", {{"partof:missing", "true"}});
  ASSERT_EQ(r.query.criteria.size(), 1u);
  EXPECT_EQ(r.query.criteria[0].kind, SearchKind::reference);
  EXPECT_TRUE(r.query.criteria[0].missing);
}

TEST(SearchParams, MissingNeedsTrueOrFalse) {
  for (const char* value : {"yes", "TRUE", "1", "true,false"}) {
    EXPECT_EQ(ParseError("Patient", {{"gender:missing", value}}).detail_code, "invalid") << value;
  }
}

// values

TEST(SearchParams, EmptyValueIsNoCriterion) {
  ParsedSearch s = Parse("Patient", {{"name", ""}, {"gender", ","}, {"identifier", ""}}, true);
  EXPECT_TRUE(s.query.criteria.empty());
  EXPECT_EQ(s.canonical, (Params{{"_count", "50"}}));
}

TEST(SearchParams, CommaIsOrAndRepeatIsAnd) {
  ParsedSearch s = Parse("Patient", {{"gender", "male,female"}, {"gender", "other"}});
  ASSERT_EQ(s.query.criteria.size(), 2u);
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 2u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "male");
  EXPECT_EQ(s.query.criteria[0].any_of[1].value, "female");
  ASSERT_EQ(s.query.criteria[1].any_of.size(), 1u);
  EXPECT_EQ(s.query.criteria[1].any_of[0].value, "other");
  EXPECT_EQ(s.canonical, (Params{{"gender", "male,female"}, {"gender", "other"}, {"_count", "50"}}));
}

TEST(SearchParams, EmptyOrValuesAreSkipped) {
  ParsedSearch s = Parse("Patient", {{"gender", ",male,,"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "male");
}

TEST(SearchParams, Escaping) {
  ParsedSearch s = Parse("Patient", {{"family", "a\\,b,c"}, {"name:exact", "x\\\\,y\\$z\\|w\\q"}});
  ASSERT_EQ(s.query.criteria.size(), 2u);
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 2u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "a,b");
  EXPECT_EQ(s.query.criteria[0].any_of[1].value, "c");
  ASSERT_EQ(s.query.criteria[1].any_of.size(), 2u);
  EXPECT_EQ(s.query.criteria[1].any_of[0].value, "x\\");      // \\ then an unescaped comma
  EXPECT_EQ(s.query.criteria[1].any_of[1].value, "y$z|w\\q");  // \q is not an escape
  // The canonical value is the raw one, so a link reproduces the same search.
  EXPECT_EQ(s.canonical[0], (std::pair<std::string, std::string>{"family", "a\\,b,c"}));
}

TEST(SearchParams, TooManyValuesIsTooCostly) {
  std::string many;
  for (int i = 0; i < 1001; ++i) many += (i ? ",m" : "m") + std::to_string(i);
  EXPECT_EQ(ParseError("Patient", {{"gender", many}}).detail_code, "too-costly");
  Params repeated(1001, {"gender:missing", "false"});
  EXPECT_EQ(ParseError("Patient", repeated).detail_code, "too-costly");
}

TEST(SearchParams, InvalidUtf8AndNulAreRefused) {
  EXPECT_EQ(ParseError("Patient", {{"family", "Berg\xff"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("Patient", {{"family", std::string("Be\0rg", 5)}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("Patient", {{"family", "\xed\xa0\x80"}}).detail_code, "invalid");  // a surrogate
  EXPECT_EQ(ParseError("Patient", {{"family", "\xc0\xaf"}}).detail_code, "invalid");      // overlong '/'
}

// token

TEST(SearchParams, TokenForms) {
  ParsedSearch s =
      Parse("Patient", {{"gender", "http://hl7.org/fhir/administrative-gender|female,|male,other"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  const auto& c = s.query.criteria[0];
  EXPECT_EQ(c.kind, SearchKind::token);
  EXPECT_EQ(c.param, "gender");
  EXPECT_EQ(c.modifier, "");
  ASSERT_EQ(c.any_of.size(), 3u);
  EXPECT_EQ(c.any_of[0].system, std::optional<std::string>("http://hl7.org/fhir/administrative-gender"));
  EXPECT_EQ(c.any_of[0].value, "female");
  EXPECT_EQ(c.any_of[1].system, std::optional<std::string>(""));
  EXPECT_EQ(c.any_of[1].value, "male");
  EXPECT_EQ(c.any_of[2].system, std::nullopt);
  EXPECT_EQ(c.any_of[2].value, "other");
}

TEST(SearchParams, TokenNeedsACodeOrASystem) {
  for (bool strict : {false, true}) {
    EXPECT_EQ(ParseError("Patient", {{"gender", "|"}}, strict).detail_code, "invalid");
    EXPECT_EQ(ParseError("Patient", {{"identifier", "|"}}, strict).detail_code, "invalid");
  }
}

// FHIR R4 3.1.1.4.7: `[system]|` is any code in that system.
TEST(SearchParams, TokenSystemWithoutCodeIsAnyCodeInTheSystem) {
  ParsedSearch s = Parse("Patient", {{"identifier", "urn:oid:1.2.752.129.2.1.3.3|"}}, true);
  ASSERT_EQ(s.query.criteria.size(), 1u);
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].system, std::optional<std::string>(systems::kSamordningsnummer));
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "");
}

// Swedish systems print personnummer as YYYYMMDD-NNNN or YYMMDD-NNNN; the registry holds 12 digits.
TEST(SearchParams, PersonnummerFormsAreNormalisedToTwelveDigits) {
  const std::string pnr = systems::kPersonnummer;
  const auto value_of = [](const Params& params) {
    ParsedSearch s = Parse("Patient", params, true);
    return s.query.criteria.empty() ? std::string("?") : s.query.criteria[0].any_of[0].value;
  };
  EXPECT_EQ(value_of({{"identifier", pnr + "|19650812-1172"}}), "196508121172");
  EXPECT_EQ(value_of({{"identifier", "19650812-1172"}}), "196508121172");  // no system: the 12-digit form too
  EXPECT_EQ(value_of({{"identifier", pnr + "|650812-1172"}}), "196508121172");
  EXPECT_EQ(value_of({{"identifier", pnr + "|6508121172"}}), "196508121172");
  EXPECT_EQ(value_of({{"identifier", pnr + "|650812+1172"}}), "186508121172");  // '+': 100 years or more
  EXPECT_EQ(value_of({{"identifier", pnr + "|010101-2389"}}), "200101012389");
  EXPECT_EQ(value_of({{"identifier", std::string(systems::kSamordningsnummer) + "|701063-2391"}}), "197010632391");
  ParsedSearch chained = Parse("CareTeam", {{"subject:Patient.identifier", pnr + "|19650812-1172"}}, true);
  EXPECT_EQ(chained.query.criteria[0].chain[0].any_of[0].value, "196508121172");
  // Other systems and other shapes are left as sent.
  EXPECT_EQ(value_of({{"identifier", "urn:oid:1.2.752.29.4.19|6508121172"}}), "6508121172");
  EXPECT_EQ(value_of({{"identifier", "6508121172"}}), "6508121172");
  EXPECT_EQ(value_of({{"identifier", pnr + "|1965-08-12"}}), "1965-08-12");
}

TEST(SearchParams, TokenWithTwoPipesIsInvalidUnlessEscaped) {
  EXPECT_EQ(ParseError("Patient", {{"identifier", "a|b|c"}}).detail_code, "invalid");
  ParsedSearch s = Parse("Patient", {{"identifier", "a|b\\|c"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].system, std::optional<std::string>("a"));
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "b|c");
}

TEST(SearchParams, IdentifierSystemAliasIsNormalised) {
  ParsedSearch s = Parse("Patient", {{"identifier", "urn:oid:1.2.752.129.2.1.3.1|191212121212"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].system, std::optional<std::string>(systems::kPersonnummer));
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "191212121212");
  EXPECT_EQ(s.canonical[0].second, "urn:oid:1.2.752.129.2.1.3.1|191212121212");

  ParsedSearch hsa = Parse("Organization", {{"identifier", "urn:oid:1.2.752.129.2.1.4.1|SE2321000016-1234"}});
  EXPECT_EQ(hsa.query.criteria[0].any_of[0].system, std::optional<std::string>(systems::kHsaId));
}

TEST(SearchParams, OnlyIdentifierSystemsAreNormalised) {
  ParsedSearch s = Parse("Organization", {{"type", "urn:oid:1.2.752.129.2.1.3.1|x"}});
  EXPECT_EQ(s.query.criteria[0].any_of[0].system, std::optional<std::string>("urn:oid:1.2.752.129.2.1.3.1"));
}

TEST(SearchParams, ErrorsDoNotRepeatTheSearchedValue) {
  Error e = ParseError("Patient", {{"identifier", "urn:oid:1.2.752.129.2.1.3.1|191212121212|x"}});
  EXPECT_EQ(e.text.find("191212121212"), std::string::npos);
}

// _id

TEST(SearchParams, IdValues) {
  ParsedSearch s = Parse("Patient", {{"_id", "abc-1.2,XYZ"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].kind, SearchKind::id);
  EXPECT_EQ(s.query.criteria[0].param, "_id");
  ASSERT_EQ(s.query.criteria[0].any_of.size(), 2u);
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "abc-1.2");
  EXPECT_EQ(s.query.criteria[0].any_of[1].value, "XYZ");
  EXPECT_TRUE(Parse("Patient", {{"_id", std::string(64, 'a')}}).query.criteria.size() == 1);
}

TEST(SearchParams, InvalidIdsAreRefused) {
  for (const std::string& bad : {std::string(65, 'a'), std::string("a b"), std::string("a_b"),
                                 std::string("Patient/1"), std::string("å"), std::string("a|b")}) {
    EXPECT_EQ(ParseError("Patient", {{"_id", bad}}).detail_code, "invalid") << bad;
  }
}

// string

TEST(SearchParams, StringDefaultIsLowerCasedPrefix) {
  ParsedSearch s = Parse("Patient", {{"family", "ÅSTRÖM"}, {"name:contains", "ÄNg"}, {"given:exact", "Örjan"}});
  ASSERT_EQ(s.query.criteria.size(), 3u);
  EXPECT_EQ(s.query.criteria[0].kind, SearchKind::text);
  EXPECT_EQ(s.query.criteria[0].modifier, "");
  EXPECT_EQ(s.query.criteria[0].any_of[0].value, "åström");
  EXPECT_EQ(s.query.criteria[1].modifier, "contains");
  EXPECT_EQ(s.query.criteria[1].param, "name");
  EXPECT_EQ(s.query.criteria[1].any_of[0].value, "äng");
  EXPECT_EQ(s.query.criteria[2].modifier, "exact");
  EXPECT_EQ(s.query.criteria[2].any_of[0].value, "Örjan");
  EXPECT_EQ(s.canonical, (Params{{"family", "ÅSTRÖM"}, {"name:contains", "ÄNg"}, {"given:exact", "Örjan"},
                                 {"_count", "50"}}));
}

// reference

TEST(SearchParams, ReferenceForms) {
  ParsedSearch s = Parse("PractitionerRole",
                         {{"organization", "Organization/org-1,org-2,https://fhir.example.se/fhir/Organization/org-3"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  const auto& c = s.query.criteria[0];
  EXPECT_EQ(c.kind, SearchKind::reference);
  EXPECT_EQ(c.param, "organization");
  ASSERT_EQ(c.any_of.size(), 3u);
  EXPECT_EQ(c.any_of[0].target_type, "Organization");
  EXPECT_EQ(c.any_of[0].value, "org-1");
  EXPECT_EQ(c.any_of[1].target_type, "");
  EXPECT_EQ(c.any_of[1].value, "org-2");
  EXPECT_EQ(c.any_of[2].target_type, "Organization");
  EXPECT_EQ(c.any_of[2].value, "org-3");
}

TEST(SearchParams, ReferenceTypeModifier) {
  ParsedSearch s = Parse("PractitionerRole", {{"organization:Organization", "org-1,Organization/org-2"}});
  ASSERT_EQ(s.query.criteria.size(), 1u);
  const auto& c = s.query.criteria[0];
  EXPECT_EQ(c.modifier, "");
  ASSERT_EQ(c.any_of.size(), 2u);
  EXPECT_EQ(c.any_of[0].target_type, "Organization");
  EXPECT_EQ(c.any_of[0].value, "org-1");
  EXPECT_EQ(c.any_of[1].target_type, "Organization");
  EXPECT_EQ(s.canonical[0],
            (std::pair<std::string, std::string>{"organization:Organization", "org-1,Organization/org-2"}));
}

TEST(SearchParams, ReferenceTypeMustAgreeWithTheParameter) {
  EXPECT_EQ(ParseError("PractitionerRole", {{"organization", "Patient/1"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("PractitionerRole", {{"organization:Patient", "1"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("PractitionerRole", {{"practitioner", "http://x/fhir/Organization/1"}}).detail_code,
            "invalid");
}

TEST(SearchParams, MalformedReferencesAreRefused) {
  for (const char* bad : {"Organization/", "/1", "Organization/1/_history/2", "organization/1", "urn:uuid:1234",
                          "http://x/1", "http://x/fhir/Organization/", "Org anization/1", "a b"}) {
    EXPECT_EQ(ParseError("PractitionerRole", {{"organization", bad}}).detail_code, "invalid") << bad;
  }
}

// _lastUpdated

TEST(SearchParams, LastUpdated) {
  ParsedSearch s = Parse("Patient", {{"_lastUpdated", "ge2026-01-01"}, {"_lastUpdated", "lt2026-02,2026-03-01"}});
  ASSERT_EQ(s.query.criteria.size(), 2u);
  const auto& ge = s.query.criteria[0];
  EXPECT_EQ(ge.kind, SearchKind::last_updated);
  EXPECT_EQ(ge.param, "_lastUpdated");
  ASSERT_EQ(ge.any_of.size(), 1u);
  EXPECT_EQ(ge.any_of[0].prefix, DatePrefix::ge);
  EXPECT_EQ(ge.any_of[0].range_start, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(ge.any_of[0].range_end, "2026-01-02T00:00:00.000Z");
  const auto& lt = s.query.criteria[1];
  ASSERT_EQ(lt.any_of.size(), 2u);
  EXPECT_EQ(lt.any_of[0].prefix, DatePrefix::lt);
  EXPECT_EQ(lt.any_of[0].range_start, "2026-02-01T00:00:00.000Z");
  EXPECT_EQ(lt.any_of[0].range_end, "2026-03-01T00:00:00.000Z");
  EXPECT_EQ(lt.any_of[1].prefix, DatePrefix::eq);
  EXPECT_EQ(lt.any_of[1].range_start, "2026-03-01T00:00:00.000Z");
}

TEST(SearchParams, LastUpdatedErrors) {
  Error bad = ParseError("Patient", {{"_lastUpdated", "2023-02-29"}});
  EXPECT_EQ(bad.detail_code, "invalid");
  EXPECT_EQ(bad.text.rfind("_lastUpdated", 0), 0u);
  EXPECT_EQ(ParseError("Patient", {{"_lastUpdated", "ap2026"}}).detail_code, "not-supported");
}

// robustness

TEST(SearchParams, OddInputNeverCrashesAndErrorsStayShort) {
  const std::string huge(1 << 16, 'x');
  const std::string bytes = std::string("\xff\xfe\x00\x01\x7f\xc3", 6) + huge;
  for (bool strict : {false, true}) {
    for (const char* type : {"Patient", "Organization", "Practitioner", "PractitionerRole"}) {
      const Params inputs[] = {{{huge, huge}},
                               {{bytes, "1"}},
                               {{"", "x"}},
                               {{":", "x"}},
                               {{"family:" + bytes, "x"}},
                               {{"_id", huge}},
                               {{"identifier", huge + "|" + huge}},
                               {{"family", huge}},
                               {{"_lastUpdated", huge}},
                               {{"_count", huge}},
                               {{"_sort", bytes}},
                               {{"identifier", "\\"}},
                               {{"identifier", "|\\|"}},
                               {{"_id", "\\,"}},
                               {{"family", bytes}}};
      for (const Params& params : inputs) {
        auto parsed = ParseSearch(Type(type), params, strict);
        if (!parsed.ok()) {
          // The name is quoted in the Swedish and in the English part, each cut to ~100 bytes.
          EXPECT_LT(parsed.error().text.size(), 500u);
        } else {
          for (const auto& name : parsed->ignored) EXPECT_LT(name.size(), 110u);
        }
      }
    }
  }
  // An ignored name is cleaned for display.
  ParsedSearch s = Parse("Organization", {{std::string("bad\xff\n", 5), "1"}});
  EXPECT_EQ(s.ignored, (std::vector<std::string>{"bad??"}));
}

// chaining, :not, _include/_revinclude, _elements, _cursor

TEST(SearchParams, ChainOneLevel) {
  ParsedSearch s = Parse("CareTeam", {{"subject:Patient.identifier", "urn:oid:1.2.752.129.2.1.3.1|X1"}}, true);
  ASSERT_EQ(s.query.criteria.size(), 1u);
  const SearchCriterion& c = s.query.criteria[0];
  EXPECT_EQ(c.kind, SearchKind::reference);
  EXPECT_EQ(c.param, "subject");
  EXPECT_EQ(c.chain_type, "Patient");
  ASSERT_EQ(c.chain.size(), 1u);
  EXPECT_EQ(c.chain[0].kind, SearchKind::token);
  EXPECT_EQ(c.chain[0].param, "identifier");
  ASSERT_EQ(c.chain[0].any_of.size(), 1u);
  EXPECT_EQ(c.chain[0].any_of[0].system, std::optional<std::string>(systems::kPersonnummer));  // alias normalised
  EXPECT_EQ(s.canonical,
            (Params{{"subject:Patient.identifier", "urn:oid:1.2.752.129.2.1.3.1|X1"}, {"_count", "50"}}));
  // The target type comes from the parameter when it has one; inner modifiers apply to the target.
  ParsedSearch by_name = Parse("EpisodeOfCare", {{"patient.name:exact", "Berg"}}, true);
  ASSERT_EQ(by_name.query.criteria.size(), 1u);
  EXPECT_EQ(by_name.query.criteria[0].chain_type, "Patient");
  EXPECT_EQ(by_name.query.criteria[0].chain[0].modifier, "exact");
  EXPECT_EQ(Parse("PractitionerRole", {{"organization.identifier", "SE1-1"}}, true).query.criteria[0].chain_type,
            "Organization");
  EXPECT_EQ(Parse("CareTeam", {{"participant:PractitionerRole.role", "lakare"}}, true).query.criteria[0].chain_type,
            "PractitionerRole");
}

TEST(SearchParams, ChainErrors) {
  // participant may point at several types: the chain must name one.
  EXPECT_EQ(ParseError("CareTeam", {{"participant.identifier", "x"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("CareTeam", {{"status.code", "x"}}).detail_code, "invalid");  // not a reference
  EXPECT_EQ(ParseError("CareTeam", {{"subject:Organization.identifier", "x"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("CareTeam", {{"subject:Nothing.identifier", "x"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("CareTeam", {{"subject.name:bogus", "x"}}).detail_code, "invalid");
  // Unknown inner parameters, deeper chains and registry-computed parameters: strict 400, else ignored.
  for (const char* name : {"subject.bogus", "subject.general-practitioner.identifier",
                           "participant:PractitionerRole.has-free-capacity"}) {
    EXPECT_EQ(ParseError("CareTeam", {{name, "x"}}, true).detail_code, "not-supported") << name;
    ParsedSearch s = Parse("CareTeam", {{name, "x"}});
    EXPECT_TRUE(s.query.criteria.empty()) << name;
    EXPECT_EQ(s.ignored, (std::vector<std::string>{name}));
  }
}

TEST(SearchParams, NotOnTokens) {
  ParsedSearch s = Parse("CareTeam", {{"status:not", "active,inactive"}}, true);
  ASSERT_EQ(s.query.criteria.size(), 1u);
  EXPECT_EQ(s.query.criteria[0].modifier, "not");
  EXPECT_EQ(s.query.criteria[0].any_of.size(), 2u);
  EXPECT_EQ(s.canonical, (Params{{"status:not", "active,inactive"}, {"_count", "50"}}));
  for (const char* name : {"name:not", "_id:not", "subject:not", "date:not"}) {
    const char* type = std::string(name) == "name:not" ? "Patient" : "CareTeam";
    EXPECT_EQ(ParseError(type, {{name, "x"}}).detail_code, "invalid") << name;
  }
}

TEST(SearchParams, Include) {
  ParsedSearch s = Parse("CareTeam", {{"_include", "CareTeam:subject"}, {"_include", "CareTeam:participant"},
                                      {"_include", "CareTeam:subject"}}, true);
  ASSERT_EQ(s.query.includes.size(), 2u);  // the repeat adds nothing
  EXPECT_EQ(s.query.includes[0].source_type, "CareTeam");
  EXPECT_EQ(s.query.includes[0].param, "subject");
  EXPECT_EQ(s.query.includes[0].target_type, "Patient");
  EXPECT_EQ(s.query.includes[1].param, "participant");
  EXPECT_EQ(s.query.includes[1].target_type, "");  // any type
  EXPECT_EQ(s.query.max_included, kMaxIncluded);
  EXPECT_EQ(s.canonical, (Params{{"_include", "CareTeam:subject"}, {"_include", "CareTeam:participant"},
                                 {"_count", "50"}}));
  EXPECT_EQ(Parse("CareTeam", {{"_include", "CareTeam:participant:PractitionerRole"}}, true).query.includes[0].target_type,
            "PractitionerRole");
}

TEST(SearchParams, RevInclude) {
  ParsedSearch s = Parse("Patient", {{"_revinclude", "CareTeam:subject"}, {"_revinclude", "EpisodeOfCare:patient"},
                                     {"_revinclude", "CareTeam:participant"}}, true);
  ASSERT_EQ(s.query.revincludes.size(), 3u);
  for (const auto& spec : s.query.revincludes) EXPECT_EQ(spec.target_type, "Patient");
  EXPECT_EQ(s.query.revincludes[1].source_type, "EpisodeOfCare");
  EXPECT_EQ(s.query.revincludes[1].param, "patient");
}

TEST(SearchParams, InvalidIncludesAreRefusedUnderStrictAndReportedOtherwise) {
  const std::vector<std::pair<const char*, Params>> cases = {
      {"Patient", {{"_include", "CareTeam:subject"}}},        // not the searched type
      {"CareTeam", {{"_include", "CareTeam:status"}}},        // not a reference parameter
      {"CareTeam", {{"_include", "CareTeam:nothing"}}},
      {"CareTeam", {{"_include", "CareTeam"}}},
      {"CareTeam", {{"_include", "*"}}},
      {"CareTeam", {{"_include", "CareTeam:subject:Organization"}}},  // subject refers to Patient
      {"CareTeam", {{"_include:iterate", "CareTeam:subject"}}},
      {"Organization", {{"_revinclude", "CareTeam:subject"}}},  // subject refers to Patient
      {"Patient", {{"_revinclude", "Nothing:subject"}}},
  };
  for (const auto& [type, params] : cases) {
    EXPECT_EQ(ParseError(type, params, true).detail_code, "not-supported") << params[0].second;
    ParsedSearch s = Parse(type, params);
    EXPECT_TRUE(s.query.includes.empty() && s.query.revincludes.empty()) << params[0].second;
    EXPECT_EQ(s.ignored.size(), 1u) << params[0].second;
    EXPECT_EQ(s.canonical, (Params{{"_count", "50"}})) << params[0].second;
  }
  Params many;
  for (size_t i = 0; i <= kMaxIncludeSpecs; ++i) {
    many.emplace_back("_revinclude", i % 2 ? "CareTeam:subject:Patient" : "CareTeam:subject");
    many.emplace_back("_revinclude", "EpisodeOfCare:patient");
  }
  auto repeated = ParseSearch(Type("Patient"), many, true);
  ASSERT_TRUE(repeated.ok());  // repeats are no new specs, so no more than the bound
  EXPECT_EQ(repeated->query.revincludes.size(), 2u);
}

TEST(SearchParams, Elements) {
  ParsedSearch s = Parse("Patient", {{"_elements", "identifier,name"}}, true);
  EXPECT_EQ(s.elements, (std::vector<std::string>{"identifier", "name"}));
  EXPECT_EQ(s.canonical, (Params{{"_elements", "identifier,name"}, {"_count", "50"}}));
  EXPECT_EQ(ParseError("Patient", {{"_elements", "name.given"}}).detail_code, "invalid");
  EXPECT_EQ(ParseError("Patient", {{"_elements", "name,1x"}}).detail_code, "invalid");
}

TEST(SearchParams, CursorIsKeptAsSentAndNotInCanonical) {
  ParsedSearch s = Parse("Patient", {{"_cursor", "abc-_"}, {"name", "x"}}, true);
  EXPECT_EQ(s.cursor, "abc-_");
  EXPECT_EQ(s.canonical, (Params{{"name", "x"}, {"_count", "50"}}));
  EXPECT_EQ(ParseError("Patient", {{"_cursor", "a"}, {"_cursor", "b"}}).detail_code, "invalid");
}

}  // namespace
}  // namespace nara::fhir

// Swedish first, English after in parentheses (docs/api.md, "Errors"): one bad input per error site
// of the parser, each text checked for that form, and most of them word for word.
namespace nara::fhir {
namespace {

struct BadSearch {
  const char* type;
  Params params;
  bool strict;
  std::string text;  // the exact text, or empty when only the form is checked
};

std::vector<BadSearch> Table() {
  std::string many;
  for (size_t i = 0; i <= kMaxSearchValues; ++i) many += (i ? "," : "") + std::string("x");
  return {
      {"Patient",
       {{"_include:iterate", "Patient:general-practitioner"}},
       true,
       "_include och _revinclude stöds bara utan modifierare "
       "(Only _include and _revinclude without a modifier are supported)"},
      {"Patient",
       {{"_count:x", "1"}},
       false,
       "parametern '_count' tar ingen modifierare (The parameter '_count' takes no modifier)"},
      {"Patient",
       {{"_foo", "1"}},
       true,
       "sökparametern '_foo' stöds inte (The search parameter '_foo' is not supported)"},
      {"Patient",
       {{"shoesize", "42"}},
       true,
       "okänd sökparameter 'shoesize' för Patient (Unknown search parameter 'shoesize' for Patient)"},
      {"Patient", {{"family:", "x"}}, false, "tom modifierare efter 'family' (Empty modifier after 'family')"},
      {"Patient",
       {{"_count", "1"}, {"_count", "2"}},
       false,
       "parametern _count får anges högst en gång (The parameter _count may be given only once)"},
      {"Patient",
       {{"_offset", "-1"}},
       false,
       "parametern _offset måste vara ett heltal, 0 eller större (The parameter _offset must be a whole number, 0 or "
       "more)"},
      {"Patient",
       {{"_summary", "true"}},
       true,
       "bara _summary=count och _summary=false stöds (Only _summary=count and _summary=false are supported)"},
      {"Patient",
       {{"_sort", "gender"}},
       true,
       "_sort tar en av _id, _lastUpdated, name, family, given, birthdate, address, address-city, address-postalcode "
       "(med - för fallande ordning) (_sort takes one of _id, _lastUpdated, name, family, given, birthdate, address, "
       "address-city, address-postalcode (with - for descending))"},
      {"CareTeam", {{"_sort", "family"}}, true, ""},
      {"Patient",
       {{"_include", "bogus"}},
       true,
       "_include tar Patient:param[:Target] med en referensparameter av den typen (se CapabilityStatement) "
       "(_include takes Patient:param[:Target] with a reference parameter of that type (see the "
       "CapabilityStatement))"},
      {"CareTeam",
       {{"_include", "CareTeam:participant:Nothing"}},
       true,
       "_include: okänd måltyp 'Nothing' (_include: unknown target type 'Nothing')"},
      {"CareTeam",
       {{"_include", "CareTeam:subject:Organization"}},
       true,
       "_include: subject refererar till Patient (_include: subject refers to Patient)"},
      {"Organization",
       {{"_revinclude", "CareTeam:subject"}},
       true,
       "_revinclude: CareTeam:subject refererar inte till Organization (_revinclude: CareTeam:subject does not refer "
       "to Organization)"},
      {"Patient",
       {{"gender.name", "x"}},
       false,
       "bara referensparametrar kan kedjas; gender är token (Only reference parameters can be chained; gender is "
       "token)"},
      {"CareTeam",
       {{"subject:bad-type.name", "x"}},
       false,
       "modifieraren före kedjan i 'subject:bad-type.name' måste vara en resurstyp (The modifier before the chain in "
       "'subject:bad-type.name' must be a resource type)"},
      {"CareTeam",
       {{"subject:Organization.name", "x"}},
       false,
       "sökparametern subject refererar till Patient, inte Organization (The search parameter subject refers to "
       "Patient, not Organization)"},
      {"CareTeam",
       {{"participant.name", "x"}},
       false,
       "participant kan referera till flera typer: ange en, t.ex. participant:PractitionerRole.identifier "
       "(participant may refer to several types: name one, e.g. participant:PractitionerRole.identifier)"},
      {"CareTeam",
       {{"participant:Nothing.name", "x"}},
       false,
       "okänd resurstyp 'Nothing' i 'participant:Nothing.name' (Unknown resource type 'Nothing' in "
       "'participant:Nothing.name')"},
      {"CareTeam",
       {{"subject.organization.name", "x"}},
       true,
       "kedjor stöds bara i en nivå (Chaining is supported one level deep only)"},
      {"CareTeam",
       {{"subject.shoesize", "x"}},
       true,
       "okänd sökparameter 'shoesize' för Patient i kedjan 'subject.shoesize' (Unknown search parameter 'shoesize' "
       "for Patient in the chain 'subject.shoesize')"},
      {"CareTeam", {{"shoesize.name", "x"}}, true, ""},
      {"CareTeam", {{"subject.family:", "x"}}, false, "tom modifierare efter 'family' (Empty modifier after 'family')"},
      {"Patient",
       {{"family:missing", "maybe"}},
       false,
       "värdet av 'family:missing' måste vara true eller false (The value of 'family:missing' must be true or false)"},
      {"CareTeam",
       {{"subject:Organization", "x"}},
       false,
       "sökparametern subject refererar till Patient, inte Organization (The search parameter subject refers to "
       "Patient, not Organization)"},
      {"Patient",
       {{"family", "\xff"}},
       false,
       "värdet av 'family' är inte giltig UTF-8-text (The value of 'family' is not valid UTF-8 text)"},
      {"Patient",
       {{"family", many}},
       false,
       "en sökning får pröva högst 1000 värden; dela upp den i flera sökningar (A search may test at most 1000 "
       "values; split it into several searches)"},
      {"Patient",
       {{"gender:exact", "x"}},
       false,
       "modifieraren ':exact' stöds inte för gender (token); de som stöds: :missing och :not (The modifier ':exact' "
       "is not supported on gender (token); supported: :missing and :not)"},
      {"Patient", {{"family:not", "x"}}, false, ""},
      {"CareTeam", {{"subject:exact", "x"}}, false, ""},
      {"Patient", {{"_id:missing", "true"}}, false, ""},
      {"Patient",
       {{"_id", "a b"}},
       false,
       "ett värde av _id är inte ett giltigt id (1-64 av A-Z a-z 0-9 - .) (A value of _id is not a valid id (1-64 of "
       "A-Z a-z 0-9 - .))"},
      {"Patient",
       {{"gender", "a|b|c"}},
       false,
       "ett värde av gender har mer än ett '|' (skriv det som \\|) (A value of gender has more than one '|' (escape "
       "it as \\|))"},
      {"Patient", {{"gender", "|"}}, false, ""},
      {"CareTeam",
       {{"subject", "a b"}},
       false,
       "ett värde av subject är inte ett giltigt id (1-64 av A-Z a-z 0-9 - .) (A value of subject is not a valid id "
       "(1-64 of A-Z a-z 0-9 - .))"},
      {"CareTeam",
       {{"subject", "Patient/a b"}},
       false,
       "ett värde av subject är inte en referens av formen [base/]Type/id (A value of subject is not a reference of "
       "the form [base/]Type/id)"},
      {"CareTeam", {{"subject", "https://x"}}, false, ""},
      {"CareTeam",
       {{"participant:Patient", "Organization/1"}},
       false,
       "ett värde av participant anger en annan typ än modifieraren :Patient (A value of participant names another "
       "type than the :Patient modifier)"},
      {"CareTeam",
       {{"subject", "Organization/1"}},
       false,
       "ett värde av subject måste referera till Patient (A value of subject must refer to Patient)"},
      {"Patient",
       {{"birthdate", "2026-13-01"}},
       false,
       "birthdate: ogiltigt datum '2026-13-01': månaden måste vara 01 till 12 (Invalid date '2026-13-01': month must "
       "be 01 to 12)"},
      {"Patient",
       {{"birthdate", "ap2026"}},
       false,
       "birthdate: datumprefixet 'ap' stöds inte; använd eq, ne, lt, gt, le, ge, sa eller eb (The date prefix 'ap' "
       "is not supported; use eq, ne, lt, gt, le, ge, sa or eb)"},
      {"Patient", {{"_total", "some"}}, false, ""},
      {"Patient", {{"_elements", "name.given"}}, false, ""},
      {"Patient", {{"_offset", "2147483647"}}, false, ""},
      {"Patient", {{"x", "1"}}, false, ""},  // lenient: only unknown criteria, refused by Finish
  };
}

TEST(SearchParamsSwedishFirst, EveryErrorTextIsSwedishThenEnglishInParentheses) {
  for (const auto& bad : Table()) {
    const std::string shown =
        std::string(bad.type) + "?" + bad.params[0].first + "=" + bad.params[0].second.substr(0, 40);
    SCOPED_TRACE(shown);
    auto parsed = ParseSearch(Type(bad.type), bad.params, bad.strict);
    ASSERT_FALSE(parsed.ok()) << shown;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(parsed.error().text));
    if (!bad.text.empty()) {
      EXPECT_EQ(parsed.error().text, bad.text);
    }
  }
}

}  // namespace
}  // namespace nara::fhir
