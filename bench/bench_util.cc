#include "bench_util.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace skiff::bench {
namespace {

// Reads "name: value" lines of a /proc file and returns the value of `field` (trimmed).
absl::StatusOr<std::string> ReadProcField(const std::string& path, std::string_view field) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (absl::StripAsciiWhitespace(Av(std::string_view(line).substr(0, colon))) != Av(field)) continue;
    return std::string(absl::StripAsciiWhitespace(Av(std::string_view(line).substr(colon + 1))));
  }
  return absl::NotFoundError(absl::StrCat("no ", Av(field), " in ", path));
}

absl::StatusOr<int64_t> LeadingInt(absl::StatusOr<std::string> text, std::string_view what) {
  if (!text.ok()) return text.status();
  std::string_view digits = *text;
  digits = digits.substr(0, digits.find(' '));
  int64_t value = 0;
  if (!absl::SimpleAtoi(Av(digits), &value))
    return absl::InternalError(absl::StrCat("bad ", Av(what), ": ", *text));
  return value;
}

}  // namespace

MachineInfo ReadMachineInfo() {
  MachineInfo info;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  info.cpus = cpus > 0 ? static_cast<int>(cpus) : 0;
  info.cpu_model = ReadProcField("/proc/cpuinfo", "model name").value_or("unknown");
  info.mem_total_kb = LeadingInt(ReadProcField("/proc/meminfo", "MemTotal"), "MemTotal").value_or(0);
  info.mem_available_kb =
      LeadingInt(ReadProcField("/proc/meminfo", "MemAvailable"), "MemAvailable").value_or(0);
  std::ifstream load("/proc/loadavg");
  std::string a, b, c;
  if (load >> a >> b >> c) info.load_average = absl::StrCat(a, " ", b, " ", c);
  return info;
}

absl::StatusOr<int64_t> ReadProcStatusKb(pid_t pid, std::string_view field) {
  return LeadingInt(ReadProcField(absl::StrCat("/proc/", pid, "/status"), field), field);
}

absl::StatusOr<int64_t> ReadProcIo(pid_t pid, std::string_view field) {
  return LeadingInt(ReadProcField(absl::StrCat("/proc/", pid, "/io"), field), field);
}

absl::StatusOr<double> ReadProcCpuSeconds(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces; the fields that follow start after its closing ')'.
  size_t close = text.rfind(')');
  if (!in.good() && text.empty()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  if (close == std::string::npos) return absl::InternalError(absl::StrCat("bad ", path));
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  // After ')': state is field 3; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14 && !absl::SimpleAtoi(field, &utime)) return absl::InternalError("bad utime in " + path);
    if (index == 15 && !absl::SimpleAtoi(field, &stime)) return absl::InternalError("bad stime in " + path);
  }
  long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
}

CpuSample SampleCpu(pid_t server_pid) {
  CpuSample sample;
  sample.at = std::chrono::steady_clock::now();
  if (server_pid > 0) sample.server_seconds = ReadProcCpuSeconds(server_pid).value_or(-1);
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    sample.client_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                            (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  return sample;
}

std::string DescribeCpu(const CpuSample& from, const CpuSample& to) {
  double wall = std::chrono::duration<double>(to.at - from.at).count();
  if (wall <= 0) return "n/a";
  double client = to.client_seconds - from.client_seconds;
  std::string server = "server n/a";
  if (from.server_seconds >= 0 && to.server_seconds >= 0) {
    double used = to.server_seconds - from.server_seconds;
    server = absl::StrFormat("server %.2f s (%.2f cores)", used, used / wall);
  }
  return absl::StrFormat("%s, benchmark client %.2f s (%.2f cores) over %.2f s", server, client,
                         client / wall, wall);
}

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest sample with at least p% of samples at or below it.
  double rank = p / 100.0 * static_cast<double>(sorted.size());
  size_t index = rank <= 1 ? 0 : static_cast<size_t>(rank + 0.999999) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<int64_t> samples_ns) {
  LatencySummary summary;
  if (samples_ns.empty()) return summary;
  std::sort(samples_ns.begin(), samples_ns.end());
  summary.count = samples_ns.size();
  summary.p50_ns = Percentile(samples_ns, 50);
  summary.p99_ns = Percentile(samples_ns, 99);
  summary.max_ns = samples_ns.back();
  long double total = std::accumulate(samples_ns.begin(), samples_ns.end(), 0.0L);
  summary.mean_ns = static_cast<int64_t>(total / samples_ns.size());
  return summary;
}

std::string FormatMs(int64_t ns) { return absl::StrFormat("%.3f ms", ns / 1e6); }

std::string FormatMib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB (%.1f MB)", bytes / (1024.0 * 1024.0), bytes / 1e6);
}

std::string FormatRate(double per_second) { return absl::StrFormat("%.0f/s", per_second); }

std::string Verdict(bool met, std::string_view target) {
  return absl::StrCat("(target ", Av(target), ": ", met ? "met" : "NOT met", ")");
}

std::string MakePayload(size_t bytes, uint64_t seed) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(bytes, 'x');
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (char& ch : out) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    ch = kAlphabet[(state >> 33) % (sizeof(kAlphabet) - 1)];
  }
  return out;
}

std::optional<int64_t> FindIntField(std::string_view text, std::string_view key) {
  std::string needle = absl::StrCat("\"", Av(key), "\":");
  size_t at = text.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  size_t pos = at + needle.size();
  if (pos < text.size() && text[pos] == '"') ++pos;
  size_t end = pos;
  while (end < text.size() && (absl::ascii_isdigit(text[end]) || (end == pos && text[end] == '-'))) ++end;
  int64_t value = 0;
  if (!absl::SimpleAtoi(Av(text.substr(pos, end - pos)), &value)) return std::nullopt;
  return value;
}

std::string RunId() {
  uint64_t mix = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
                 (static_cast<uint64_t>(getpid()) << 32);
  mix ^= mix >> 29;
  mix *= 0xbf58476d1ce4e5b9ULL;
  mix ^= mix >> 32;
  return absl::StrFormat("%06x", mix & 0xffffff);
}

void Report::Section(std::string name) { lines_.emplace_back("", std::move(name)); }

void Report::Add(std::string key, std::string value) {
  lines_.emplace_back(std::move(key), std::move(value));
}

void Report::AddMachine(const MachineInfo& machine) {
  Section("machine");
  Add("cpus (nproc)", absl::StrCat(machine.cpus));
  Add("cpu model", machine.cpu_model);
  Add("memory", absl::StrFormat("%.1f GiB total, %.1f GiB available", machine.mem_total_kb / 1048576.0,
                                machine.mem_available_kb / 1048576.0));
  Add("load average", machine.load_average);
}

void Report::Print(std::FILE* out) const {
  size_t width = 0;
  for (const auto& [key, value] : lines_) width = std::max(width, key.size());
  std::string text = absl::StrCat("\n== ", title_, " ==\n");
  for (const auto& [key, value] : lines_) {
    if (key.empty()) {
      absl::StrAppend(&text, value, ":\n");
    } else {
      absl::StrAppend(&text, "  ", key, std::string(width - key.size(), ' '), "  ", value, "\n");
    }
  }
  std::fputs(text.c_str(), out);
  std::fflush(out);
}

}  // namespace skiff::bench
