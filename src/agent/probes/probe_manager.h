// ProbeManager: runs the liveness, readiness and startup probes of every container of the pods on
// this node, as the kubelet's prober manager does. One worker per (pod, container, probe kind),
// created when the pod appears and removed when it goes; each worker is a timer on one shared
// asio io_context thread that fires every periodSeconds and, when a run is due (ProbeTracker),
// hands the run to a small shared thread pool (probes block up to their timeout), so 100 pods x 3
// probes are 300 timers, not 300 threads. Results:
//   readiness -> hooks.set_ready (the pod's Ready condition follows through the status manager);
//   startup   -> hooks.set_started (gates liveness and readiness until it succeeds);
//   liveness/startup failure past failureThreshold -> event Killing, CRI StopContainer with the
//     probe's terminationGracePeriodSeconds (else the pod's), and hooks.enqueue so the pod worker
//     restarts the container per restartPolicy;
//   every failed run -> Warning event "Unhealthy" ("Liveness probe failed: HTTP probe failed with
//     statuscode: 500").
// The pods come from hooks.pods (the PodManager's informer cache, refreshed every
// `refresh_period`): container IDs, startedAt and the pod IP are read from the pod's status, so a
// new container instance (new ID) resets its workers.
// Also runs lifecycle httpGet hooks (RunHttpHook) with the same HTTP prober.
//
// Thread-safety: public methods are safe from any thread. Ownership: borrows the runtime and the
// prober (must outlive it); owns its timers, thread and pool. Failure: probe errors are failed
// runs; runtime errors when killing are logged and retried at the next failed run.
#ifndef SKIFF_AGENT_PROBES_PROBE_MANAGER_H_
#define SKIFF_AGENT_PROBES_PROBE_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/cri/runtime.h"
#include "agent/probes/probe_spec.h"
#include "agent/probes/probe_tracker.h"
#include "agent/probes/probers.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::agent::probes {

struct ProbeHooks {
  std::function<std::vector<client::Object>()> pods;
  std::function<void(const std::string& uid, const std::string& container, bool ready)> set_ready;
  std::function<void(const std::string& uid, const std::string& container, bool started)> set_started;
  std::function<void(const std::string& uid)> enqueue;
  // type is "Normal" or "Warning".
  std::function<void(const boost::json::value& pod, const std::string& container, const std::string& type,
                     const std::string& reason, const std::string& message)>
      event;
};

struct ProbeManagerOptions {
  absl::Duration refresh_period = absl::Seconds(1);
  int probe_threads = 8;
  const base::Clock* clock = nullptr;  // null = the real clock
};

class ProbeManager {
 public:
  ProbeManager(cri::Runtime* runtime, Prober* prober, ProbeHooks hooks, ProbeManagerOptions options = {});
  ~ProbeManager();
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  void Start();
  void Stop();

  // Reads the pods now and adds/updates/removes workers (also called every refresh_period).
  void Refresh();

  // Runs the httpGet handler of lifecycle.<hook> ("preStop", "postStart") of `container` in `pod`.
  absl::Status RunHttpHook(const boost::json::value& pod, const std::string& container,
                           const std::string& hook, absl::Duration timeout);

  size_t WorkerCount() const;

 private:
  struct Worker;
  void Schedule(const std::shared_ptr<Worker>& w, absl::Duration delay);
  void Tick(const std::shared_ptr<Worker>& w);
  void RunProbe(const std::shared_ptr<Worker>& w);
  void Publish(Worker& w);
  bool StartupDone(const Worker& w) const;
  void RefreshLoop();

  cri::Runtime* runtime_;
  Prober* prober_;
  ProbeHooks hooks_;
  ProbeManagerOptions options_;
  const base::Clock* clock_;

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<boost::asio::steady_timer> refresh_timer_;
  std::unique_ptr<base::ThreadPool> pool_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Worker>> workers_;  // "<uid>/<container>/<kind>"
  bool stopping_ = false;
};

}  // namespace skiff::agent::probes

#endif  // SKIFF_AGENT_PROBES_PROBE_MANAGER_H_
