// Backups of a rotated audit log, named as kube-apiserver's (lumberjack's) are: "audit.log" is
// moved to "audit-2026-12-07T08-00-00.000.log" (UTC, millisecond precision) and, when compressed,
// to "audit-2026-12-07T08-00-00.000.log.gz".
// Thread-safety: plain functions over the file system; callers serialize work on one log's
// backups. Ownership: values. Failure: Status for file system and zlib errors.
#ifndef SKIFF_APISERVER_AUDIT_BACKUPS_H_
#define SKIFF_APISERVER_AUDIT_BACKUPS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace skiff::apiserver::audit {

struct Backup {
  std::string path;
  absl::Time time;  // from its name
  bool compressed = false;
};

// The path `log_path` is moved to when rotated at `time`.
std::string BackupPath(const std::string& log_path, absl::Time time);

// The backups of `log_path` in its directory, newest first (a missing directory has none).
std::vector<Backup> ListBackups(const std::string& log_path);

struct RetentionOptions {
  int max_backups = 0;   // 0 = keep any number
  int max_age_days = 0;  // 0 = keep any age
  bool compress = false;
};

// Removes the backups beyond `max_backups` (newest kept; a file and its .gz count once) and those
// older than `max_age_days` before `now`, then gzips the remaining uncompressed ones. Keeps going
// past a failure and returns the first.
absl::Status ApplyRetention(const std::string& log_path, const RetentionOptions& options, absl::Time now);

// Writes `path`.gz (gzip) and removes `path`; on failure removes the partial .gz and keeps `path`.
absl::Status GzipFile(const std::string& path);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_BACKUPS_H_
