#include "agent/node/host_info.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/strings.h"

namespace skiff::agent::node {

using base::Av;

namespace {

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(Av(s))); }

bool ParseInt(std::string_view s, int64_t* out) { return absl::SimpleAtoi(Av(Trim(s)), out); }

}  // namespace

absl::StatusOr<MemInfo> ParseMemInfo(std::string_view meminfo) {
  int64_t total = -1, available = -1, free = -1, cached = 0;
  for (absl::string_view line : absl::StrSplit(Av(meminfo), '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() < 2) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(parts[1], &value)) continue;
    // Values are in kB (KiB) whenever a unit is given.
    if (parts.size() >= 3 && parts[2] == "kB") value *= 1024;
    if (parts[0] == "MemTotal:") total = value;
    if (parts[0] == "MemAvailable:") available = value;
    if (parts[0] == "MemFree:") free = value;
    if (parts[0] == "Cached:") cached = value;
  }
  if (total < 0) return absl::InvalidArgumentError("meminfo has no MemTotal");
  if (available < 0) available = free >= 0 ? free + cached : 0;
  return MemInfo{.total_bytes = total, .available_bytes = available};
}

absl::StatusOr<int> ParseCpuList(std::string_view list) {
  int count = 0;
  for (absl::string_view part : absl::StrSplit(Av(Trim(list)), ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int first = 0, last = 0;
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &first) || !absl::SimpleAtoi(range.back(), &last) ||
        last < first || first < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad CPU list \"", Av(list), "\""));
    }
    count += last - first + 1;
  }
  if (count == 0) return absl::InvalidArgumentError("empty CPU list");
  return count;
}

std::optional<int64_t> CgroupV1CpuLimitMillis(std::string_view quota_us, std::string_view period_us) {
  int64_t quota = 0, period = 0;
  if (!ParseInt(quota_us, &quota) || !ParseInt(period_us, &period) || quota <= 0 || period <= 0) {
    return std::nullopt;
  }
  return (quota * 1000 + period - 1) / period;
}

std::optional<int64_t> CgroupV2CpuLimitMillis(std::string_view cpu_max) {
  std::vector<absl::string_view> parts = absl::StrSplit(Av(Trim(cpu_max)), ' ', absl::SkipEmpty());
  if (parts.size() != 2) return std::nullopt;
  int64_t quota = 0, period = 0;
  if (!absl::SimpleAtoi(parts[0], &quota) || !absl::SimpleAtoi(parts[1], &period) || quota <= 0 ||
      period <= 0) {
    return std::nullopt;  // "max" = unlimited
  }
  return (quota * 1000 + period - 1) / period;
}

std::string ParseOsRelease(std::string_view os_release) {
  for (absl::string_view line : absl::StrSplit(Av(os_release), '\n')) {
    if (!absl::ConsumePrefix(&line, "PRETTY_NAME=")) continue;
    std::string value = Trim(std::string_view(line.data(), line.size()));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (!value.empty()) return value;
  }
  return "Linux";
}

absl::StatusOr<int64_t> ParseLoadAvgTasks(std::string_view loadavg) {
  std::vector<absl::string_view> fields = absl::StrSplit(Av(loadavg), ' ', absl::SkipEmpty());
  if (fields.size() >= 4) {
    size_t slash = fields[3].find('/');
    int64_t tasks = 0;
    if (slash != absl::string_view::npos && absl::SimpleAtoi(fields[3].substr(slash + 1), &tasks)) {
      return tasks;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("bad loadavg \"", Av(Trim(loadavg)), "\""));
}

absl::StatusOr<FsUsage> StatFs(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat("statvfs ", path, ": ", std::strerror(errno)));
  }
  const int64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
  return FsUsage{.capacity_bytes = static_cast<int64_t>(st.f_blocks) * unit,
                 .available_bytes = static_cast<int64_t>(st.f_bavail) * unit,
                 .inodes = static_cast<int64_t>(st.f_files),
                 .inodes_free = static_cast<int64_t>(st.f_favail)};
}

