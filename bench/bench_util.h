// Helpers shared by the skiff benchmarks: a description of the machine, /proc readers for a
// process's memory and disk writes, latency percentiles, payload text, and the aligned report
// block every benchmark prints.
// Thread-safety: free functions are reentrant; a Report belongs to one thread.
// Failure: /proc reads return absl::Status (NotFound when the process or field is missing).
#ifndef SKIFF_BENCH_BENCH_UTIL_H_
#define SKIFF_BENCH_BENCH_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::bench {

// Nanoseconds per call of f() over `iterations` calls (wall clock): the micro-benchmarks' timer.
template <typename F>
double NsPerOp(int iterations, F&& f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) f();
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / iterations;
}

// This abseil build has its own string_view type; convert explicitly where the two meet.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

struct MachineInfo {
  int cpus = 0;  // online CPUs, as nproc reports them
  std::string cpu_model;
  int64_t mem_total_kb = 0;
  int64_t mem_available_kb = 0;
  std::string load_average;  // the first three fields of /proc/loadavg
};

MachineInfo ReadMachineInfo();

// A "Field:   123 kB" line of /proc/<pid>/status, in kB (e.g. field "VmRSS").
absl::StatusOr<int64_t> ReadProcStatusKb(pid_t pid, std::string_view field);
// A "field: 123" line of /proc/<pid>/io (e.g. "write_bytes").
absl::StatusOr<int64_t> ReadProcIo(pid_t pid, std::string_view field);
// User plus system CPU time the process has used so far (from /proc/<pid>/stat), in seconds.
absl::StatusOr<double> ReadProcCpuSeconds(pid_t pid);

// CPU used so far by the server (-1: unknown) and by this benchmark process, at a moment.
struct CpuSample {
  double server_seconds = -1;
  double client_seconds = 0;
  std::chrono::steady_clock::time_point at;
};
CpuSample SampleCpu(pid_t server_pid);
// "server 3.10 s (1.55 cores), benchmark client 1.20 s (0.60 cores) over 2.00 s"
std::string DescribeCpu(const CpuSample& from, const CpuSample& to);

struct LatencySummary {
  size_t count = 0;
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
  int64_t mean_ns = 0;
};

// Nearest-rank percentile (p in [0, 100]) of an ascending vector; 0 when empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);
LatencySummary Summarize(std::vector<int64_t> samples_ns);

std::string FormatMs(int64_t ns);           // "1.234 ms"
std::string FormatMib(int64_t bytes);       // "12.3 MiB (12.9 MB)"
std::string FormatRate(double per_second);  // "12345/s"
// "met" / "NOT met" against a target text, e.g. Verdict(true, ">= 20,000/s").
std::string Verdict(bool met, std::string_view target);

// Printable ASCII of the given size, varied so that it does not look like one repeated byte.
std::string MakePayload(size_t bytes, uint64_t seed);

// The integer in `"key":"123"` or `"key":123` inside a JSON text, without a full parse.
std::optional<int64_t> FindIntField(std::string_view text, std::string_view key);

// A short random-ish id (hex) that keeps object names of separate runs apart.
std::string RunId();

// An aligned "key: value" block under section headings, printed in one go.
class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}
  void Section(std::string name);
  void Add(std::string key, std::string value);
  // Adds the machine lines (CPUs, model, memory, load).
  void AddMachine(const MachineInfo& machine);
  void Print(std::FILE* out) const;

 private:
  std::string title_;
  // An empty key marks a section heading held in the value.
  std::vector<std::pair<std::string, std::string>> lines_;
};

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_BENCH_UTIL_H_
