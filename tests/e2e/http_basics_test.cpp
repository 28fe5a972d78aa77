// HTTP basics as an EHR integrator's client sees them on the wire (issue 14): the standard reason
// phrase in every status line, OPTIONS/TRACE and body-less POSTs answered at once instead of after the
// read timeout, HEAD, If-None-Match and If-Modified-Since, and gzip for a client that asks for it.
#include <Poco/InflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

// Writes `request` as it is over a fresh mutual-TLS connection as the ehr client and returns every
// byte the server sends until it closes the connection (the requests say Connection: close). The
// 60-second bound only ends a hung test: a server that answers does so at once.
std::string RawExchange(const std::string& request) {
  const auto& server = Server::Shared();
  Poco::Net::Context::Params params;
  params.caLocation = server.Pki("ca-bundle.pem");
  params.certificateFile = server.Pki("clients/ehr.pem");
  params.privateKeyFile = server.Pki("clients/ehr.key");
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = false;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  Poco::Net::SecureStreamSocket socket(
      Poco::Net::SocketAddress("localhost", static_cast<Poco::UInt16>(server.port())), "localhost", context);
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  socket.setReceiveTimeout(Poco::Timespan(60, 0));
  std::string received;
  char buffer[4096];
  try {
    for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) received.append(buffer, static_cast<size_t>(n));
  } catch (const Poco::Exception&) {
    // a reset or the timeout: what arrived is the answer
  }
  return received;
}

std::string StatusLine(const std::string& response) { return response.substr(0, response.find("\r\n")); }

std::string Request(const std::string& method, const std::string& path, const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + extra + "\r\n";
}

TEST(HttpBasics, StatusLinesCarryTheStandardReasonPhrase) {
  EXPECT_EQ(StatusLine(RawExchange(Request("GET", "/fhir/metadata"))), "HTTP/1.1 200 OK");
  EXPECT_EQ(StatusLine(RawExchange(Request("GET", "/fhir/Patient/does-not-exist"))), "HTTP/1.1 404 Not Found");
  const std::string bad_pnr =
      R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})";
  EXPECT_EQ(StatusLine(RawExchange(Request("POST", "/fhir/Patient",
                                           "Content-Type: application/fhir+json\r\nContent-Length: " +
                                               std::to_string(bad_pnr.size()) + "\r\n") +
                                   bad_pnr)),
            "HTTP/1.1 422 Unprocessable Entity");
}

TEST(HttpBasics, RequestsWithoutABodyAreAnsweredAtOnce) {
  // RFC 9112 6.3: no Content-Length and no Transfer-Encoding is an empty body, not "read to the end".
  const std::string options = RawExchange(Request("OPTIONS", "/fhir/Patient"));
  EXPECT_EQ(StatusLine(options), "HTTP/1.1 204 No Content") << options;
  EXPECT_NE(options.find("Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"), std::string::npos) << options;

  const std::string trace = RawExchange(Request("TRACE", "/fhir/Patient"));
  EXPECT_EQ(StatusLine(trace), "HTTP/1.1 405 Method Not Allowed") << trace;
  EXPECT_NE(trace.find("Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"), std::string::npos) << trace;

  const std::string post = RawExchange(Request("POST", "/fhir/Patient", "Content-Type: application/fhir+json\r\n"));
  EXPECT_EQ(StatusLine(post), "HTTP/1.1 400 Bad Request") << post;
  EXPECT_NE(post.find("OperationOutcome"), std::string::npos) << post;
}

TEST(HttpBasics, HeadIsTheGetWithoutItsBody) {
  auto client = Server::Shared().Client("ehr");
  auto created = client->Request("POST", "/fhir/Patient", PatientJson(reg::NextPersonnummer(), "Huvudsson"), reg::kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = At(Parse(created.body), "/id");
  auto get = client->Request("GET", "/fhir/Patient/" + id);
  auto head = client->Request("HEAD", "/fhir/Patient/" + id);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.headers["content-length"], std::to_string(get.body.size()));
  EXPECT_EQ(head.headers["etag"], get.headers["etag"]);
  EXPECT_EQ(head.headers["content-type"], get.headers["content-type"]);
  // The connection is still good for the next request.
  EXPECT_EQ(client->Request("GET", "/fhir/Patient/" + id).status, 200);
}

