// PodCidrWatcher: watches this agent's Node (fieldSelector metadata.name=<node>) and reports
// spec.podCIDR whenever it first appears or changes — the agent writes the CNI configuration then.
// The Node informer comes from the agent's shared informer set.
// Thread-safety: Start/Stop from one owner thread; the callback runs on the informer's thread, one
// call at a time, and should be quick; current() from any thread.
// Ownership: borrows the informer set (must outlive the watcher; its owner stops the informer,
// Stop() removes the watcher's handlers). Failure: list/watch errors are retried by the informer;
// nothing is reported until a podCIDR is seen.
#ifndef SKIFF_AGENT_NODE_POD_CIDR_WATCHER_H_
#define SKIFF_AGENT_NODE_POD_CIDR_WATCHER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "client/informer.h"
#include "client/shared_informers.h"

namespace skiff::agent::node {

class PodCidrWatcher {
 public:
  using Callback = std::function<void(const std::string& pod_cidr)>;

  PodCidrWatcher(client::SharedInformers* informers, const std::string& node_name, Callback on_cidr);
  ~PodCidrWatcher();
  PodCidrWatcher(const PodCidrWatcher&) = delete;
  PodCidrWatcher& operator=(const PodCidrWatcher&) = delete;

  void Start();
  void Stop();
  // The latest podCIDR seen ("" = none yet).
  std::string current() const;

 private:
  void Observe(const client::Object& node);

  Callback on_cidr_;
  client::Informer* informer_;
  client::Informer::HandlerId handlers_ = 0;
  mutable std::mutex mu_;
  std::string current_;
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_POD_CIDR_WATCHER_H_
