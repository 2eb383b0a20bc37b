// JsonHttpsServer: an HTTPS server on 127.0.0.1 for unit tests of code that calls out to
// webhooks (admission, conversion). It makes a throwaway PKI in a temporary directory, answers
// each request by handing its path and JSON body to a handler the test may swap at any time, and
// records every call. Requests whose body is not JSON get 400.
// Thread-safety: SetHandler and Calls may be called while requests are served; the handler runs on
// the server's worker threads (several at once). Ownership: owns the server and the directory;
// the destructor stops the server, then removes the directory.
// Failure: Start returns the PKI's or the listener's error.
#ifndef SKIFF_APISERVER_TESTING_JSON_HTTPS_SERVER_H_
#define SKIFF_APISERVER_TESTING_JSON_HTTPS_SERVER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::http {
class HttpServer;
}

namespace skiff::apiserver::testing {

class JsonHttpsServer {
 public:
  using Handler = std::function<boost::json::value(const std::string& path, const boost::json::value& body)>;
  struct Call {
    std::string path;  // without the query
    boost::json::value body;
  };

  // `handler` answers until SetHandler replaces it; `extra_dns_names` join localhost and 127.0.0.1
  // in the serving certificate.
  static absl::StatusOr<std::unique_ptr<JsonHttpsServer>> Start(Handler handler,
                                                                std::vector<std::string> extra_dns_names = {},
                                                                int worker_threads = 4);
  ~JsonHttpsServer();
  JsonHttpsServer(const JsonHttpsServer&) = delete;
  JsonHttpsServer& operator=(const JsonHttpsServer&) = delete;

  void SetHandler(Handler handler);
  std::vector<Call> Calls() const;

  int port() const;
  std::string Url(const std::string& path) const;  // https://127.0.0.1:<port><path>
  const std::string& ca_bundle() const { return ca_bundle_; }  // base64 of the CA's PEM

 private:
  JsonHttpsServer() = default;

  std::string dir_;
  std::string ca_bundle_;
  std::unique_ptr<http::HttpServer> server_;
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Call> calls_;
};

}  // namespace skiff::apiserver::testing

#endif  // SKIFF_APISERVER_TESTING_JSON_HTTPS_SERVER_H_
