// SharedInformers: one Informer per (resource, namespace "") shared by every controller of a
// process, so each resource is listed and watched once (client-go's SharedInformerFactory).
// Thread-safety: For() may be called from any thread before Start(); reads any time after.
// Ownership: owns the informers; borrows the Client.
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
  // Starts every informer created so far (and later ones as they are created).
  void Start();
  void Stop();
  // Waits until every informer has synced.
  bool WaitForSync(absl::Duration timeout);
  Client* client() const { return client_; }

 private:
  Client* client_;
  std::mutex mu_;
  bool started_ = false;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_SHARED_INFORMERS_H_
