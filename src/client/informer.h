// Informer: a continuously updated local cache of one resource (list + watch, like client-go's
// SharedIndexInformer). It lists, then watches from the list's resourceVersion with bookmarks,
// re-watches when a watch ends, and relists on 410 Expired. Objects are indexed by
// namespace/name and by any number of named indexes (namespace, label value, owner uid, custom
// functions); registered handlers hear about every add/update/delete, in order.
//
// Thread-safety: every method is safe from any thread. Handlers run on the informer's thread,
// one at a time, and must not block (typically they enqueue keys into a WorkQueue).
// Ownership: borrows the Client (must outlive the informer). Stop() or the destructor ends it.
// Failure: list/watch errors are retried with backoff forever; HasSynced() tells when the first
// list has been applied.
#ifndef SKIFF_CLIENT_INFORMER_H_
#define SKIFF_CLIENT_INFORMER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/client.h"

namespace skiff::client {

// "namespace/name", or "name" for cluster-scoped objects.
std::string KeyOf(const boost::json::value& obj);
std::string MakeKey(const std::string& ns, const std::string& name);
// Splits a key into namespace and name.
void SplitKey(const std::string& key, std::string* ns, std::string* name);

// Returns the index values an object is filed under (may be empty).
using IndexFunc = std::function<std::vector<std::string>(const boost::json::value& obj)>;

// Built-in index functions.
IndexFunc IndexByNamespace();                        // metadata.namespace
IndexFunc IndexByOwnerUid();                         // every metadata.ownerReferences[].uid
IndexFunc IndexByField(std::vector<std::string> path);  // a string field, e.g. {"spec","nodeName"}

struct InformerHandlers {
  std::function<void(const Object& obj)> on_add;
  std::function<void(const Object& old_obj, const Object& new_obj)> on_update;
  // `obj` is the last known state.
  std::function<void(const Object& obj)> on_delete;
};

class Informer {
 public:
  struct Options {
    std::string ns;              // "" = all namespaces
    std::string label_selector;
    std::string field_selector;
    // On this period every object is re-delivered as an update (level-triggered safety net);
    // zero disables.
    absl::Duration resync = absl::ZeroDuration();
  };

  Informer(Client* client, const api::ResourceInfo& resource, Options options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Must be called before Start().
  void AddIndex(const std::string& name, IndexFunc func);
  void AddHandlers(InformerHandlers handlers);

  void Start();
  void Stop();
  bool HasSynced() const;
  // Blocks until synced or the timeout passes; returns HasSynced().
  bool WaitForSync(absl::Duration timeout);

  // Reads from the local cache (never the server).
  Object Get(const std::string& key) const;
  std::vector<Object> List() const;
  std::vector<Object> ByIndex(const std::string& index, const std::string& value) const;
  // The resourceVersion the cache reflects.
  std::string LastSyncResourceVersion() const;

  const api::ResourceInfo& resource() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_INFORMER_H_
