#include "apiserver/range_allocator.h"

#include <algorithm>

namespace skiff::apiserver {

RangeAllocator::RangeAllocator(uint64_t first, uint64_t size, uint64_t static_band)
    : first_(first), size_(size), static_band_(std::min(static_band, size)), taken_(size, false) {}

RangeAllocator::TakeResult RangeAllocator::Take(uint64_t value) {
  if (!InRange(value)) return TakeResult::kOutOfRange;
  auto bit = taken_[value - first_];
  if (bit) return TakeResult::kAlreadyTaken;
  bit = true;
  ++used_;
  return TakeResult::kTaken;
}

// A random start inside [begin, end), then a linear probe with wrap-around: O(1) while the band
// is sparse, and always finds a free value if there is one.
std::optional<uint64_t> RangeAllocator::FindFree(uint64_t begin, uint64_t end) {
  if (begin >= end) return std::nullopt;
  uint64_t span = end - begin;
  uint64_t start = absl::Uniform<uint64_t>(rng_, 0, span);
  for (uint64_t i = 0; i < span; ++i) {
    uint64_t offset = begin + (start + i) % span;
    if (!taken_[offset]) return offset;
  }
  return std::nullopt;
}

std::optional<uint64_t> RangeAllocator::Allocate() {
  if (used_ >= size_) return std::nullopt;
  auto offset = FindFree(static_band_, size_);
  if (!offset) offset = FindFree(0, static_band_);
  if (!offset) return std::nullopt;
  taken_[*offset] = true;
  ++used_;
  return first_ + *offset;
}

void RangeAllocator::Release(uint64_t value) {
  if (!InRange(value)) return;
  auto bit = taken_[value - first_];
  if (!bit) return;
  bit = false;
  --used_;
}

bool RangeAllocator::Has(uint64_t value) const { return InRange(value) && taken_[value - first_]; }

void RangeAllocator::Clear() {
  std::fill(taken_.begin(), taken_.end(), false);
  used_ = 0;
}

}  // namespace skiff::apiserver
