// Overload and slow clients (issue 8): the FHIR server's worker threads cannot be held by clients that
// connect and say nothing, or trickle a request one byte at a time (slowloris); and a request beyond the
// workers is answered 503 + Retry-After at once instead of waiting behind them.
//
// Each test runs its own `nara serve` with two worker threads, so a handful of connections is "more than
// the workers". Assertions are functional (served / closed / 503), with generous bounds, never latencies.
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/scrape.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

Poco::Net::Context::Ptr ClientContext() {
  const auto& shared = Server::Shared();
  Poco::Net::Context::Params params;
  params.caLocation = shared.Pki("ca-bundle.pem");
  params.certificateFile = shared.Pki("clients/admin.pem");
  params.privateKeyFile = shared.Pki("clients/admin.key");
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = false;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

// A TLS connection with the handshake done (so the server has given it a worker) that sends nothing yet.
std::unique_ptr<Poco::Net::SecureStreamSocket> Handshaken(int port) {
  auto socket = std::make_unique<Poco::Net::SecureStreamSocket>(
      Poco::Net::SocketAddress("localhost", static_cast<Poco::UInt16>(port)), "localhost", ClientContext());
  socket->completeHandshake();
  return socket;
}

// Waits (up to `limit`) for the server to close `socket`, reading and keeping whatever it sends.
// True if it closed (end of stream or a reset), false if it was still open at the limit.
bool ClosedByServer(Poco::Net::StreamSocket& socket, std::chrono::seconds limit, std::string& received) {
  const auto until = Clock::now() + limit;
  char buffer[512];
  while (Clock::now() < until) {
    try {
      socket.setReceiveTimeout(Poco::Timespan(1, 0));
      const int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return true;
      received.append(buffer, static_cast<size_t>(n));
    } catch (const Poco::TimeoutException&) {
      continue;
    } catch (const std::exception&) {
      return true;  // reset, or the TLS layer saw the connection end
    }
  }
  return false;
}

struct SlowClient {
  std::string kind;
  bool connected = false;
  bool closed = false;
  long bytes_sent = 0;
  std::string received;
  std::string error;
};

TEST(Overload, SlowClientsDoNotHoldTheWorkers) {
  OwnServer server("overload", {{"NARA_THREADS", "2"}, {"NARA_QUEUE", "8"}, {"NARA_REQUEST_TIMEOUT_SECONDS", "2"}});
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  const int port = server.port();

  // Seven slow connections against two workers: three never say hello, two finish the TLS handshake and
  // then say nothing, two trickle an endless header one byte every 250 ms.
  const std::vector<std::string> kinds = {"silent-tcp", "silent-tcp", "silent-tcp", "silent-tls",
                                          "silent-tls", "trickle",    "trickle"};
  std::vector<SlowClient> slow(kinds.size());
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kinds.size(); ++i) {
    slow[i].kind = kinds[i];
    threads.emplace_back([&, i] {
      SlowClient& me = slow[i];
      try {
        if (me.kind == "silent-tcp") {
          Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
          me.connected = true;
          started++;
          me.closed = ClosedByServer(socket, seconds(60), me.received);
          return;
        }
        auto socket = Handshaken(port);
        me.connected = true;
        started++;
        if (me.kind == "silent-tls") {
          me.closed = ClosedByServer(*socket, seconds(60), me.received);
          return;
        }
        const std::string request = "GET /fhir/metadata HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
        const auto until = Clock::now() + seconds(60);
        while (Clock::now() < until && !me.closed) {
          const char byte = me.bytes_sent < static_cast<long>(request.size()) ? request[me.bytes_sent] : 'a';
          try {
            socket->sendBytes(&byte, 1);
            me.bytes_sent++;
          } catch (const std::exception&) {
            me.closed = true;
            break;
          }
          if (socket->poll(Poco::Timespan(0, 250000), Poco::Net::Socket::SELECT_READ)) {
            me.closed = ClosedByServer(*socket, seconds(5), me.received);
          }
        }
      } catch (const std::exception& e) {
        me.error = e.what();
        started++;
      }
    });
  }
  while (started < static_cast<int>(kinds.size())) std::this_thread::sleep_for(milliseconds(20));

  // A normal client is served while the slow ones are there: perhaps told 503 (every worker busy) at
  // first, but never left hanging, and served once the slow connections have been closed.
  auto client = server.Client("admin");
  bool served = false;
  std::vector<int> statuses;
  const auto until = Clock::now() + seconds(60);
  while (!served && Clock::now() < until) {
    auto result = client->Request("GET", "/fhir/metadata");
    statuses.push_back(result.status);
    if (result.status == 200) served = true;
    else std::this_thread::sleep_for(milliseconds(200));
  }
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(served) << "the normal client was never served";
  for (int status : statuses) EXPECT_TRUE(status == 200 || status == 503) << "status " << status;
  for (const auto& me : slow) {
    EXPECT_TRUE(me.connected) << me.kind << ": " << me.error;
    EXPECT_TRUE(me.closed) << me.kind << " connection was never closed by the server";
    EXPECT_EQ(me.received.find("200 OK"), std::string::npos) << me.kind << " got an answer: " << me.received;
  }
  for (const auto& me : slow) {
    if (me.kind == "trickle") {
      EXPECT_LT(me.bytes_sent, 200) << "a trickling client was allowed to go on";
    }
  }
  std::printf("[overload] normal client: %zu attempts before 200; trickle bytes sent before close: %ld, %ld\n",
              statuses.size(), slow[5].bytes_sent, slow[6].bytes_sent);
  EXPECT_TRUE(server.process().running());
  // At least the tricklers were closed by the request deadline (the silent ones may also meet Poco's
  // own first-read timeout, which is as long).
  EXPECT_GE(Sample(Scrape(server.ops_port()), "nara_http_connections_timed_out_total"), 2);
}

TEST(Overload, BeyondTheWorkersIsA503NotAWait) {
  // A long request timeout: the two holders keep both workers for the whole test unless we let go.
  OwnServer server("overload", {{"NARA_THREADS", "2"}, {"NARA_REQUEST_TIMEOUT_SECONDS", "120"}});
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());

  // Both workers hold a connection whose handshake is done (the server reads it on the worker).
  auto first = Handshaken(server.port());
  auto second = Handshaken(server.port());

  auto client = server.Client("admin");
  auto refused = client->Request("GET", "/fhir/metadata");
  ASSERT_EQ(refused.status, 503) << refused.error << refused.body;
  EXPECT_EQ(IssueCode(refused.body), "transient");
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_EQ(Sample(Scrape(server.ops_port()), "nara_http_overloaded_total"), 1);

  // Once the workers are free again the same client is served.
  first->close();
  second->close();
  int status = 0;
  const auto until = Clock::now() + seconds(30);
  while (status != 200 && Clock::now() < until) {
    status = client->Request("GET", "/fhir/metadata").status;
    if (status != 200) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace nara::e2e
