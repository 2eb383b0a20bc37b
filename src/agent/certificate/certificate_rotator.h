// CertificateRotator: keeps the node agent's client certificate fresh while it runs, as the
// kubelet's certificate manager: once the rotation deadline (node_certificate.h: 70-90% of the
// lifetime, jittered) has passed it asks for a new certificate with the current one (user
// system:node:<node>, approved as selfnodeclient), stores it and hands it to `install` (which
// switches the agent's client to it) — no restart. A failed attempt is retried at the next check.
// Thread-safety: Start/Stop from one thread; RotateIfDue may be called from any one thread at a
// time (the rotator's own thread once started). Ownership: borrows the client and clock, which
// must outlive the rotator. Failure: RotateIfDue returns the error of a failed renewal.
#ifndef SKIFF_AGENT_CERTIFICATE_CERTIFICATE_ROTATOR_H_
#define SKIFF_AGENT_CERTIFICATE_CERTIFICATE_ROTATOR_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "agent/certificate/node_certificate.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::agent::certificate {

struct RotatorOptions {
  std::string node_name;
  std::string pem_path;                               // where the renewed pair is stored
  const base::Clock* clock = nullptr;                 // null = base::RealClock()
  std::function<double()> jitter;                     // in [0, 1); null = uniformly random
  absl::Duration check_interval = absl::Seconds(10);  // real time between deadline checks
  absl::Duration request_timeout = absl::Minutes(5);  // waiting for the signer
};

class CertificateRotator {
 public:
  using Install = std::function<absl::Status(const NodeCertificate&)>;
  CertificateRotator(client::Client* client, RotatorOptions options, NodeCertificate current,
                     Install install);
  ~CertificateRotator();

  // When the current certificate is due for renewal.
  absl::Time deadline() const;
  const NodeCertificate& current() const { return current_; }

  // Renews (request, store, install) when the deadline has passed; true when it did.
  absl::StatusOr<bool> RotateIfDue();

  void Start();
  void Stop();

 private:
  void Loop();
  void SetCurrent(NodeCertificate certificate);

  client::Client* client_;
  RotatorOptions options_;
  Install install_;
  NodeCertificate current_;
  absl::Time deadline_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::agent::certificate

#endif  // SKIFF_AGENT_CERTIFICATE_CERTIFICATE_ROTATOR_H_
