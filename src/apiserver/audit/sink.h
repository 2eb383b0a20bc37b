// Where audit lines go: a Sink takes whole lines in order. OpenSink picks standard output for "-"
// and a size-rotated file (rotating_file.h) otherwise.
// Thread-safety: a Sink is used by one writer thread at a time. Ownership: the caller owns the
// Sink. Failure: Write answers a Status for write errors (the lines are lost; later writes try again).
#ifndef SKIFF_APISERVER_AUDIT_SINK_H_
#define SKIFF_APISERVER_AUDIT_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"

namespace skiff::apiserver::audit {

class Sink {
 public:
  virtual ~Sink() = default;
  // Each line ends with '\n'. Written with write(2), no user-space buffering: once Write returns,
  // the lines survive the process being killed.
  virtual absl::Status Write(const std::vector<std::string>& lines) = 0;
};

struct RotationOptions {
  int64_t max_bytes = int64_t{100} << 20;  // a file is rotated before it would grow past this
  int max_backups = 10;                    // 0 = keep every backup
  int max_age_days = 0;                    // 0 = keep backups of any age
  bool compress = false;                   // gzip backups (in the background)
};

// "-": standard output; otherwise a RotatingFile at `path`. `clock` names backups and must outlive it.
absl::StatusOr<std::unique_ptr<Sink>> OpenSink(const std::string& path, const RotationOptions& rotation,
                                               const base::Clock* clock);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, std::string_view data);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_SINK_H_
