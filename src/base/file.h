// Whole-file helpers: read a file into a string, write one atomically (temporary file beside the
// target, fsync, rename) with an explicit mode, and UniqueFd, a file descriptor closed on scope exit.
//
// Thread-safety: the functions keep no state and are safe to call concurrently; two concurrent
// atomic writes of one path leave one of the two contents, never a mix. A UniqueFd is not shared.
// Ownership: UniqueFd owns its descriptor (move-only) and closes it when destroyed or reset.
// Failures: absl::Status carrying the errno text: NotFound for a missing file or directory,
// PermissionDenied for EACCES/EPERM, AlreadyExists for EEXIST, Internal otherwise. A failed atomic
// write leaves the old content (or no file) and removes its temporary file.
#ifndef SKIFF_BASE_FILE_H_
#define SKIFF_BASE_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::base {

// The Status for a failed system call: `what` (e.g. "open /x") and strerror(err), code as above.
absl::Status ErrnoStatus(int err, absl::string_view what);

// The whole content of `path` (binary, any size).
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Whether WriteFileAtomically creates missing parent directories (with mode 0755 less the umask).
enum class ParentDirs { kMustExist, kCreate };

// Writes `data` to a fresh temporary file beside `path` with permission bits `mode` (exactly; the
// umask does not apply), fsyncs it and renames it over `path`: readers see the old or the new
// content, never a mix.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data, mode_t mode,
                                 ParentDirs parents = ParentDirs::kMustExist);

// Like WriteFileAtomically, but publishes the file (by link(2)) only if `path` does not exist yet:
// AlreadyExists when it does, so of concurrent writers exactly one wins.
absl::Status WriteFileIfAbsent(const std::string& path, absl::string_view data, mode_t mode);

// Writes "1" to a sysctl file (/proc/sys/...) unless it already reads 1. Such files are written in
// place (they cannot be renamed over). NotFound when the file does not exist (module not loaded).
absl::Status EnableSysctl(const std::string& path);

// A file descriptor closed on scope exit; -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the held descriptor (if any) and holds `fd` instead.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_FILE_H_
