#include "apiserver/audit/options.h"

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "apiserver/audit/auditor.h"

namespace skiff::apiserver::audit {

void AddAuditFlags(CLI::App* command, AuditOptions* options) {
  command->add_option("--audit-log-path", options->log_path,
                      "Write an audit.k8s.io/v1 event per request stage to this file as JSON lines "
                      "(\"-\": standard output; unset: no audit log)");
  command->add_option(
      "--audit-policy-file", options->policy_file,
      "audit.k8s.io/v1 Policy deciding what is recorded (default: Metadata for every request)");
  command->add_option("--audit-log-maxsize", options->max_size_mb, "Rotate the audit log at this size (MB)")
      ->capture_default_str();
  command->add_option("--audit-log-maxbackup", options->max_backups, "Rotated audit logs to keep (0: all)")
      ->capture_default_str();
  command
      ->add_option("--audit-log-maxage", options->max_age_days,
                   "Days to keep rotated audit logs, by the time in their names (0: no limit)")
      ->capture_default_str();
  command->add_flag("--audit-log-compress", options->compress, "gzip rotated audit logs");
  command
      ->add_option("--audit-log-batch-buffer-size", options->batch_buffer_size,
                   "Audit events waiting to be written before new ones are dropped (and counted)")
      ->capture_default_str();
}

absl::StatusOr<std::shared_ptr<Auditor>> NewAuditor(const AuditOptions& options, const base::Clock* clock) {
  if (options.log_path.empty()) {
    if (!options.policy_file.empty()) {
      return absl::InvalidArgumentError("--audit-policy-file needs --audit-log-path");
    }
    return std::shared_ptr<Auditor>();
  }
  if (options.max_size_mb <= 0) return absl::InvalidArgumentError("--audit-log-maxsize must be positive");
  if (options.max_backups < 0)
    return absl::InvalidArgumentError("--audit-log-maxbackup must not be negative");
  if (options.max_age_days < 0) return absl::InvalidArgumentError("--audit-log-maxage must not be negative");
  if (options.batch_buffer_size <= 0) {
    return absl::InvalidArgumentError("--audit-log-batch-buffer-size must be positive");
  }
  Policy policy = Policy::MetadataForAll();
  if (!options.policy_file.empty()) {
    auto loaded = Policy::Load(options.policy_file);
    if (!loaded.ok())
      return absl::InvalidArgumentError(absl::StrCat("--audit-policy-file: ", loaded.status().message()));
    policy = std::move(*loaded);
  }
  RotationOptions rotation;
  rotation.max_bytes = int64_t{options.max_size_mb} << 20;
  rotation.max_backups = options.max_backups;
  rotation.max_age_days = options.max_age_days;
  rotation.compress = options.compress;
  auto sink = OpenSink(options.log_path, rotation, clock);
  if (!sink.ok()) return sink.status();
  BatchWriterOptions batch;
  batch.max_queued_lines = static_cast<size_t>(options.batch_buffer_size);
  return std::make_shared<Auditor>(std::move(policy), std::make_unique<BatchWriter>(std::move(*sink), batch),
                                   clock);
}

}  // namespace skiff::apiserver::audit
