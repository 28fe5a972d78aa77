// The log never carries a personnummer, whatever a caller passes (docs/api.md section 7); while the
// server buffers its info lines, nothing is lost or reordered (app/log.h LogBuffering).
#include "app/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nara::app {
namespace {

TEST(MaskPersonIds, MasksTwelveTenAndSeparatedForms) {
  EXPECT_EQ(MaskPersonIds("pnr 191212121212 found"), "pnr <personnummer> found");
  EXPECT_EQ(MaskPersonIds("Key (value)=(7106254787)"), "Key (value)=(<personnummer>)");
  EXPECT_EQ(MaskPersonIds("19121212-1212 and 121212+1212"), "<personnummer> and <personnummer>");
}

TEST(MaskPersonIds, KeepsHsaIdsTimestampsAndCounts) {
  EXPECT_EQ(MaskPersonIds("caller SE2321000016-E001"), "caller SE2321000016-E001");
  EXPECT_EQ(MaskPersonIds("unit SE162321000024-0001"), "unit SE162321000024-0001");
  EXPECT_EQ(MaskPersonIds("2026-11-23T10:00:00.123Z"), "2026-11-23T10:00:00.123Z");
  EXPECT_EQ(MaskPersonIds("written 541 in 17 ms, request 26256e-00000002"), "written 541 in 17 ms, request 26256e-00000002");
}

// stderr sent to a file for the test's length, and what has reached it so far.
class CapturedStderr {
 public:
  CapturedStderr() {
    char name[] = "/tmp/nara-log-test-XXXXXX";
    const int fd = ::mkstemp(name);
    path_ = name;
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~CapturedStderr() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::remove(path_.c_str());
  }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }
  // Polls (bounded) until `text` has arrived.
  bool Eventually(const std::string& text) const {
    for (int i = 0; i < 400; ++i) {
      if (Text().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  std::string path_;
  int saved_ = -1;
};

TEST(Log, WithoutBufferingALineIsWrittenBeforeLogReturns) {
  CapturedStderr err;
  Log("info", "test.unbuffered", {{"n", "1"}});
  EXPECT_NE(err.Text().find(R"("event":"test.unbuffered","n":"1"})"), std::string::npos) << err.Text();
}

TEST(Log, BufferedInfoLinesArriveInOrderAndAWarningTakesThemAlong) {
  CapturedStderr err;
  {
    LogBuffering buffering;
    Log("info", "test.first");
    EXPECT_TRUE(err.Eventually("test.first")) << "an info line waits 50 ms at most, not until more come";
    Log("info", "test.second");
    Log("info", "test.third");
    Log("warn", "test.warning");
    // The warning is written before Log returns, and with it every line logged before it, in order.
    const std::string text = err.Text();
    const size_t second = text.find("test.second"), third = text.find("test.third"), warning = text.find("test.warning");
    ASSERT_NE(warning, std::string::npos) << text;
    ASSERT_NE(second, std::string::npos) << text;
    ASSERT_NE(third, std::string::npos) << text;
    EXPECT_LT(text.find("test.first"), second);
    EXPECT_LT(second, third);
    EXPECT_LT(third, warning);
    Log("info", "test.last");
  }
  // The end of the buffering writes what waits.
  EXPECT_NE(err.Text().find("test.last"), std::string::npos) << err.Text();
  int lines = 0;
  for (const char c : err.Text()) lines += c == '\n';
  EXPECT_EQ(lines, 5) << err.Text();
}

TEST(Log, ManyBufferedLinesFromManyThreadsAreAllWrittenWhole) {
  CapturedStderr err;
  {
    LogBuffering buffering;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < 2000; ++i) Log("info", "test.many", {{"t", std::to_string(t)}, {"i", std::to_string(i)}});
      });
    }
    for (auto& thread : threads) thread.join();
  }
  std::istringstream text(err.Text());
  int lines = 0;
  for (std::string line; std::getline(text, line); ++lines) {
    ASSERT_EQ(line.front(), '{') << line;
    ASSERT_EQ(line.back(), '}') << line;
  }
  EXPECT_EQ(lines, 16000);
}

}  // namespace
}  // namespace nara::app