std::optional<std::string> HostProbe::Read(const std::string& path) const {
  absl::StatusOr<std::string> content = base::ReadFile(root_ + path);
  if (!content.ok()) return std::nullopt;
  return *std::move(content);
}

absl::StatusOr<int64_t> HostProbe::CpuMillis() const {
  std::optional<std::string> online = Read("/sys/devices/system/cpu/online");
  if (!online)
    return absl::NotFoundError(absl::StrCat("cannot read ", root_, "/sys/devices/system/cpu/online"));
  absl::StatusOr<int> cpus = ParseCpuList(*online);
  if (!cpus.ok()) return cpus.status();
  int64_t millis = int64_t{*cpus} * 1000;
  std::optional<int64_t> limit;
  if (auto max = Read("/sys/fs/cgroup/cpu.max")) {
    limit = CgroupV2CpuLimitMillis(*max);
  } else {
    auto quota = Read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    auto period = Read("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (quota && period) limit = CgroupV1CpuLimitMillis(*quota, *period);
  }
  if (limit) millis = std::min(millis, *limit);
  return millis;
}

absl::StatusOr<HostFacts> HostProbe::Facts() const {
  HostFacts f;
  absl::StatusOr<int64_t> cpu = CpuMillis();
  if (!cpu.ok()) return cpu.status();
  f.cpu_millis = *cpu;
  std::optional<std::string> meminfo = Read("/proc/meminfo");
  if (!meminfo) return absl::NotFoundError(absl::StrCat("cannot read ", root_, "/proc/meminfo"));
  absl::StatusOr<MemInfo> mem = ParseMemInfo(*meminfo);
  if (!mem.ok()) return mem.status();
  f.memory_bytes = mem->total_bytes;
  f.machine_id = Trim(Read("/etc/machine-id").value_or(""));
  std::string uuid = Trim(Read("/sys/class/dmi/id/product_uuid").value_or(""));
  f.system_uuid = uuid.empty() ? f.machine_id : absl::AsciiStrToLower(uuid);
  f.boot_id = Trim(Read("/proc/sys/kernel/random/boot_id").value_or(""));
  f.kernel_version = Trim(Read("/proc/sys/kernel/osrelease").value_or(""));
  std::optional<std::string> os_release = Read("/etc/os-release");
  if (!os_release) os_release = Read("/usr/lib/os-release");
  f.os_image = ParseOsRelease(os_release.value_or(""));
  f.hostname = absl::AsciiStrToLower(Trim(Read("/proc/sys/kernel/hostname").value_or("")));
  return f;
}

absl::StatusOr<HostUsage> HostProbe::Usage(const std::string& nodefs_path,
                                           const std::string& imagefs_path) const {
  HostUsage u;
  std::optional<std::string> meminfo = Read("/proc/meminfo");
  if (!meminfo) return absl::NotFoundError(absl::StrCat("cannot read ", root_, "/proc/meminfo"));
  absl::StatusOr<MemInfo> mem = ParseMemInfo(*meminfo);
  if (!mem.ok()) return mem.status();
  u.memory_available_bytes = mem->available_bytes;
  absl::StatusOr<FsUsage> nodefs = StatFs(nodefs_path);
  if (!nodefs.ok()) return nodefs.status();
  u.nodefs = *nodefs;
  absl::StatusOr<FsUsage> imagefs = imagefs_path.empty() ? nodefs : StatFs(imagefs_path);
  u.imagefs = imagefs.ok() ? *imagefs : *nodefs;  // containerd's root may not exist yet
  int64_t pid_max = 0;
  if (auto text = Read("/proc/sys/kernel/pid_max"); text && ParseInt(*text, &pid_max)) u.pid_max = pid_max;
  if (auto text = Read("/proc/loadavg")) {
    if (auto tasks = ParseLoadAvgTasks(*text); tasks.ok()) u.processes = *tasks;
  }
  return u;
}

}  // namespace skiff::agent::node
