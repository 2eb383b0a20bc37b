// CredentialRenewal: keeps `skiff server`'s own certificates fresh while it runs. Every interval it
// runs EnsureServerCredentials again, which re-issues the serving, admin and kubelet-client
// certificates once they are within 30 days of expiry (http/pki.h) and rewrites admin.kubeconfig;
// when the serving certificate changed, the HTTPS server is told to present the new one to new
// connections. (The kubelet-client certificate is read from disk for each connection to a node, so
// it needs no reload.)
// Thread-safety: Start/Stop from one thread; RenewNow from one thread at a time (the renewal
// thread once started). Ownership: borrows the HTTPS server, which must outlive Stop().
// Failure: a failed pass is logged and retried at the next interval; RenewNow returns its Status.
#ifndef SKIFF_APISERVER_CREDENTIAL_RENEWAL_H_
#define SKIFF_APISERVER_CREDENTIAL_RENEWAL_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/http_server.h"
#include "http/pki.h"

namespace skiff::apiserver {

struct CredentialRenewalOptions {
  std::string data_dir;
  std::string server_url;  // for admin.kubeconfig
  http::PkiOptions pki;
  absl::Duration interval = absl::Hours(1);
};

class CredentialRenewal {
 public:
  CredentialRenewal(CredentialRenewalOptions options, http::HttpServer* server);
  ~CredentialRenewal();

  // One pass; true when the serving certificate was renewed and reloaded.
  absl::StatusOr<bool> RenewNow();

  void Start();
  void Stop();

 private:
  CredentialRenewalOptions options_;
  http::HttpServer* server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CREDENTIAL_RENEWAL_H_
