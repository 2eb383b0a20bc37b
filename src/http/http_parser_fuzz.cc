// libFuzzer target for the transport's request parsing (LimitedRequestParser + ToHttpRequest), fed
// in pieces as a socket would deliver them. Invariants checked:
//   * no input throws or crashes (Beast's field container throws on fields over 64 KiB; the
//     parser must refuse those first);
//   * a refused header block or body maps to 431 or 413, never a 5xx;
//   * a completed request's header values are no larger than the field limit and its body no
//     larger than the body limit.
// Small limits are used so the limit paths are reached with small inputs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/http_request_parser.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bhttp = boost::beast::http;
  if (size < 1) return 0;
  // The first byte picks the piece size, so inputs also explore split fields and chunks.
  size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  skiff::http::HttpRequestLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_field_bytes = 512;
  limits.max_body_bytes = 2048;
  skiff::http::LimitedRequestParser parser(limits);
  parser.eager(true);
  std::string buffered;
  size_t offset = 0;
  boost::beast::error_code ec;
  for (int round = 0; !parser.is_done() && round < 100000; ++round) {
    if (offset < input.size()) {
      size_t n = std::min(piece, input.size() - offset);
      buffered.append(input.substr(offset, n));
      offset += n;
    } else if (buffered.empty()) {
      parser.put_eof(ec);
      break;
    }
    size_t used = parser.put(boost::asio::buffer(buffered), ec);
    buffered.erase(0, used);
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (offset >= input.size()) {
        parser.put_eof(ec);
        break;
      }
      continue;
    }
    if (ec) break;
  }
  if (ec) {
    int status = skiff::http::ParseErrorStatus(ec);
    Check(status == 400 || status == 413 || status == 431);
    return 0;
  }
  if (!parser.is_done()) return 0;
  skiff::http::HttpRequest request;
  skiff::http::ToHttpRequest(parser.get(), &request);
  for (const auto& [name, value] : request.headers) {
    Check(name.size() <= limits.max_field_bytes);
    (void)value;  // repeated fields are joined, so only each part is bounded
  }
  Check(request.body.size() <= limits.max_body_bytes);
  return 0;
}
