// Reading /metrics in e2e tests: one scrape of the operations port, and one sample's value from it.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <string>

namespace nara::e2e {

inline std::string Scrape(int ops_port, std::string* content_type = nullptr) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(ops_port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/metrics", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
  if (content_type) *content_type = response.getContentType();
  return body;
}

// The value of the sample `name{labels}` (or a bare `name`) in a scrape; -1 when absent.
inline double Sample(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const std::string lines = "\n" + text;
  const size_t at = lines.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(lines.substr(at + key.size()));
}

}  // namespace nara::e2e
