// RevisionTimeline: remembers, coarsely, which revision was current at which time, so that
// background compaction can find "the newest revision older than now - retention".
//
// Thread-safety: all methods may be called concurrently (internally locked).
// Ownership: owns its samples. Memory is bounded: about one sample per `granularity`, at most
// kMaxSamples, and samples older than the last compaction cutoff are dropped.
// Failure: never fails; an empty timeline answers 0 ("nothing is old enough").
#ifndef SKIFF_STORAGE_SQLITE_REVISION_TIMELINE_H_
#define SKIFF_STORAGE_SQLITE_REVISION_TIMELINE_H_

#include <cstdint>
#include <deque>
#include <mutex>

#include "absl/time/time.h"

namespace skiff::storage {

class RevisionTimeline {
 public:
  explicit RevisionTimeline(absl::Duration granularity) : granularity_(granularity) {}

  // Notes that `revision` was current at `now`. The newest revision is always remembered; older
  // samples are thinned to one per `granularity`, which only makes compaction more conservative.
  void Record(absl::Time now, int64_t revision);

  // The newest recorded revision that was already current at or before `cutoff` (0 if none), and
  // forgets samples that can never be the answer again.
  int64_t RevisionAtOrBefore(absl::Time cutoff);

 private:
  struct Sample {
    absl::Time time;
    int64_t revision;
  };
  static constexpr size_t kMaxSamples = 4096;

  const absl::Duration granularity_;
  std::mutex mu_;
  std::deque<Sample> samples_;  // Increasing in time and revision.
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_SQLITE_REVISION_TIMELINE_H_
