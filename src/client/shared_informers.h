// SharedInformers: one Informer per (resource, namespace, selectors) shared by every component of a
// process (the controllers of the manager; the proxy, DNS and pod manager of an agent), so each
// resource is listed and watched once (client-go's SharedInformerFactory).
// The informers of ConfigMaps and Secrets keep their objects as the client's shared bytes
// (Informer::Options::keep_bytes): large objects that controllers seldom read.
// Thread-safety: every method is safe from any thread; an informer created after Start() starts at
// once. Users register handlers on the informers they get and remove them (RemoveHandlers) when
// they stop before the set does.
// Ownership: owns the informers (they live until the set is destroyed); borrows the Client.
// Failure: as Informer (errors are retried forever).
#ifndef SKIFF_CLIENT_SHARED_INFORMERS_H_
#define SKIFF_CLIENT_SHARED_INFORMERS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "client/informer.h"

namespace skiff::client {

class SharedInformers {
 public:
  explicit SharedInformers(Client* client);
  ~SharedInformers();

  // The shared all-namespaces informer of a resource (created on first use).
  Informer& For(const api::ResourceInfo& resource);
  // The shared informer of a resource with these namespace and selectors (created on first use;
  // the resync period of the first request wins).
  Informer& For(const api::ResourceInfo& resource, const Informer::Options& options);
  // Starts every informer created so far (and later ones as they are created).
  void Start();
  void Stop();
  // Waits until every informer has synced.
  bool WaitForSync(absl::Duration timeout);
  Client* client() const { return client_; }
  // Whether the informers of `resource` keep bytes rather than decoded objects.
  static bool KeepsBytes(const api::ResourceInfo& resource);

 private:
  Client* client_;
  std::mutex mu_;
  bool started_ = false;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_SHARED_INFORMERS_H_
