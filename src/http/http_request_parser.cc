#include "http/http_request_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/url/parse.hpp"

namespace skiff::http {

namespace bhttp = boost::beast::http;

LimitedRequestParser::LimitedRequestParser(const HttpRequestLimits& limits)
    : max_field_bytes_(limits.max_field_bytes) {
  header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  body_limit(limits.max_body_bytes);
}

void LimitedRequestParser::on_field_impl(bhttp::field name, boost::beast::string_view name_string,
                                         boost::beast::string_view value, boost::beast::error_code& ec) {
  if (name_string.size() > max_field_bytes_ || value.size() > max_field_bytes_) {
    ec = bhttp::error::header_limit;
    return;
  }
  get().insert(name, name_string, value);
}

namespace {

void ParseTarget(std::string_view target, HttpRequest& req) {
  auto decoded = boost::urls::parse_origin_form(target);
  if (decoded) {
    req.path = std::string(decoded->path());
    for (auto param : decoded->params()) {
      req.query.emplace(std::string(param.key), std::string(param.value));
    }
  } else {
    req.path = std::string(target.substr(0, target.find('?')));
  }
}

}  // namespace

void ToHttpRequest(bhttp::request<bhttp::string_body>& message, HttpRequest* out) {
  out->method = std::string(message.method_string());
  ParseTarget(message.target(), *out);
  for (const auto& field : message) {
    std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
    auto [it, inserted] = out->headers.emplace(name, std::string(field.value()));
    if (!inserted) absl::StrAppend(&it->second, ",", std::string(field.value()));
  }
  out->body = std::move(message.body());
}

int ParseErrorStatus(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

}  // namespace skiff::http
