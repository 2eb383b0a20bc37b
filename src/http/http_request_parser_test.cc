#include "http/http_request_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds `wire` to a fresh parser at once; returns the error (empty when the request completed).
boost::beast::error_code Parse(const std::string& wire, HttpRequest* out = nullptr,
                               HttpRequestLimits limits = HttpRequestLimits()) {
  LimitedRequestParser parser(limits);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(wire), ec);
  if (!ec && !parser.is_done()) ec = bhttp::error::need_more;
  if (!ec && out) ToHttpRequest(parser.get(), out);
  return ec;
}

TEST(HttpRequestParser, ParsesPathQueryHeadersAndBody) {
  HttpRequest req;
  auto ec = Parse(
      "POST /api/v1/namespaces/default/configmaps?fieldManager=a%20b&dryRun=All HTTP/1.1\r\n"
      "Host: x\r\nContent-Type: application/json\r\nX-Many: 1\r\nx-many: 2\r\nContent-Length: 2\r\n\r\n{}",
      &req);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(req.Query("fieldManager"), "a b");
  EXPECT_EQ(req.Query("dryRun"), "All");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("x-many"), "1,2");
  EXPECT_EQ(req.body, "{}");
}

TEST(HttpRequestParser, FieldOverBeastsLimitIsRefusedNotThrown) {
  std::string big(64 * 1024, 'a');
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n"), bhttp::error::header_limit);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n" + big + ": x\r\n\r\n"), bhttp::error::header_limit);
  EXPECT_EQ(ParseErrorStatus(bhttp::error::header_limit), 431);
}

TEST(HttpRequestParser, HeaderBlockOverTheTotalLimitIsRefused) {
  std::string wire = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 40; ++i) wire += "X-F" + std::to_string(i) + ": " + std::string(30000, 'b') + "\r\n";
  wire += "\r\n";
  EXPECT_EQ(Parse(wire), bhttp::error::header_limit);
}

TEST(HttpRequestParser, DeclaredBodyOverTheLimitIsRefusedBeforeItArrives) {
  HttpRequestLimits limits;
  limits.max_body_bytes = 100;
  EXPECT_EQ(Parse("PUT /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n", nullptr, limits),
            bhttp::error::body_limit);
  EXPECT_EQ(ParseErrorStatus(bhttp::error::body_limit), 413);
  EXPECT_EQ(ParseErrorStatus(bhttp::error::bad_method), 400);
}

}  // namespace
}  // namespace skiff::http
