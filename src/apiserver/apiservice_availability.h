// ApiServiceAvailability: kube-aggregator's AvailableConditionController. Every `interval`, and at
// once when an APIService is added or its spec changes, it checks each APIService and writes its
// status condition Available (only when it changes; lastTransitionTime only when the status does):
//   Local APIServices               True  Local                "Local APIServices are always available"
//   Service missing                 False ServiceNotFound      service/<name> in "<ns>" is not present
//   Service lacks the port          False ServicePortError     ... is not listening on port <port>
//   no EndpointSlice / ready address False EndpointsNotFound / MissingEndpoints
//   GET /apis/<group>/<version> fails False FailedDiscoveryCheck failing or missing response from <url>: <error>
//   otherwise                       True  Passed               "all checks passed"
// The discovery check runs as system:kube-aggregator in system:masters (as kube's does) and its
// answer, an APIResourceList, is what /apis shows for the group version (Aggregator::SetDiscovery).
// Thread-safety: Start/Stop from one thread; Wake and CheckAll from any. Ownership: borrows the
// storage and the aggregator; owns its thread. Failure: a failed status write is logged and
// retried on the next pass; nothing is returned.
#ifndef SKIFF_APISERVER_APISERVICE_AVAILABILITY_H_
#define SKIFF_APISERVER_APISERVICE_AVAILABILITY_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "apiserver/aggregator.h"
#include "apiserver/resource_storage.h"
#include "base/clock.h"

namespace skiff::apiserver {

struct ApiServiceAvailabilityOptions {
  absl::Duration interval = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(5);  // of one discovery check
};

class ApiServiceAvailability {
 public:
  ApiServiceAvailability(ResourceStorage* storage, Aggregator* aggregator, base::Clock* clock,
                         ApiServiceAvailabilityOptions options = {});
  ~ApiServiceAvailability();
  ApiServiceAvailability(const ApiServiceAvailability&) = delete;
  ApiServiceAvailability& operator=(const ApiServiceAvailability&) = delete;

  void Start();
  void Stop();
  // Asks for a pass now (an APIService changed). Never blocks.
  void Wake();
  // One pass over every APIService, on the caller's thread.
  void CheckAll();

 private:
  struct Verdict {
    bool available = false;
    std::string reason;
    std::string message;
  };
  Verdict Check(const ApiServiceInfo& service);
  void Write(const ApiServiceInfo& service, const Verdict& verdict);
  void Run();

  ResourceStorage* storage_;
  Aggregator* aggregator_;
  base::Clock* clock_;
  ApiServiceAvailabilityOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_APISERVICE_AVAILABILITY_H_
