// RangeAllocator: which values of a contiguous range [first, first + size) are taken — the
// bitmap behind Service ClusterIPs (offsets inside --service-cidr) and NodePorts (30000-32767).
// Like Kubernetes' allocators it splits the range into a lower "static" band, preferred by
// users who pick a value themselves (the kubernetes and kube-dns Services take .1 and .10), and
// an upper band that dynamic allocation tries first, so automatic picks rarely collide with
// values written in manifests.
//
// Thread-safety: not synchronized; the owner serializes calls. Ownership: a value type.
// Failure: Allocate returns false when the range is full; Take reports why a value cannot be
// taken (outside the range or already taken).
#ifndef SKIFF_APISERVER_RANGE_ALLOCATOR_H_
#define SKIFF_APISERVER_RANGE_ALLOCATOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/random/random.h"

namespace skiff::apiserver {

class RangeAllocator {
 public:
  enum class TakeResult { kTaken, kOutOfRange, kAlreadyTaken };

  // `static_band`: the lowest values dynamic allocation uses only when the upper part is full.
  RangeAllocator(uint64_t first, uint64_t size, uint64_t static_band);

  // Marks `value` taken.
  TakeResult Take(uint64_t value);
  // A free value, preferring the upper band; nullopt when every value is taken.
  std::optional<uint64_t> Allocate();
  void Release(uint64_t value);
  bool Has(uint64_t value) const;
  bool InRange(uint64_t value) const { return value >= first_ && value - first_ < size_; }
  uint64_t first() const { return first_; }
  uint64_t size() const { return size_; }
  uint64_t used() const { return used_; }
  void Clear();

 private:
  std::optional<uint64_t> FindFree(uint64_t begin, uint64_t end);

  uint64_t first_;
  uint64_t size_;
  uint64_t static_band_;
  uint64_t used_ = 0;
  std::vector<bool> taken_;
  absl::BitGen rng_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_RANGE_ALLOCATOR_H_
