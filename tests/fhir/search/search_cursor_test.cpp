#include "fhir/search/search_cursor.h"

#include <gtest/gtest.h>

#include <string>

namespace nara::fhir {
namespace {

const QueryParams kSearch = {{"name", "berg"}, {"_sort", "-_lastUpdated"}, {"_count", "10"}};

TEST(SearchCursor, RoundTripsAndIsUrlSafe) {
  const std::string fp = SearchFingerprint(kSearch);
  for (const SearchCursor& c : {SearchCursor{"2026-11-23T10:00:00.123456Z", "p-1.x", false},
                                SearchCursor{"infinity", "abc", true}, SearchCursor{"-infinity", "A", false}}) {
    const std::string token = EncodeCursor(c, fp);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << token;
    auto back = DecodeCursor(token, fp, SortKey::last_updated);
    ASSERT_TRUE(back.ok()) << back.error().text;
    EXPECT_EQ(back->key, c.key);
    EXPECT_EQ(back->id, c.id);
    EXPECT_EQ(back->before, c.before);
  }
  // Id order: no key.
  auto by_id = DecodeCursor(EncodeCursor({"", "p7", false}, fp), fp, SortKey::id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->id, "p7");
}

// A text key (a string parameter's sort) is "=" and the value, or empty for a resource without one;
// any text comes back as it went, a line break and a backslash too.
TEST(SearchCursor, TextKeysRoundTrip) {
  const std::string fp = SearchFingerprint(kSearch);
  for (const std::string& key : {std::string("=Åberg"), std::string(""), std::string("="), std::string("=två\nrader\n"),
                                 std::string("=a\nb\\"), std::string("=") + std::string(600, 'x')}) {
    auto back = DecodeCursor(EncodeCursor({key, "p-1", true}, fp), fp, SortKey::text);
    ASSERT_TRUE(back.ok()) << key << ": " << back.error().text;
    EXPECT_EQ(back->key, key);
    EXPECT_TRUE(back->before);
  }
  // A key of another kind of order is not a text key, nor the other way round.
  EXPECT_FALSE(DecodeCursor(EncodeCursor({"2026-11-23T10:00:00Z", "p1", false}, fp), fp, SortKey::text).ok());
  EXPECT_FALSE(DecodeCursor(EncodeCursor({"=Åberg", "p1", false}, fp), fp, SortKey::period_start).ok());
}

TEST(SearchCursor, FingerprintIgnoresTheCountOnly) {
  QueryParams other_count = kSearch;
  other_count[2].second = "500";
  EXPECT_EQ(SearchFingerprint(other_count), SearchFingerprint(kSearch));
  QueryParams other_name = kSearch;
  other_name[0].second = "berga";
  EXPECT_NE(SearchFingerprint(other_name), SearchFingerprint(kSearch));
  QueryParams other_sort = kSearch;
  other_sort[1].second = "_lastUpdated";
  EXPECT_NE(SearchFingerprint(other_sort), SearchFingerprint(kSearch));
  // Names and values do not run into each other.
  EXPECT_NE(SearchFingerprint({{"ab", "c"}}), SearchFingerprint({{"a", "bc"}}));
}

TEST(SearchCursor, ACursorOfAnotherSearchOrAForgedOneIsInvalid) {
  const std::string fp = SearchFingerprint(kSearch);
  const std::string token = EncodeCursor({"2026-11-23T10:00:00.000000Z", "p1", false}, fp);
  QueryParams other = kSearch;
  other[0].second = "holm";
  auto moved = DecodeCursor(token, SearchFingerprint(other), SortKey::last_updated);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().kind, ErrorKind::invalid);
  // Keys PostgreSQL would refuse are refused here (400, never a database error).
  for (const std::string& key : {std::string("2026"), std::string("2026-13-01T00:00:00Z"), std::string("x'; --"),
                                 std::string("")}) {
    EXPECT_FALSE(DecodeCursor(EncodeCursor({key, "p1", false}, fp), fp, SortKey::last_updated).ok()) << key;
  }
  EXPECT_FALSE(DecodeCursor(EncodeCursor({"2026-11-23T10:00:00Z", "p1", false}, fp), fp, SortKey::id).ok())
      << "a key where the order has none";
  EXPECT_FALSE(DecodeCursor(EncodeCursor({"", "bad id!", false}, fp), fp, SortKey::id).ok());
  for (const std::string& junk : {std::string("!!!"), std::string("YQ"), std::string(600, 'A'), std::string()}) {
    EXPECT_FALSE(DecodeCursor(junk, fp, SortKey::id).ok()) << junk;
  }
}

}  // namespace
}  // namespace nara::fhir
