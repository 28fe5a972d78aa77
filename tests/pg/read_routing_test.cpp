// Read routing's bookkeeping (pg/read_routing.h) on a real PostgreSQL: the commit position a write
// records for its caller, the bounded memory of those positions, and the text form of a position. The
// routing between a standby and the primary is shown end to end in tests/e2e/read_replica_test.cpp.
#include "pg/read_routing.h"

#include <gtest/gtest.h>

#include <string>

#include "pg/internal/read_router.h"
#include "tests/pg/pg_store_fixture.h"

namespace nara::pg {
namespace {

TEST(ReadRouting, LsnTextRoundTripsAndRejectsAnythingElse) {
  EXPECT_EQ(ParseLsn("16/B374D848").value_or(1), (Lsn{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(ParseLsn("0/0").value_or(1), Lsn{0});
  EXPECT_EQ(ParseLsn("ff/1a").value_or(1), (Lsn{0xFF} << 32) | 0x1Au);
  EXPECT_EQ(FormatLsn((Lsn{0x16} << 32) | 0xB374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(*ParseLsn("FFFFFFFF/FFFFFFFF")), "FFFFFFFF/FFFFFFFF");
  for (const char* bad :
       {"", "/", "16/", "/B3", "16B374D848", "16/B374D848/1", "123456789/0", "0/123456789", "G/0", "-1/0", " 16/B3"}) {
    EXPECT_FALSE(ParseLsn(bad).has_value()) << bad;
  }
}

TEST(ReadRouting, WriteRecordsTheCallersCommitPositionAndOnlyTheLatestCallersAreKept) {
  const std::string url = testing::MigratedDatabase("read_routing");
  PgStore store(url, 2);
  ReadRoutingOptions options;
  options.url = url;  // the primary itself stands in for the standby: only the bookkeeping is tested here
  options.pool_size = 1;
  options.max_callers = 2;
  ReadRouter router(options);
  store.RouteReads(&router);

  Lsn positions[3] = {0, 0, 0};
  const char* callers[3] = {"SE2321000016-A", "SE2321000016-B", "SE2321000016-C"};
  for (int i = 0; i < 3; ++i) {
    ReadSession session(callers[i], 0);
    ASSERT_TRUE(testing::WriteOne(store, Request("Organization", "rr" + std::to_string(i))).ok());
    positions[i] = session.committed();
    EXPECT_GT(positions[i], Lsn{0}) << "a write records where its commit is";
    if (i > 0) {
      EXPECT_GT(positions[i], positions[i - 1]) << "later commits are later in the WAL";
    }
    EXPECT_EQ(router.impl().Needed(), positions[i]);
  }
  // Two callers are remembered: the least recent writer is forgotten, the others' positions kept.
  {
    ReadSession a(callers[0], 0);
    EXPECT_EQ(router.impl().Needed(), Lsn{0});
    ReadSession c(callers[2], 0);
    EXPECT_EQ(router.impl().Needed(), positions[2]);
  }
  // A client's echoed position counts as much as one remembered here.
  {
    ReadSession a(callers[0], positions[1]);
    EXPECT_EQ(router.impl().Needed(), positions[1]);
  }
  // A read only (a search) records nothing; outside a request nothing is recorded either.
  {
    ReadSession reader("SE2321000016-R", 0);
    SearchQuery query;
    query.type = "Organization";
    ASSERT_TRUE(store.Search(query).ok());
    EXPECT_EQ(reader.committed(), Lsn{0});
    EXPECT_EQ(router.impl().Needed(), Lsn{0});
  }
  ASSERT_TRUE(testing::WriteOne(store, Request("Organization", "rr-worker")).ok());
  EXPECT_EQ(ReadSession::Current(), nullptr);
}

}  // namespace
}  // namespace nara::pg
