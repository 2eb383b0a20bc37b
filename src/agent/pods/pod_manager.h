// PodManager: the kubelet's pod loop. It watches the pods bound to its node (the agent's shared
// Informer with fieldSelector spec.nodeName=<node>) and gives each pod a PodWorker; syncs are serialized per
// pod and run in parallel across pods on a thread pool (no lock is held around CRI calls, so 50
// pods created at once start together). A relist loop (every `relist_period`, PLEG-style: one
// ListPodSandbox + one ListContainers for the whole node) wakes the workers of pods whose runtime
// state changed, the workers whose retry time has come (CrashLoopBackOff expiry), and every pod
// each `resync_period`. After the informer has synced, runtime objects of pods that no longer
// exist are removed. Containers left by an earlier agent process are adopted by the workers
// (they find them by pod uid), so an agent restart — even kill -9 — keeps pods running without
// duplicates.
// Probe results enter through SetContainerReadiness / SetContainerStarted.
//
// Thread-safety: public methods are safe from any thread. Ownership: borrows the shared informer
// set (and its client), runtime, translator (optional) and clock, which must outlive it; owns
// workers and threads; Stop() removes its informer handlers (the set's owner stops the informer).
// Failure: Start fails only when the informer cannot sync within `sync_timeout`; runtime and API
// errors later are logged and retried.
#ifndef SKIFF_AGENT_PODS_POD_MANAGER_H_
#define SKIFF_AGENT_PODS_POD_MANAGER_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "agent/cri/runtime.h"
#include "agent/pods/pod_worker.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/shared_informers.h"

namespace skiff::agent::pods {

struct PodManagerOptions {
  std::string node_name;
  std::string host_ip;    // status.hostIP
  std::string data_dir;   // the agent's DIR; pods live under DIR/pods
  int sync_threads = 64;  // concurrent pod syncs (terminations may block for their grace period)
  absl::Duration relist_period = absl::Seconds(1);
  absl::Duration resync_period = absl::Minutes(1);
  absl::Duration sync_timeout = absl::Seconds(60);
  // Backoff of container restarts and image pulls (the kubelet's 10 s doubling to 5 min).
  absl::Duration backoff_initial = absl::Seconds(10);
  absl::Duration backoff_max = absl::Minutes(5);
};

class PodManager {
 public:
  // `translator` may be null: BasicSpecTranslator is used. `clock` null: the real clock.
  PodManager(client::SharedInformers* informers, cri::Runtime* runtime, SpecTranslator* translator,
             PodManagerOptions options, const base::Clock* clock = nullptr);
  ~PodManager();
  PodManager(const PodManager&) = delete;
  PodManager& operator=(const PodManager&) = delete;

  absl::Status Start();
  // Stops the loops and waits for running syncs; leaves containers running.
  void Stop();

  // Probe hooks (see StatusManager).
  void SetContainerReadiness(const std::string& uid, const std::string& container, bool ready);
  void SetContainerStarted(const std::string& uid, const std::string& container, bool started);
  // Runs preStop httpGet hooks (set before Start).
  void SetHttpHook(decltype(WorkerEnv::http_hook) hook) { env_.http_hook = std::move(hook); }

  // Requests a sync of a pod now (e.g. a ConfigMap it uses changed).
  void Enqueue(const std::string& uid);
  // The pods currently bound to this node (from the informer cache).
  std::vector<client::Object> Pods() const;
  StatusManager& status_manager() { return *status_; }
  // Number of pods with a worker.
  size_t WorkerCount() const;
  // Triggers one relist at once (tests).
  void RelistNow();

 private:
  struct Slot {
    std::unique_ptr<PodWorker> worker;
    client::Object pod;  // latest object; null once deleted from the API
    bool running = false;
    bool dirty = false;
    absl::Time retry_at = absl::InfiniteFuture();
  };

  void OnPod(const client::Object& pod, bool deleted);
  void EnqueueLocked(const std::string& uid);
  void RunWorker(const std::string& uid);
  void LoopMain();
  void Relist();

  client::SharedInformers* informers_;
  client::Client* client_;
  cri::Runtime* runtime_;
  std::unique_ptr<SpecTranslator> own_translator_;
  PodManagerOptions options_;
  const base::Clock* clock_;
  std::unique_ptr<StatusManager> status_;
  std::unique_ptr<CrashBackoff> crash_backoff_;
  std::unique_ptr<CrashBackoff> image_backoff_;
  WorkerEnv env_;
  client::Informer* informer_ = nullptr;  // set by Start()
  client::Informer::HandlerId handlers_ = 0;
  std::unique_ptr<base::ThreadPool> pool_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Slot> slots_;                // by pod uid
  std::map<std::string, std::string> fingerprints_;  // runtime state per uid at the last relist
  absl::Time last_resync_ = absl::InfinitePast();
  bool stopping_ = false;
  bool relist_now_ = false;
  std::thread loop_;
};

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_POD_MANAGER_H_
