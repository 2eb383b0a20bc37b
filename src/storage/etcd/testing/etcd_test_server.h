// EtcdTestServer: a private one-member etcd for tests — started from the installed `etcd` binary
// on free loopback ports with its data in a directory the test owns, stopped (or killed, or
// restarted on the same ports and data) by its PID. Never touches a system etcd.
// StartCluster starts several members of one cluster (--initial-cluster over loopback peer ports)
// for high-availability tests; each member is an EtcdTestServer of its own.
//
// Thread-safety: one thread drives a server. Ownership: the destructor stops the process (SIGTERM,
// then SIGKILL) and reaps it; the data directory stays (the test removes it).
// Failure: Start returns NotFound when no etcd binary is installed (callers skip, or fail in CI —
// see SkipUnlessEtcdInstalled), Unavailable when it does not come up.
#ifndef SKIFF_STORAGE_ETCD_TESTING_ETCD_TEST_SERVER_H_
#define SKIFF_STORAGE_ETCD_TESTING_ETCD_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skiff::storage {

// Serving with TLS: etcd's certificate and key, and the CA its clients' certificates must chain to.
struct EtcdTestTls {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

class EtcdTestServer {
 public:
  // Starts etcd with its data under `data_dir` (created if missing), its log in data_dir + ".log";
  // with `tls`, clients connect over https and must present a certificate.
  static absl::StatusOr<std::unique_ptr<EtcdTestServer>> Start(const std::string& data_dir,
                                                               const EtcdTestTls* tls = nullptr);
  // Starts a `size`-member cluster (plain http), member i's data under base_dir + "/member<i>";
  // returns when every member serves clients (which etcd does once the cluster has a leader).
  static absl::StatusOr<std::vector<std::unique_ptr<EtcdTestServer>>> StartCluster(const std::string& base_dir,
                                                                                  int size = 3);
  ~EtcdTestServer();

  // The client URL, e.g. "http://127.0.0.1:41234" ("https://..." with TLS).
  const std::string& client_url() const { return client_url_; }
  pid_t pid() const { return pid_; }
  // Whether this member is the cluster's leader now (from its /metrics; false when it is down).
  bool IsLeader() const;

  absl::Status Kill();     // SIGKILL, as a crash
  absl::Status Stop();     // SIGTERM, clean shutdown
  absl::Status Restart();  // starts it again on the same ports and data (after Kill or Stop)

  // The installed etcd binary, or "" when none.
  static std::string BinaryPath();

 private:
  EtcdTestServer() = default;
  absl::Status Launch();
  absl::Status Spawn();
  absl::Status WaitServing();
  absl::Status Signal(int signal);

  std::string binary_;
  std::string data_dir_;
  std::string client_url_;
  std::string peer_url_;
  std::string name_ = "skiff-test";
  std::string initial_cluster_;  // "" = a one-member cluster of this server
  std::unique_ptr<EtcdTestTls> tls_;
  pid_t pid_ = 0;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_TESTING_ETCD_TEST_SERVER_H_
