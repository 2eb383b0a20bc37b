#include "apiserver/audit/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "apiserver/audit/backups.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver::audit {

absl::Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, "write audit log");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

namespace {

class StdoutSink : public Sink {
 public:
  absl::Status Write(const std::vector<std::string>& lines) override {
    std::string batch;
    for (const auto& line : lines) batch += line;
    return WriteAll(STDOUT_FILENO, batch);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sink>> OpenSink(const std::string& path, const RotationOptions& rotation,
                                               const base::Clock* clock) {
  if (path == "-") return std::unique_ptr<Sink>(std::make_unique<StdoutSink>());
  auto file = RotatingFile::Open(path, rotation, clock);
  if (!file.ok()) return file.status();
  return std::unique_ptr<Sink>(std::move(*file));
}

RotatingFile::RotatingFile(std::string path, RotationOptions options, const base::Clock* clock)
    : path_(std::move(path)), options_(options), clock_(clock) {}

absl::StatusOr<std::unique_ptr<RotatingFile>> RotatingFile::Open(std::string path, RotationOptions options,
                                                                 const base::Clock* clock) {
  if (options.max_bytes <= 0)
    return absl::InvalidArgumentError("audit log: the maximum size must be positive");
  std::unique_ptr<RotatingFile> file(new RotatingFile(std::move(path), options, clock));
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(file->path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  if (auto s = file->OpenCurrent(); !s.ok()) return s;
  file->retention_ = std::thread([f = file.get()] { f->RetentionLoop(); });
  {
    // Backups left by an earlier run with other limits.
    std::lock_guard<std::mutex> lock(file->mu_);
    ++file->requested_;
  }
  file->cv_.notify_all();
  return file;
}

RotatingFile::~RotatingFile() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (retention_.joinable()) retention_.join();
}

absl::Status RotatingFile::OpenCurrent() {
  int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoStatus(errno, "open " + path_);
  fd_.reset(fd);
  struct stat st {};
  if (fstat(fd, &st) != 0) return base::ErrnoStatus(errno, "stat " + path_);
  size_ = st.st_size;
  return absl::OkStatus();
}

absl::Status RotatingFile::Rotate() {
  fd_.reset();
  // Two rotations within one millisecond (or a clock that stands still) must not overwrite a backup.
  absl::Time at = clock_->Now();
  std::string backup = BackupPath(path_, at);
  while (access(backup.c_str(), F_OK) == 0 || access((backup + ".gz").c_str(), F_OK) == 0) {
    at += absl::Milliseconds(1);
    backup = BackupPath(path_, at);
  }
  if (rename(path_.c_str(), backup.c_str()) != 0 && errno != ENOENT) {
    absl::Status s = base::ErrnoStatus(errno, "rename " + path_);
    if (auto reopened = OpenCurrent(); !reopened.ok()) return reopened;
    return s;
  }
  if (auto s = OpenCurrent(); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requested_;
  }
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status RotatingFile::Write(const std::vector<std::string>& lines) {
  absl::Status first;
  std::string chunk;
  auto flush = [&]() {
    if (chunk.empty()) return;
    if (!fd_.valid()) {
      if (auto s = OpenCurrent(); !s.ok()) {
        if (first.ok()) first = s;
        chunk.clear();
        return;
      }
    }
    absl::Status s = WriteAll(fd_.get(), chunk);
    if (s.ok()) size_ += static_cast<int64_t>(chunk.size());
    if (!s.ok() && first.ok()) first = s;
    chunk.clear();
  };
  for (const auto& line : lines) {
    int64_t after = size_ + static_cast<int64_t>(chunk.size() + line.size());
    if (after > options_.max_bytes && size_ + static_cast<int64_t>(chunk.size()) > 0) {
      flush();
      if (auto s = Rotate(); !s.ok() && first.ok()) first = s;
    }
    chunk += line;
  }
  flush();
  return first;
}

void RotatingFile::WaitForRetention() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t target = requested_;
  cv_.wait(lock, [&] { return done_ >= target || stopping_; });
}

void RotatingFile::RetentionLoop() {
  RetentionOptions retention{options_.max_backups, options_.max_age_days, options_.compress};
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || done_ < requested_; });
    if (stopping_) return;
    int64_t target = requested_;
    lock.unlock();
    if (auto s = ApplyRetention(path_, retention, clock_->Now()); !s.ok()) {
      spdlog::warn("audit log retention: {}", s.ToString());
    }
    lock.lock();
    done_ = target;
    cv_.notify_all();
  }
}

}  // namespace skiff::apiserver::audit
