// Container logs in the CRI log format, as containerd writes them (DIR/pods/<uid>/logs/<container>/
// <attempt>.log): one entry per line, `<RFC3339Nano time> <stdout|stderr> <F|P> <message>`, where P
// marks a partial line continued by the next entry. This file turns such a file into what
// `kubectl logs` prints, with the kubelet's options: tailLines (last N lines; a run of P entries and
// its closing F entry count as one line), sinceSeconds/sinceTime (entries older are skipped),
// timestamps (each line prefixed with its time and a space), limitBytes (output cut after N bytes,
// prefixes included) and follow (keep reading until the container stops and the file is drained).
//
// Thread-safety: functions are reentrant; a LogFormatter is used by one thread.
// Ownership: plain values; StreamLog borrows its callbacks for the duration of the call.
// Failure: malformed lines are passed through verbatim (as the kubelet would fail them, we prefer
// showing them); unreadable files are NotFound/Internal Status values; bad options InvalidArgument.
#ifndef SKIFF_AGENT_SERVER_CRI_LOG_H_
#define SKIFF_AGENT_SERVER_CRI_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::agent::server {

struct CriLogEntry {
  std::string_view timestamp;  // as written (RFC 3339 with nanoseconds)
  absl::Time time;
  std::string_view stream;  // "stdout" or "stderr"
  bool partial = false;     // tag P: the line continues in the next entry
  std::string_view message;
};

// Parses one line (without its trailing newline). InvalidArgument when it is not a CRI entry.
absl::StatusOr<CriLogEntry> ParseCriLogLine(std::string_view line);

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  bool previous = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> limit_bytes;
  std::optional<absl::Time> since;
};

// Reads the kubelet's query parameters (follow, previous, timestamps, tailLines, limitBytes,
// sinceSeconds relative to `now`, sinceTime). InvalidArgument for malformed values.
using QueryLookup = std::function<std::optional<std::string>(const std::string& name)>;
absl::StatusOr<LogOptions> ParseLogOptions(const QueryLookup& query, absl::Time now);

// Turns entries into output text, honouring timestamps, since and limitBytes.
class LogFormatter {
 public:
  explicit LogFormatter(const LogOptions& options);
  // Appends the text for one file line (parsed or not) to `out`. Returns false once limitBytes is
  // exhausted: nothing more will be appended.
  bool AddLine(std::string_view line, std::string* out);
  bool exhausted() const { return remaining_ && *remaining_ <= 0; }

 private:
  void Emit(std::string_view text, std::string* out);

  LogOptions options_;
  std::optional<int64_t> remaining_;
  bool at_line_start_ = true;
};

// The byte offset in `path` where the last `lines` log lines begin (logical lines, see above);
// the file size when lines is 0.
absl::StatusOr<int64_t> TailStartOffset(const std::string& path, int64_t lines);

// Streams the formatted log of `path` into `emit` (which returns false to stop). Without
// options.follow it ends at the end of the file. With it, it polls every `poll` for new lines
// while `running()` is true, and ends once the container stopped and the file is drained, when
// `stop` becomes true, or when `emit` refuses. Returns the file error, if any.
absl::Status StreamLog(const std::string& path, const LogOptions& options,
                       const std::function<bool(std::string_view)>& emit,
                       const std::function<bool()>& running, const std::atomic<bool>* stop,
                       absl::Duration poll = absl::Milliseconds(100));

}  // namespace skiff::agent::server

#endif  // SKIFF_AGENT_SERVER_CRI_LOG_H_
