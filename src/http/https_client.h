// HttpsCall: one HTTPS request on a fresh connection, for the API server's calls out to servers
// that users register (admission webhooks; later CRD conversion webhooks and aggregated APIs).
// It verifies the server against a caller-given CA bundle (or the system trust store), checks the
// certificate names `server_name` (a DNS name such as "<svc>.<ns>.svc", or an IP address) and
// sends it as SNI, may dial another address than the URL names (a Service's resolved endpoint),
// may present a client certificate, bounds the exchange by one timeout (a DNS lookup of a URL's
// host name excepted: it is synchronous) and the response body by a size. Beast and Asio stay inside https_client.cc.
//
// Thread-safety: HttpsCall may run concurrently from any number of threads; each call owns its
// own I/O context and connection and blocks its caller until done.
// Ownership: everything is passed and returned by value.
// Failure: InvalidArgument for a URL that is not https://host[:port]/path or an unusable CA
// bundle or client key pair; DeadlineExceeded when the timeout ran out; Unavailable for dial,
// TLS (including certificate verification) and protocol errors; ResourceExhausted for a body
// over the limit. Messages read like Go's net/http errors, since webhook failure messages quote
// them: `Post "https://h/p": dial tcp 127.0.0.1:9: connect: connection refused`.
// An HTTP error status is not a failure: the response carries it.
#ifndef SKIFF_HTTP_HTTPS_CLIENT_H_
#define SKIFF_HTTP_HTTPS_CLIENT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::http {

struct HttpsRequest {
  std::string method = "POST";
  std::string url;  // https://host[:port][/path][?query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // PEM certificates that may sign the server's chain; empty = the system's trust store.
  std::string ca_bundle_pem;
  // The name the certificate must carry and the TLS SNI; empty = the URL's host.
  std::string server_name;
  // "ip:port" to connect to instead of the URL's host and port; empty = the URL's.
  std::string dial_address;
  // Client identity (PEM); both or neither.
  std::string client_cert_pem;
  std::string client_key_pem;
  absl::Duration timeout = absl::Seconds(10);
  size_t max_response_bytes = 3 * 1024 * 1024;
};

struct HttpsResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;

  // The first value of a header (case-insensitive name), or "".
  std::string Header(std::string_view name) const;
};

absl::StatusOr<HttpsResponse> HttpsCall(const HttpsRequest& request);

}  // namespace skiff::http

#endif  // SKIFF_HTTP_HTTPS_CLIENT_H_
