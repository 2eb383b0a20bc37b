#include "agent/podspec/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

namespace fs = std::filesystem;

namespace {

constexpr char kDataTmpName[] = "..data_tmp";

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(base::Av(what), " ", path, ": ", std::strerror(errno)));
}

absl::Status FsError(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat(base::Av(what), " ", path.string(), ": ", ec.message()));
}

std::string FirstElement(const std::string& path) { return path.substr(0, path.find('/')); }

// True when `dir` holds exactly the payload's files with the same content and modes.
bool SameContent(const fs::path& dir, const Payload& payload) {
  std::error_code ec;
  size_t files = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) ++files;
  }
  if (ec || files != payload.size()) return false;
  for (const auto& [path, file] : payload) {
    fs::path p = dir / path;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != file.mode) return false;
    absl::StatusOr<std::string> data = base::ReadFile(p);
    if (!data.ok() || *data != file.data) return false;
  }
  return true;
}

absl::Status WriteOne(const fs::path& path, const FileProjection& file) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return FsError("creating", path.parent_path(), ec);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating", path.string());
  size_t done = 0;
  while (done < file.data.size()) {
    ssize_t n = write(fd, file.data.data() + done, file.data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = Errno("writing", path.string());
      close(fd);
      return status;
    }
    done += static_cast<size_t>(n);
  }
  // fchmod after the write: the mode must not depend on the process umask.
  if (fchmod(fd, file.mode & 07777) != 0) {
    absl::Status status = Errno("chmod", path.string());
    close(fd);
    return status;
  }
  if (close(fd) != 0) return Errno("closing", path.string());
  return absl::OkStatus();
}

std::string NewTimestampTemplate(const fs::path& dir) {
  return (dir / absl::FormatTime("..%Y_%m_%d_%H_%M_%S.XXXXXX", absl::Now(), absl::UTCTimeZone())).string();
}

}  // namespace

absl::Status AtomicWriter::ValidatePath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("invalid path: must not be empty");
  if (path.size() > 4096)
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path: must be less than or equal to 4096 characters: ", path));
  if (path.front() == '/')
    return absl::InvalidArgumentError(absl::StrCat("invalid path: must be relative path: ", path));
  for (absl::string_view element : absl::StrSplit(path, '/')) {
    if (element == "..") {
      return absl::InvalidArgumentError(absl::StrCat("invalid path: must not contain '..': ", path));
    }
    if (element.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat("invalid path: element too long: ", path));
    }
  }
  if (path.starts_with("..")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid path: must not start with '..': ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> AtomicWriter::Write(const Payload& payload) {
  for (const auto& [path, file] : payload) {
    if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  }
  const fs::path dir(target_dir_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FsError("creating", dir, ec);

  const fs::path data_link = dir / kDataDirName;
  std::string old_ts;
  if (fs::is_symlink(fs::symlink_status(data_link, ec))) old_ts = fs::read_symlink(data_link, ec).string();
  bool changed = old_ts.empty() || !SameContent(dir / old_ts, payload);

  if (changed) {
    std::string tmpl = NewTimestampTemplate(dir);
    if (mkdtemp(tmpl.data()) == nullptr) return Errno("creating", tmpl);
    const fs::path ts_dir(tmpl);
    chmod(ts_dir.c_str(), 0755);
    for (const auto& [path, file] : payload) {
      if (absl::Status s = WriteOne(ts_dir / path, file); !s.ok()) {
        fs::remove_all(ts_dir, ec);
        return s;
      }
    }
    // Swap ..data atomically: a fresh symlink renamed over the old one.
    const fs::path tmp_link = dir / kDataTmpName;
    fs::remove(tmp_link, ec);
    if (symlink(ts_dir.filename().c_str(), tmp_link.c_str()) != 0) {
      absl::Status status = Errno("symlink", tmp_link.string());
      fs::remove_all(ts_dir, ec);
      return status;
    }
    if (rename(tmp_link.c_str(), data_link.c_str()) != 0) {
      absl::Status status = Errno("renaming", tmp_link.string());
      fs::remove(tmp_link, ec);
      fs::remove_all(ts_dir, ec);
      return status;
    }
  }

  // User-visible links for the payload's top-level names.
  std::set<std::string> visible;
  for (const auto& [path, file] : payload) visible.insert(FirstElement(path));
  for (const std::string& name : visible) {
    fs::path link = dir / name;
    if (fs::exists(fs::symlink_status(link, ec))) continue;
    fs::path target = fs::path(kDataDirName) / name;
    if (symlink(target.c_str(), link.c_str()) != 0) return Errno("symlink", link.string());
  }

  // Remove links that left the payload, and timestamped directories other than the current one.
  std::string current = fs::read_symlink(data_link, ec).string();
  std::vector<fs::path> stale;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code inner;
    std::string name = entry.path().filename().string();
    if (name.starts_with("..")) {
      if (name != kDataDirName && name != current && entry.is_directory(inner) && !entry.is_symlink(inner)) {
        stale.push_back(entry.path());
      }
    } else if (!visible.contains(name) && entry.is_symlink(inner) &&
               fs::read_symlink(entry.path(), inner).string().starts_with(std::string(kDataDirName) + "/")) {
      stale.push_back(entry.path());
    }
  }
  for (const fs::path& p : stale) {
    fs::remove_all(p, ec);
    if (ec) return FsError("removing", p, ec);
  }
  return changed;
}

}  // namespace skiff::agent::podspec
