// ResponseCache: finished reply bytes (ID 0, lower-case question) per query key, so a repeated
// question costs a hash lookup and a copy instead of an ldns encode. One cache belongs to one
// RecordTable generation and is dropped with it, so entries never go stale.
//
// Thread-safety: Get/Put from any thread (16 mutex-guarded shards). Ownership: owns copies.
// Failure: none; a full shard is emptied (the cache is bounded, not LRU: cheap and good enough
// when the hot set is far smaller than the bound).
#ifndef SKIFF_AGENT_DNS_RESPONSE_CACHE_H_
#define SKIFF_AGENT_DNS_RESPONSE_CACHE_H_

#include <array>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace skiff::agent::dns {

class ResponseCache {
 public:
  explicit ResponseCache(size_t max_entries);

  // Copies the reply cached under `key` into *out; false when there is none.
  bool Get(std::string_view key, std::string* out) const;
  void Put(std::string_view key, const std::string& reply);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, std::string> replies;
  };
  Shard& ShardFor(std::string_view key) const;

  size_t max_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_RESPONSE_CACHE_H_
