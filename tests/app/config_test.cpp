#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace nara::app {
namespace {

TEST(DefaultDbPoolSizeTest, IsTwiceTheCoresWithinFourAndSixteen) {
  EXPECT_EQ(DefaultDbPoolSize(0), 4);  // hardware_concurrency() could not tell
  EXPECT_EQ(DefaultDbPoolSize(1), 4);
  EXPECT_EQ(DefaultDbPoolSize(2), 4);
  EXPECT_EQ(DefaultDbPoolSize(3), 6);
  EXPECT_EQ(DefaultDbPoolSize(8), 16);
  EXPECT_EQ(DefaultDbPoolSize(64), 16);  // beyond, a deployment sizes it for its database's cores
}

TEST(DefaultDbPoolSizeTest, IsTheDefaultAndTheSettingOverridesIt) {
  ::unsetenv("NARA_DB_POOL_SIZE");
  EXPECT_EQ(LoadConfig("").db_pool_size, DefaultDbPoolSize(std::thread::hardware_concurrency()));
  ::setenv("NARA_DB_POOL_SIZE", "24", 1);
  EXPECT_EQ(LoadConfig("").db_pool_size, 24);
  ::unsetenv("NARA_DB_POOL_SIZE");
}

TEST(UpgradeStatusIndexRowsTest, IsOffUnlessSaidAndRefusesAnythingButOffOrOn) {
  ::unsetenv("NARA_UPGRADE_STATUS_INDEX_ROWS");
  EXPECT_EQ(LoadConfig("").upgrade_status_index_rows, "off");
  ::setenv("NARA_UPGRADE_STATUS_INDEX_ROWS", "on", 1);
  EXPECT_EQ(LoadConfig("").upgrade_status_index_rows, "on");
  ::setenv("NARA_UPGRADE_STATUS_INDEX_ROWS", "yes", 1);
  EXPECT_THROW(LoadConfig(""), std::runtime_error);
  ::unsetenv("NARA_UPGRADE_STATUS_INDEX_ROWS");
}

}  // namespace
}  // namespace nara::app
