// SharedDecode: one decoded copy of a watch cache object version for every in-process watch that
// delivers it. A pod write reaches the scheduler's, the controllers' and other in-process
// informers; each used to parse the same bytes into its own copy. Now the first watch to deliver
// a version parses it and the others share that immutable copy (client::Object is never modified
// in place), for as long as anyone (an informer's cache, a queued event) still holds it: the
// copy is held weakly here, so nothing is kept alive that no reader holds.
// Thread-safety: Decode may be called concurrently (sharded locks; the parse runs outside them,
// and a reader that finds another parsing the same copy waits for it).
// Ownership: holds only weak references. Failure: none; the bytes were produced by the cache's own
// serializer, and a parse failure of them is a broken invariant (CachedObject::Parse aborts).
#ifndef SKIFF_CLIENT_INPROCESS_SHARED_DECODE_H_
#define SKIFF_CLIENT_INPROCESS_SHARED_DECODE_H_

#include <array>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "apiserver/watch_cache.h"
#include "boost/json/value.hpp"

namespace skiff::client {

class SharedDecode {
 public:
  // `object` parsed, without metadata.managedFields when `strip_managed_fields`.
  std::shared_ptr<const boost::json::value> Decode(const apiserver::ObjectPtr& object,
                                                   bool strip_managed_fields);

  // Versions with a live decoded copy or object (for tests); sweeps the others first.
  size_t TrackedForTest();

 private:
  struct Entry {
    std::weak_ptr<const apiserver::CachedObject> object;  // tells a reused address from the same object
    std::weak_ptr<const boost::json::value> decoded[2];   // [strip_managed_fields]
    bool parsing[2] = {false, false};                     // a reader is parsing that copy now
  };
  struct Shard {
    std::mutex mu;
    std::condition_variable parsed;  // a parse finished
    absl::flat_hash_map<const apiserver::CachedObject*, Entry> entries;
    size_t inserts_since_sweep = 0;
  };
  static constexpr size_t kShards = 16;
  // Entries whose object and copies are all gone are dropped every this many inserts per shard.
  static constexpr size_t kSweepEvery = 1024;

  static void Sweep(Shard& shard);
  std::array<Shard, kShards> shards_;
};

// The process's instance: every InProcessClient shares it, so the scheduler's and the
// controller manager's informers share copies too.
SharedDecode& ProcessSharedDecode();

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_INPROCESS_SHARED_DECODE_H_
