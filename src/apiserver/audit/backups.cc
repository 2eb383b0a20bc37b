#include "apiserver/audit/backups.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace skiff::apiserver::audit {
namespace {

namespace fs = std::filesystem;

constexpr char kTimeFormat[] = "%Y-%m-%dT%H-%M-%E3S";  // Go's "2006-01-02T15-04-05.000"

struct NameParts {
  std::string dir;
  std::string prefix;  // "audit-"
  std::string ext;     // ".log"
};

NameParts SplitName(const std::string& log_path) {
  fs::path p(log_path);
  std::string name = p.filename().string();
  std::string ext = p.extension().string();
  return {p.parent_path().empty() ? "." : p.parent_path().string(),
          absl::StrCat(name.substr(0, name.size() - ext.size()), "-"), ext};
}

}  // namespace

std::string BackupPath(const std::string& log_path, absl::Time time) {
  NameParts n = SplitName(log_path);
  return (fs::path(n.dir) /
          absl::StrCat(n.prefix, absl::FormatTime(kTimeFormat, time, absl::UTCTimeZone()), n.ext))
      .string();
}

std::vector<Backup> ListBackups(const std::string& log_path) {
  NameParts n = SplitName(log_path);
  std::vector<Backup> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(n.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, n.prefix)) continue;
    Backup b;
    b.compressed = absl::EndsWith(name, n.ext + ".gz");
    std::string tail = b.compressed ? n.ext + ".gz" : n.ext;
    if (!absl::EndsWith(name, tail) || name.size() <= n.prefix.size() + tail.size()) continue;
    std::string stamp = name.substr(n.prefix.size(), name.size() - n.prefix.size() - tail.size());
    std::string err;
    if (!absl::ParseTime(kTimeFormat, stamp, absl::UTCTimeZone(), &b.time, &err)) continue;
    b.path = entry.path().string();
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const Backup& a, const Backup& b) {
    return a.time != b.time ? a.time > b.time : a.compressed < b.compressed;
  });
  return out;
}

absl::Status ApplyRetention(const std::string& log_path, const RetentionOptions& options, absl::Time now) {
  absl::Status first;
  auto note = [&first](absl::Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  std::vector<Backup> backups = ListBackups(log_path);
  std::set<absl::Time> kept_times;  // a backup and its .gz share one time
  std::vector<Backup> kept;
  absl::Time cutoff = now - absl::Hours(24) * options.max_age_days;
  for (const auto& b : backups) {
    bool too_many = options.max_backups > 0 && !kept_times.count(b.time) &&
                    static_cast<int>(kept_times.size()) >= options.max_backups;
    bool too_old = options.max_age_days > 0 && b.time < cutoff;
    if (too_many || too_old) {
      if (unlink(b.path.c_str()) != 0 && errno != ENOENT) note(base::ErrnoStatus(errno, "unlink " + b.path));
      continue;
    }
    kept_times.insert(b.time);
    kept.push_back(b);
  }
  if (options.compress) {
    for (const auto& b : kept) {
      if (b.compressed) continue;
      bool has_gz = std::any_of(kept.begin(), kept.end(),
                                [&](const Backup& o) { return o.compressed && o.time == b.time; });
      if (has_gz) {
        // An earlier compression finished writing the .gz but not the removal.
        if (unlink(b.path.c_str()) != 0 && errno != ENOENT)
          note(base::ErrnoStatus(errno, "unlink " + b.path));
        continue;
      }
      note(GzipFile(b.path));
    }
  }
  return first;
}

absl::Status GzipFile(const std::string& path) {
  base::UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return base::ErrnoStatus(errno, "open " + path);
  std::string gz_path = path + ".gz";
  int out_fd = open(gz_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0) return base::ErrnoStatus(errno, "open " + gz_path);
  gzFile out = gzdopen(out_fd, "wb6");
  if (!out) {
    close(out_fd);
    unlink(gz_path.c_str());
    return absl::InternalError("gzdopen " + gz_path + " failed");
  }
  std::string buffer(1 << 16, '\0');
  absl::Status status;
  for (;;) {
    ssize_t n = read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = base::ErrnoStatus(errno, "read " + path);
      break;
    }
    if (n == 0) break;
    if (gzwrite(out, buffer.data(), static_cast<unsigned>(n)) != n) {
      status = absl::InternalError("gzwrite " + gz_path + " failed");
      break;
    }
  }
  if (gzclose(out) != Z_OK && status.ok()) status = absl::InternalError("gzclose " + gz_path + " failed");
  if (!status.ok()) {
    unlink(gz_path.c_str());
    return status;
  }
  if (unlink(path.c_str()) != 0) return base::ErrnoStatus(errno, "unlink " + path);
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::audit
