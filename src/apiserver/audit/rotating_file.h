// RotatingFile: an append-only log file rotated by size, with kube-apiserver's (lumberjack's)
// semantics: an existing file is appended to; when the next lines would take it past max_bytes it
// is renamed to a timestamped backup (backups.h) and a fresh file (mode 0600) takes its place;
// after each rotation a background thread removes backups beyond max_backups or max_age_days and,
// if asked, gzips the rest. A batch is split at line boundaries across files; a line longer than
// max_bytes gets a file of its own.
// Thread-safety: Write from one thread at a time; the retention thread only touches backups.
// Ownership: owns its descriptor and thread (joined on destruction); borrows the clock.
// Failure: Open and Write answer Status for file system errors; retention errors are logged.
#ifndef SKIFF_APISERVER_AUDIT_ROTATING_FILE_H_
#define SKIFF_APISERVER_AUDIT_ROTATING_FILE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "apiserver/audit/sink.h"
#include "base/file.h"

namespace skiff::apiserver::audit {

class RotatingFile : public Sink {
 public:
  static absl::StatusOr<std::unique_ptr<RotatingFile>> Open(std::string path, RotationOptions options,
                                                            const base::Clock* clock);
  ~RotatingFile() override;

  absl::Status Write(const std::vector<std::string>& lines) override;
  // Waits until the retention work asked for so far is done (for tests).
  void WaitForRetention();

 private:
  RotatingFile(std::string path, RotationOptions options, const base::Clock* clock);
  absl::Status OpenCurrent();
  absl::Status Rotate();
  void RetentionLoop();

  const std::string path_;
  const RotationOptions options_;
  const base::Clock* clock_;
  base::UniqueFd fd_;
  int64_t size_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t requested_ = 0;  // retention passes asked for
  int64_t done_ = 0;       // ... and finished
  bool stopping_ = false;
  std::thread retention_;
};

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_ROTATING_FILE_H_
