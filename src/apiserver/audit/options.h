// The audit log's settings, as kube-apiserver's --audit-* flags, the flags themselves, and the
// Auditor they describe. Kept apart from auditor.h so server.h and main.cc stay light.
// Thread-safety: plain values and functions. Ownership: the caller owns what NewAuditor returns.
// Failure: NewAuditor answers InvalidArgument for a bad policy file or limits, and the file
// system's error when the log cannot be opened; the server then refuses to start.
#ifndef SKIFF_APISERVER_AUDIT_OPTIONS_H_
#define SKIFF_APISERVER_AUDIT_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"

namespace CLI {
class App;
}

namespace skiff::apiserver::audit {

class Auditor;

struct AuditOptions {
  std::string log_path;     // "" = no audit log; "-" = standard output
  std::string policy_file;  // "" = Metadata for every request
  int max_size_mb = 100;
  int max_backups = 10;
  int max_age_days = 0;  // 0 = backups of any age are kept
  bool compress = false;
  int batch_buffer_size = 10000;  // events queued before new ones are dropped
};

// --audit-log-path, --audit-policy-file, --audit-log-maxsize, --audit-log-maxbackup,
// --audit-log-maxage, --audit-log-compress, --audit-log-batch-buffer-size.
void AddAuditFlags(CLI::App* command, AuditOptions* options);

// The Auditor for `options`, or null when no log path is set. `clock` must outlive it.
absl::StatusOr<std::shared_ptr<Auditor>> NewAuditor(const AuditOptions& options, const base::Clock* clock);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_OPTIONS_H_