TEST(HttpBasics, IfNoneMatchOfTheCurrentVersionIs304) {
  auto client = Server::Shared().Client("ehr");
  auto created = client->Request("POST", "/fhir/Patient", PatientJson(reg::NextPersonnummer(), "Cachesson"), reg::kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = At(Parse(created.body), "/id");
  auto same = client->Request("GET", "/fhir/Patient/" + id, "", {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.headers["etag"], "W/\"1\"");
  auto other = client->Request("GET", "/fhir/Patient/" + id, "", {{"If-None-Match", "W/\"7\""}});
  EXPECT_EQ(other.status, 200);
  auto vread = client->Request("GET", "/fhir/Patient/" + id + "/_history/1", "", {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(vread.status, 304);
}

// A client polling with the Last-Modified it was given (FHIR R4 allows If-Modified-Since on a read).
TEST(HttpBasics, IfModifiedSinceTheLastModifiedIs304) {
  auto client = Server::Shared().Client("ehr");
  auto created =
      client->Request("POST", "/fhir/Patient", PatientJson(reg::NextPersonnummer(), "Pollsson"), reg::kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = At(Parse(created.body), "/id");
  auto first = client->Request("GET", "/fhir/Patient/" + id);
  ASSERT_EQ(first.status, 200);
  const std::string last_modified = first.headers["last-modified"];
  ASSERT_FALSE(last_modified.empty());
  auto same = client->Request("GET", "/fhir/Patient/" + id, "", {{"If-Modified-Since", last_modified}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.headers["last-modified"], last_modified);
  auto older =
      client->Request("GET", "/fhir/Patient/" + id, "", {{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}});
  EXPECT_EQ(older.status, 200);
  EXPECT_EQ(older.body, first.body);
}

std::string Gunzip(const std::string& compressed) {
  std::istringstream in(compressed);
  Poco::InflatingInputStream gunzip(in, Poco::InflatingStreamBuf::STREAM_GZIP);
  std::ostringstream out;
  out << gunzip.rdbuf();
  return out.str();
}

TEST(HttpBasics, GzipForAClientThatAsks) {
  auto client = Server::Shared().Client("ehr");
  auto plain = client->Request("GET", "/fhir/metadata");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_EQ(plain.headers["vary"], "Accept-Encoding");
  auto zipped = client->Request("GET", "/fhir/metadata", "", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.headers["content-encoding"], "gzip");
  EXPECT_EQ(zipped.headers["vary"], "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), plain.body.size() / 3);
  EXPECT_EQ(Gunzip(zipped.body), plain.body);
  auto refused = client->Request("GET", "/fhir/metadata", "", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.headers.count("content-encoding"), 0u);
  // A small body is not worth compressing.
  auto small = client->Request("GET", "/fhir/Patient/does-not-exist", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(small.status, 404);
  EXPECT_EQ(small.headers.count("content-encoding"), 0u);
}

// An answer larger than a TLS record (a search page of 170 Patients, about 75 kB, and the 15 kB
// CapabilityStatement) arrives whole on a kept-alive connection, with the request after it answered
// on the same connection: the server writes the headers and the body to the socket itself.
TEST(HttpBasics, LargeAnswersArriveWholeOnAKeptAliveConnection) {
  auto client = Server::Shared().Client("ehr");
  const std::string family = "Storsvarsson" + reg::NextPersonnummer().substr(8);
  for (int i = 0; i < 170; ++i) {
    auto created = client->Request("POST", "/fhir/Patient", PatientJson(reg::NextPersonnummer(), family), reg::kFhirJson);
    ASSERT_EQ(created.status, 201) << created.body;
  }
  const std::string page = "/fhir/Patient?family=" + family + "&_count=200";
  auto get = client->Request("GET", page);
  ASSERT_EQ(get.status, 200) << get.body;
  ASSERT_GT(get.body.size(), 65536u);
  EXPECT_EQ(At(Parse(get.body), "/total"), "170");
  auto head = client->Request("HEAD", page);
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.headers["content-length"], std::to_string(get.body.size()));

  // The same three answers on the wire, back to back on one connection.
  // (The Host the client library sends, so the links match.)
  const std::string host = "Host: localhost:" + std::to_string(Server::Shared().port()) + "\r\n";
  const std::string wire = RawExchange("GET " + page + " HTTP/1.1\r\n" + host + "\r\n" +
                                       "GET /fhir/metadata HTTP/1.1\r\n" + host + "\r\n" +
                                       "GET " + page + " HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
  size_t at = 0;
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(wire.compare(at, 15, "HTTP/1.1 200 OK"), 0) << "answer " << i << " at byte " << at;
    const size_t end = wire.find("\r\n\r\n", at);
    ASSERT_NE(end, std::string::npos);
    const std::string headers = wire.substr(at, end - at);
    const size_t length_at = headers.find("Content-Length: ");
    ASSERT_NE(length_at, std::string::npos) << headers;
    const size_t length = std::stoul(headers.substr(length_at + 16));
    ASSERT_LE(end + 4 + length, wire.size()) << "answer " << i << " cut short";
    bodies.push_back(wire.substr(end + 4, length));
    at = end + 4 + length;
  }
  EXPECT_EQ(at, wire.size());
  EXPECT_EQ(bodies[0], get.body);
  EXPECT_EQ(bodies[1], client->Request("GET", "/fhir/metadata").body);
  EXPECT_EQ(bodies[2], get.body);
}

// The connection's request loop (app/server/http_connection_loop.cpp), as a client sees it: a kept-alive
// connection takes 1 000 requests and its 1 000th answer says "Connection: Close" before it closes
// (without it a client that sent more sees a reset instead of an answer); Expect: 100-continue gets
// its interim answer first; what is no HTTP request gets a 400, not silence.
TEST(HttpBasics, AConnectionTakesAThousandRequestsAndItsLastAnswerSaysSo) {
  std::string wire;
  for (int i = 0; i < 1001; ++i) wire += "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const std::string answers = RawExchange(wire);
  std::vector<size_t> starts;
  for (size_t at = answers.find("HTTP/1.1 "); at != std::string::npos; at = answers.find("HTTP/1.1 ", at + 1)) {
    starts.push_back(at);
  }
  ASSERT_EQ(starts.size(), 1000u);
  for (const size_t at : starts) ASSERT_EQ(answers.compare(at, 22, "HTTP/1.1 404 Not Found"), 0);
  const std::string last = answers.substr(starts.back());
  EXPECT_NE(last.find("Connection: Close\r\n"), std::string::npos) << last;
  const std::string before_last = answers.substr(starts[998], starts[999] - starts[998]);
  EXPECT_NE(before_last.find("Connection: Keep-Alive\r\n"), std::string::npos) << before_last;
}

TEST(HttpBasics, ExpectContinueIsAnsweredFirstWithAHundred) {
  const std::string body = R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})";
  const std::string answer =
      RawExchange(Request("POST", "/fhir/Patient",
                          "Content-Type: application/fhir+json\r\nExpect: 100-continue\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n") +
                  body);
  ASSERT_EQ(StatusLine(answer), "HTTP/1.1 100 Continue") << answer;
  const size_t final_answer = answer.find("\r\n\r\n") + 4;
  EXPECT_EQ(StatusLine(answer.substr(final_answer)), "HTTP/1.1 422 Unprocessable Entity") << answer;
}

TEST(HttpBasics, WhatIsNoHttpRequestGetsA400) {
  EXPECT_EQ(StatusLine(RawExchange("NONSENSE\r\n\r\n")), "HTTP/1.1 400 Bad Request");
}

// What PUT and PATCH answer (Prefer return=representation, the default) is what a read right after
// shows, the derived generalPractitioner included; a PUT that changes nothing makes no new version.
TEST(HttpBasics, WritesAnswerWhatAReadShows) {
  reg::World w("hb-write");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");
  reg::World::Require(w.List(w.Id("l1"), patient, vc, "2024-01-01"), "listing");
  auto read = w.Get("Patient/" + patient);
  ASSERT_EQ(read.status, 200);
  ASSERT_EQ(At(Parse(read.body), "/generalPractitioner/0/reference"), "Organization/" + vc) << read.body;
  const std::string version = At(Parse(read.body), "/meta/versionId");

  // The same content again: no new version, 200 with the current one.
  auto same = w.admin().Request("PUT", "/fhir/Patient/" + patient, reg::PatientWithPnr(patient, w.Pnr(patient), "Registersson"),
                                reg::kFhirJson);
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.headers["etag"], "W/\"" + version + "\"");
  EXPECT_EQ(same.body, read.body);
  auto history = Parse(w.Get("Patient/" + patient + "/_history").body);
  ASSERT_TRUE(history.IsObject() && history.HasMember("entry")) << "no history";
  EXPECT_EQ(std::to_string(history["entry"].Size()), version);

  auto changed = w.admin().Request("PUT", "/fhir/Patient/" + patient,
                                   reg::PatientWithPnr(patient, w.Pnr(patient), "Omskrivensson"), reg::kFhirJson);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.body, w.Get("Patient/" + patient).body);
  EXPECT_EQ(At(Parse(changed.body), "/generalPractitioner/0/reference"), "Organization/" + vc) << changed.body;

  auto patched = w.admin().Request(
      "PATCH", "/fhir/Patient/" + patient, R"([{"op":"replace","path":"/gender","value":"female"}])",
      {{"Content-Type", "application/json-patch+json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.body, w.Get("Patient/" + patient).body);
  EXPECT_EQ(At(Parse(patched.body), "/generalPractitioner/0/reference"), "Organization/" + vc) << patched.body;
}

// fhir-kit-client's operation() posts a Parameters resource: the same answer as the GET.
TEST(HttpBasics, OperationsTakePostWithParameters) {
  reg::World w("hb-ops");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("d", vc);
  const std::string patient = w.Patient("p");
  reg::World::Require(w.List(w.Id("l1"), patient, vc, "2024-01-01"), "listing");

  auto get_status = w.Get("Organization/" + vc + "/$list-status?date=2024-06-01");
  ASSERT_EQ(get_status.status, 200) << get_status.body;
  auto post_status = w.ehr().Request("POST", "/fhir/Organization/" + vc + "/$list-status",
                                     R"({"resourceType":"Parameters","parameter":[{"name":"date","valueDate":"2024-06-01"}]})",
                                     reg::kFhirJson);
  EXPECT_EQ(post_status.status, 200) << post_status.body;
  EXPECT_EQ(post_status.body, get_status.body);

  const std::string pnr = w.Pnr(patient);
  auto get_contacts =
      w.Get("Patient/$fixed-contacts?identifier=http%3A%2F%2Felectronichealth.se%2Fidentifier%2Fpersonnummer%7C" + pnr);
  ASSERT_EQ(get_contacts.status, 200) << get_contacts.body;
  auto post_contacts = w.ehr().Request(
      "POST", "/fhir/Patient/$fixed-contacts",
      R"({"resourceType":"Parameters","parameter":[{"name":"identifier","valueIdentifier":{"system":")" +
          reg::kPersonnummerSystem + R"(","value":")" + pnr + R"("}}]})",
      reg::kFhirJson);
  EXPECT_EQ(post_contacts.status, 200) << post_contacts.body;
  EXPECT_EQ(reg::EntryRefs(post_contacts.body), reg::EntryRefs(get_contacts.body));
  EXPECT_TRUE(reg::Contains(reg::EntryRefs(post_contacts.body), "Organization/" + vc)) << post_contacts.body;

  // A wrong check digit is a bad request, by GET or by POST.
  std::string wrong = pnr;
  wrong.back() = static_cast<char>('0' + (wrong.back() - '0' + 1) % 10);
  auto bad = w.Get("Patient/$fixed-contacts?identifier=http%3A%2F%2Felectronichealth.se%2Fidentifier%2Fpersonnummer%7C" +
                   wrong);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(IssueCode(bad.body), "value");
}

}  // namespace
}  // namespace nara::e2e
