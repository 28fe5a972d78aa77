#include "tests/e2e/subscription_receiver.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "auth/tls_context.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(SubscriptionReceiver& receiver) : receiver_(receiver) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    std::string caller;
    auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
    Poco::Net::SecureStreamSocket socket(impl.socket());
    if (socket.havePeerCertificate()) caller = socket.peerCertificate().subjectName();
    const int status = receiver_.Handle(body, caller);
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentLength(0);
    response.send();
  }

 private:
  SubscriptionReceiver& receiver_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(SubscriptionReceiver& receiver) : receiver_(receiver) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(receiver_);
  }

 private:
  SubscriptionReceiver& receiver_;
};

std::string Str(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name) || !v[name].IsString()) return {};
  return v[name].GetString();
}

Notification ParseNotification(const std::string& body) {
  Notification n;
  n.body = body;
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("entry") || !doc["entry"].IsArray()) return n;
  const auto& entries = doc["entry"].GetArray();
  for (rapidjson::SizeType i = 1; i < entries.Size(); ++i) n.resources.push_back(Str(entries[i], "fullUrl"));
  if (entries.Empty() || !entries[0].HasMember("resource")) return n;
  const auto& params = entries[0]["resource"];
  if (!params.HasMember("parameter") || !params["parameter"].IsArray()) return n;
  for (const auto& p : params["parameter"].GetArray()) {
    const std::string name = Str(p, "name");
    if (name == "type") n.type = Str(p, "valueCode");
    if (name == "status") n.status = Str(p, "valueCode");
    if (name == "events-since-subscription-start") n.since_start = std::stoll(Str(p, "valueString"));
    if (name == "subscription" && p.HasMember("valueReference")) {
      const std::string ref = Str(p["valueReference"], "reference");
      n.subscription = ref.substr(ref.rfind('/') + 1);
    }
    if (name == "notification-event" && p.HasMember("part")) {
      for (const auto& part : p["part"].GetArray()) {
        if (Str(part, "name") == "event-number") n.numbers.push_back(std::stoll(Str(part, "valueString")));
        if (Str(part, "name") == "focus" && part.HasMember("valueReference")) {
          const std::string ref = Str(part["valueReference"], "reference");
          const auto fhir = ref.find("/fhir/");
          n.focus.push_back(fhir == std::string::npos ? ref : ref.substr(fhir + 6));
        }
      }
    }
  }
  return n;
}

}  // namespace

SubscriptionReceiver::SubscriptionReceiver(Mode mode) : mode_(mode) {
  const auto& shared = Server::Shared();
  // The client CA bundle, no CRL: the server's certificate is checked for chain, dates and clientAuth.
  auto context = auth::MakeServerContext({shared.Pki("server.pem"), shared.Pki("server.key"),
                                          shared.Pki("ca-bundle.pem"), ""});
  Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
  port_ = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(32);
  params->setKeepAlive(true);  // the server keeps a connection per subscription
  params->setKeepAliveTimeout(Poco::Timespan(2, 0));
  threads_ = std::make_unique<Poco::ThreadPool>(2, 32);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *threads_, socket, params);
  server_->start();
}

SubscriptionReceiver::~SubscriptionReceiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stopAll(true);
  threads_->joinAll();
}

std::string SubscriptionReceiver::Endpoint() const { return "https://localhost:" + std::to_string(port_) + "/hook"; }

void SubscriptionReceiver::SetMode(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = mode;
}

void SubscriptionReceiver::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
  }
  changed_.notify_all();
}

int SubscriptionReceiver::Handle(const std::string& body, const std::string& caller) {
  std::unique_lock<std::mutex> lock(mu_);
  ++attempts_;
  if (mode_ == Mode::down) return 503;
  if (mode_ == Mode::hang) {
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_ || stopping_; });
    --held_;
    if (stopping_) return 503;
  }
  received_.push_back(ParseNotification(body));
  received_.back().arrived = std::chrono::steady_clock::now();
  received_.back().caller = caller;
  changed_.notify_all();
  return 200;
}

std::vector<Notification> SubscriptionReceiver::Received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

int SubscriptionReceiver::attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

int SubscriptionReceiver::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

bool SubscriptionReceiver::WaitFor(const std::function<bool(const std::vector<Notification>&)>& done,
                                   std::chrono::seconds limit) const {
  // The condition is looked at without the lock (it may ask the server or this receiver), after each
  // request that arrives and at least every 100 ms (for conditions on the server's side).
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    size_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = attempts_ + received_.size();
    }
    if (done(Received())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::milliseconds(100), [&] { return attempts_ + received_.size() != seen; });
  }
}

bool SubscriptionReceiver::WaitHeld(std::chrono::seconds limit) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, limit, [&] { return held_ > 0; });
}

std::vector<long long> SubscriptionReceiver::Numbers(const std::string& subscription) const {
  std::vector<long long> numbers;
  for (const auto& n : Received()) {
    if (n.subscription != subscription || n.type != "event-notification") continue;
    numbers.insert(numbers.end(), n.numbers.begin(), n.numbers.end());
  }
  return numbers;
}

std::string GaplessProblem(std::vector<long long> numbers, long long expected) {
  std::set<long long> distinct(numbers.begin(), numbers.end());
  for (long long i = 1; i <= expected; ++i) {
    if (!distinct.count(i)) return "event " + std::to_string(i) + " never arrived";
  }
  if (!distinct.empty() && *distinct.rbegin() > expected) {
    return "event " + std::to_string(*distinct.rbegin()) + " beyond the expected " + std::to_string(expected);
  }
  if (!distinct.empty() && *distinct.begin() < 1) return "an event numbered below 1";
  return {};
}

}  // namespace nara::e2e
