// AtomicWriter: writes a set of files into a volume directory the way the kubelet's AtomicWriter
// does, so a container sees either the old or the new set, never a mix, and updates appear in
// place (ConfigMap/Secret/downwardAPI/projected volumes):
//   <dir>/..2024_05_01_10_00_00.123456/<files>   the current payload (a timestamped directory)
//   <dir>/..data -> ..2024_05_01_10_00_00.123456 swapped atomically by rename(2) of ..data_tmp
//   <dir>/<top-level name> -> ..data/<top-level name>   the user-visible symlinks
// After the swap, user-visible links no longer in the payload and the old timestamped directory
// are removed. A write whose payload equals the current content changes nothing.
// Thread-safety: one writer per directory at a time (the pod worker serialises calls).
// Ownership: owns nothing but the path string. Failure: InvalidArgument for a bad payload path
// (absolute, "..", a leading ".."-prefixed element); Internal with errno text for filesystem errors
// (the previous content stays visible).
#ifndef SKIFF_AGENT_PODSPEC_ATOMIC_WRITER_H_
#define SKIFF_AGENT_PODSPEC_ATOMIC_WRITER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace skiff::agent::podspec {

struct FileProjection {
  std::string data;
  uint32_t mode = 0644;
  bool operator==(const FileProjection&) const = default;
};

// Relative path ("a/b.txt") -> content.
using Payload = std::map<std::string, FileProjection>;

inline constexpr char kDataDirName[] = "..data";

class AtomicWriter {
 public:
  explicit AtomicWriter(std::string target_dir) : target_dir_(std::move(target_dir)) {}

  // Creates the target directory if needed. Returns true when the content changed.
  absl::StatusOr<bool> Write(const Payload& payload);

  // Checks a payload path: relative, no "..", first element not starting with "..", <= 4096 chars.
  static absl::Status ValidatePath(const std::string& path);

 private:
  std::string target_dir_;
};

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_ATOMIC_WRITER_H_
