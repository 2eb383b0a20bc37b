// The HTTP/1.1 request parsing of the HTTPS transport: a Beast request parser that refuses header
// fields too large for Beast's field container (which would otherwise throw out of the I/O thread),
// the limits it enforces, and the conversion of a parsed message into an HttpRequest.
// Internal to http_server.cc (and its tests and fuzz target): it includes Beast, so keep it out of
// other headers.
// Thread-safety: a parser is used by one connection at a time; the functions are pure.
// Failure: oversized fields or header blocks end the parse with http::error::header_limit (431),
// oversized bodies with http::error::body_limit (413); other malformed input with Beast's errors (400).
#ifndef SKIFF_HTTP_HTTP_REQUEST_PARSER_H_
#define SKIFF_HTTP_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <string_view>

#include "boost/beast/http.hpp"
#include "http/http_types.h"

namespace skiff::http {

struct HttpRequestLimits {
  // All header fields together (kube-apiserver: 1 MiB).
  size_t max_header_bytes = 1024 * 1024;
  // One field's name or value: Beast stores field offsets in 16 bits, so larger fields cannot be
  // held at all.
  size_t max_field_bytes = 65000;
  size_t max_body_bytes = 3 * 1024 * 1024;
};

// A request parser that checks each field before storing it. One instance per request.
class LimitedRequestParser : public boost::beast::http::request_parser<boost::beast::http::string_body> {
 public:
  explicit LimitedRequestParser(const HttpRequestLimits& limits);

 private:
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;

  size_t max_field_bytes_;
};

// The parsed message as the handlers see it: decoded path and query, lower-cased header names
// (repeated fields joined with ","), the body moved out of `message`.
void ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body>& message, HttpRequest* out);

// The HTTP status for a parse error: 431 for header limits, 413 for the body limit, else 400.
int ParseErrorStatus(const boost::beast::error_code& ec);

}  // namespace skiff::http

#endif  // SKIFF_HTTP_HTTP_REQUEST_PARSER_H_
