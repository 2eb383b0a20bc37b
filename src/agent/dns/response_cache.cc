#include "agent/dns/response_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace skiff::agent::dns {

ResponseCache::ResponseCache(size_t max_entries)
    : max_per_shard_(std::max<size_t>(1, max_entries / kShards)) {}

ResponseCache::Shard& ResponseCache::ShardFor(std::string_view key) const {
  return shards_[absl::Hash<std::string_view>{}(key) % kShards];
}

bool ResponseCache::Get(std::string_view key, std::string* out) const {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.replies.find(absl::string_view(key.data(), key.size()));
  if (it == shard.replies.end()) return false;
  out->assign(it->second);
  return true;
}

void ResponseCache::Put(std::string_view key, const std::string& reply) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (shard.replies.size() >= max_per_shard_) shard.replies.clear();
  shard.replies.insert_or_assign(std::string(key), reply);
}

size_t ResponseCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.replies.size();
  }
  return n;
}

}  // namespace skiff::agent::dns
