// Server: `skiff server` assembled — credentials, SQLite store, watch cache, object storage with
// schema admission, the API handler and the HTTPS transport — plus the bootstrap namespaces.
// Thread-safety: Start/Stop from one thread. Ownership: owns every component it creates.
// Failure: Start returns a Status when the data dir, store or listen address is unusable.
#ifndef SKIFF_APISERVER_SERVER_H_
#define SKIFF_APISERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace skiff::apiserver {

class ResourceStorage;

struct ServerOptions {
  std::string data_dir = "/var/lib/skiff";
  std::string listen = "0.0.0.0:6443";
  std::string token_file;  // optional static token file (token,user,uid,"groups")
  int worker_threads = 64;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  absl::Status Start();
  void Stop();
  int port() const;
  std::string kubeconfig_path() const;
  // The object storage every write goes through (for in-process clients); null before Start.
  ResourceStorage* storage() const;

 private:
  struct Parts;
  ServerOptions options_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVER_H_
