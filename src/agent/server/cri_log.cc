#include "agent/server/cri_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace skiff::agent::server {

namespace {

absl::Status FileError(const std::string& what, const std::string& path) {
  int err = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
}

bool QueryBool(const QueryLookup& query, const std::string& name) {
  std::optional<std::string> v = query(name);
  if (!v) return false;
  std::string lower = absl::AsciiStrToLower(*v);
  return lower == "true" || lower == "1";
}

absl::Status QueryInt(const QueryLookup& query, const std::string& name, std::optional<int64_t>* out) {
  std::optional<std::string> v = query(name);
  if (!v || v->empty()) return absl::OkStatus();
  int64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n)) return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer"));
  *out = n;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CriLogEntry> ParseCriLogLine(std::string_view line) {
  CriLogEntry entry;
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return absl::InvalidArgumentError("no timestamp");
  entry.timestamp = line.substr(0, a);
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(entry.timestamp), &entry.time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("bad timestamp: ", error));
  }
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return absl::InvalidArgumentError("no stream");
  entry.stream = line.substr(a + 1, b - a - 1);
  if (entry.stream != "stdout" && entry.stream != "stderr") return absl::InvalidArgumentError("bad stream");
  // The tag field may carry more tags after ':'; the first is F (full) or P (partial).
  size_t c = line.find(' ', b + 1);
  std::string_view tags =
      line.substr(b + 1, c == std::string_view::npos ? std::string_view::npos : c - b - 1);
  if (tags.empty() || (tags[0] != 'F' && tags[0] != 'P')) return absl::InvalidArgumentError("bad tag");
  entry.partial = tags[0] == 'P';
  entry.message = c == std::string_view::npos ? std::string_view() : line.substr(c + 1);
  return entry;
}

absl::StatusOr<LogOptions> ParseLogOptions(const QueryLookup& query, absl::Time now) {
  LogOptions options;
  options.follow = QueryBool(query, "follow");
  options.previous = QueryBool(query, "previous");
  options.timestamps = QueryBool(query, "timestamps");
  if (auto s = QueryInt(query, "tailLines", &options.tail_lines); !s.ok()) return s;
  if (auto s = QueryInt(query, "limitBytes", &options.limit_bytes); !s.ok()) return s;
  std::optional<int64_t> since_seconds;
  if (auto s = QueryInt(query, "sinceSeconds", &since_seconds); !s.ok()) return s;
  if (options.tail_lines && *options.tail_lines < 0)
    options.tail_lines.reset();  // negative = all, as kubelet
  if (options.limit_bytes && *options.limit_bytes <= 0)
    return absl::InvalidArgumentError("limitBytes must be > 0");
  if (since_seconds) {
    if (*since_seconds <= 0) return absl::InvalidArgumentError("sinceSeconds must be > 0");
    options.since = now - absl::Seconds(*since_seconds);
  }
  if (std::optional<std::string> t = query("sinceTime"); t && !t->empty()) {
    absl::Time since;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *t, &since, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("sinceTime: ", error));
    }
    options.since = since;
  }
  return options;
}

LogFormatter::LogFormatter(const LogOptions& options) : options_(options), remaining_(options.limit_bytes) {}

void LogFormatter::Emit(std::string_view text, std::string* out) {
  if (remaining_) {
    if (*remaining_ <= 0) return;
    if (static_cast<int64_t>(text.size()) > *remaining_) text = text.substr(0, *remaining_);
    *remaining_ -= static_cast<int64_t>(text.size());
  }
  out->append(text);
}

bool LogFormatter::AddLine(std::string_view line, std::string* out) {
  if (exhausted()) return false;
  absl::StatusOr<CriLogEntry> entry = ParseCriLogLine(line);
  if (!entry.ok()) {
    // Not a CRI entry (a foreign writer?): show it as it is.
    Emit(line, out);
    Emit("\n", out);
    at_line_start_ = true;
    return !exhausted();
  }
  if (options_.since && entry->time < *options_.since) {
    at_line_start_ = !entry->partial;
    return true;
  }
  if (options_.timestamps && at_line_start_) {
    Emit(entry->timestamp, out);
    Emit(" ", out);
  }
  Emit(entry->message, out);
  if (!entry->partial) Emit("\n", out);
  at_line_start_ = !entry->partial;
  return !exhausted();
}

absl::StatusOr<int64_t> TailStartOffset(const std::string& path, int64_t lines) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FileError("opening", path);
  // Scan forward, remembering where the last `lines` + 1 logical lines start.
  std::deque<int64_t> starts = {0};
  int64_t line_begin = 0;
  std::string pending;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("reading", path);
    }
    if (n == 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t pos = 0;
    for (size_t nl; (nl = pending.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      std::string_view line(pending.data() + pos, nl - pos);
      int64_t end = line_begin + static_cast<int64_t>(nl - pos) + 1;
      absl::StatusOr<CriLogEntry> entry = ParseCriLogLine(line);
      if (!entry.ok() || !entry->partial) {
        starts.push_back(end);
        if (static_cast<int64_t>(starts.size()) > lines + 1) starts.pop_front();
      }
      line_begin = end;
    }
    pending.erase(0, pos);
  }
  if (lines == 0) return line_begin;
  // `starts` holds at most lines + 1 line starts and was never trimmed when the file is shorter.
  // A trailing run of P entries (no F yet) is one more line and takes one of the `lines` slots.
  bool trailing_partial = starts.back() < line_begin;
  if (trailing_partial && static_cast<int64_t>(starts.size()) == lines + 1) return starts[1];
  return starts.front();
}

absl::Status StreamLog(const std::string& path, const LogOptions& options,
                       const std::function<bool(std::string_view)>& emit,
                       const std::function<bool()>& running, const std::atomic<bool>* stop,
                       absl::Duration poll) {
  int64_t start = 0;
  if (options.tail_lines) {
    absl::StatusOr<int64_t> offset = TailStartOffset(path, *options.tail_lines);
    if (!offset.ok()) return offset.status();
    start = *offset;
  }
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FileError("opening", path);
  if (lseek(fd.get(), start, SEEK_SET) < 0) return FileError("seeking in", path);
  LogFormatter formatter(options);
  std::string pending;
  std::string out;
  char buf[64 * 1024];
  bool last_pass = false;
  while (!(stop && stop->load())) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("reading", path);
    }
    if (n > 0) {
      pending.append(buf, static_cast<size_t>(n));
      size_t pos = 0;
      bool more = true;
      out.clear();
      for (size_t nl; more && (nl = pending.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        more = formatter.AddLine(std::string_view(pending.data() + pos, nl - pos), &out);
      }
      pending.erase(0, pos);
      if (!out.empty() && !emit(out)) return absl::OkStatus();
      if (!more) return absl::OkStatus();
      continue;
    }
    // End of the file for now.
    if (!options.follow || last_pass) return absl::OkStatus();
    if (!running || !running()) {
      // The container has stopped: read what it wrote last, then end.
      last_pass = true;
      continue;
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(poll));
  }
  return absl::OkStatus();
}

}  // namespace skiff::agent::server
