#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace skiff::base {
namespace {

absl::Status WriteAllAndSync(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", path));
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (fsync(fd) != 0) return ErrnoStatus(errno, absl::StrCat("fsync ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read ", path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {

// Writes `data` to a fresh temporary file beside `path` with `mode`; returns the temporary's name.
absl::StatusOr<std::string> WriteTemp(const std::string& path, absl::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));  // created 0600
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("create temporary file for ", path));
  absl::Status st = fchmod(fd.get(), mode) == 0 ? WriteAllAndSync(fd.get(), data, tmp)
                                                 : ErrnoStatus(errno, absl::StrCat("fchmod ", tmp));
  if (close(fd.release()) != 0 && st.ok()) st = ErrnoStatus(errno, absl::StrCat("close ", tmp));
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  return tmp;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data, mode_t mode,
                                 ParentDirs parents) {
  if (parents == ParentDirs::kCreate) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return ErrnoStatus(ec.value(), absl::StrCat("create directory ", parent.string()));
  }
  absl::StatusOr<std::string> tmp = WriteTemp(path, data, mode);
  if (!tmp.ok()) return tmp.status();
  if (rename(tmp->c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp->c_str());
    return ErrnoStatus(err, absl::StrCat("rename ", *tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status EnableSysctl(const std::string& path) {
  absl::StatusOr<std::string> current = ReadFile(path);
  if (!current.ok()) return current.status();
  if (current->substr(0, 1) == "1") return absl::OkStatus();
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  if (write(fd.get(), "1\n", 2) != 2) return ErrnoStatus(errno, absl::StrCat("write ", path));
  return absl::OkStatus();
}

absl::Status WriteFileIfAbsent(const std::string& path, absl::string_view data, mode_t mode) {
  absl::StatusOr<std::string> tmp = WriteTemp(path, data, mode);
  if (!tmp.ok()) return tmp.status();
  int rc = link(tmp->c_str(), path.c_str());
  int err = errno;
  unlink(tmp->c_str());
  if (rc != 0) return ErrnoStatus(err, absl::StrCat("link ", *tmp, " to ", path));
  return absl::OkStatus();
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

}  // namespace skiff::base
