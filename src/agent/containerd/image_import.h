// Importing image archives (OCI layout or `docker save` tars) into a containerd's k8s.io
// namespace, where the CRI plugin (and so the agent) sees them, by running containerd's own
// `ctr images import`. Images are unpacked into the overlayfs snapshotter so that the first
// container start does not pay for it.
//
// Thread-safety: safe to call concurrently (each call is its own ctr process).
// Failures: NotFound if the archive is missing; Internal with ctr's output if ctr fails;
// DeadlineExceeded if it runs longer than `timeout`.
#ifndef SKIFF_AGENT_CONTAINERD_IMAGE_IMPORT_H_
#define SKIFF_AGENT_CONTAINERD_IMAGE_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::agent::containerd {

struct ImportOptions {
  std::string ctr_binary = "ctr";
  std::string snapshotter = "overlayfs";
  absl::Duration timeout = absl::Minutes(5);
};

// `socket` is containerd's socket path or unix:// endpoint. Returns the image names ctr reports
// (from the archive's io.containerd.image.name / org.opencontainers.image.ref.name annotations,
// or the tags of a docker archive).
absl::StatusOr<std::vector<std::string>> ImportImageArchive(const std::string& socket,
                                                            const std::string& archive,
                                                            const ImportOptions& options = {});

// Parses ctr's "unpacking NAME (sha256:...)...done" lines; exposed for tests.
std::vector<std::string> ParseImportedNames(const std::string& ctr_output);

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_IMAGE_IMPORT_H_
