#include "storage/sqlite/revision_timeline.h"

namespace skiff::storage {

void RevisionTimeline::Record(absl::Time now, int64_t revision) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!samples_.empty() && revision <= samples_.back().revision) return;
  // The newest sample is always exact; older ones stay at least `granularity` apart, so a burst
  // of commits just keeps moving the newest sample forward.
  size_t size = samples_.size();
  if (size >= 2 && now - samples_[size - 2].time < granularity_) {
    samples_.back() = {now, revision};
  } else {
    samples_.push_back({now, revision});
    if (samples_.size() > kMaxSamples) samples_.pop_front();  // Nobody is compacting; stay bounded.
  }
}

int64_t RevisionTimeline::RevisionAtOrBefore(absl::Time cutoff) {
  std::lock_guard<std::mutex> lock(mu_);
  // Keep the newest sample at or before the cutoff; older ones are superseded by it forever.
  while (samples_.size() >= 2 && samples_[1].time <= cutoff) samples_.pop_front();
  if (samples_.empty() || samples_.front().time > cutoff) return 0;
  return samples_.front().revision;
}

}  // namespace skiff::storage
