#include "client/inprocess/shared_decode.h"

#include <functional>
#include <utility>

namespace skiff::client {

std::shared_ptr<const boost::json::value> SharedDecode::Decode(const apiserver::ObjectPtr& object,
                                                               bool strip_managed_fields) {
  const apiserver::CachedObject* address = object.get();
  Shard& shard = shards_[std::hash<const void*>()(address) % kShards];
  const int slot = strip_managed_fields ? 1 : 0;
  {
    std::unique_lock<std::mutex> lock(shard.mu);
    // Watches of one resource are woken by the same event at once: the later ones wait for the
    // first one's parse rather than parse too (waiting costs a wake-up, a pod's parse far more).
    for (;;) {
      auto it = shard.entries.find(address);
      if (it == shard.entries.end() || it->second.object.lock() != object) break;
      if (auto decoded = it->second.decoded[slot].lock()) return decoded;
      if (!it->second.parsing[slot]) {
        it->second.parsing[slot] = true;
        break;
      }
      shard.parsed.wait(lock);
    }
    Entry& entry = shard.entries[address];
    if (entry.object.lock() != object) entry = Entry{object, {}, {}};  // new, or an old address reused
    entry.parsing[slot] = true;
  }
  boost::json::value parsed = object->Parse();
  if (auto* meta = parsed.is_object() ? parsed.as_object().if_contains("metadata") : nullptr;
      strip_managed_fields && meta != nullptr && meta->is_object()) {
    meta->as_object().erase("managedFields");
  }
  auto decoded = std::make_shared<const boost::json::value>(std::move(parsed));
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    Entry& entry = shard.entries[address];  // a sweep never drops an entry being parsed
    entry.decoded[slot] = decoded;
    entry.parsing[slot] = false;
    if (++shard.inserts_since_sweep >= kSweepEvery) Sweep(shard);
  }
  shard.parsed.notify_all();
  return decoded;
}

void SharedDecode::Sweep(Shard& shard) {
  shard.inserts_since_sweep = 0;
  absl::erase_if(shard.entries, [](const auto& kv) {
    const Entry& e = kv.second;
    if (e.parsing[0] || e.parsing[1]) return false;
    return e.object.expired() || (e.decoded[0].expired() && e.decoded[1].expired());
  });
}

size_t SharedDecode::TrackedForTest() {
  size_t n = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    Sweep(shard);
    n += shard.entries.size();
  }
  return n;
}

SharedDecode& ProcessSharedDecode() {
  static SharedDecode* const instance = new SharedDecode();  // never destroyed: used until exit
  return *instance;
}

}  // namespace skiff::client
