#include "footprint.h"

#include <dirent.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace skiff::bench {
namespace {

std::string ReadSmall(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsGrpcThread(absl::string_view comm) {
  return absl::StartsWith(comm, "grpc") || absl::StartsWith(comm, "event_engine") ||
         absl::StartsWith(comm, "timer_manager") || absl::StartsWith(comm, "resolver-") ||
         absl::StartsWith(comm, "default-executo");
}

}  // namespace

absl::StatusOr<Footprint> ReadFootprint(pid_t pid) {
  std::ifstream smaps(absl::StrCat("/proc/", pid, "/smaps"));
  if (!smaps) return absl::NotFoundError(absl::StrCat("no /proc/", pid, "/smaps"));
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/exe"), ec).string();
  Footprint f;
  std::string line, name;
  int64_t size_kb = 0;
  bool writable = false;
  while (std::getline(smaps, line)) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() >= 5 && fields[0].find('-') != absl::string_view::npos && !absl::EndsWith(fields[0], ":")) {
      std::vector<absl::string_view> range = absl::StrSplit(fields[0], '-');
      uint64_t from = 0, to = 0;
      if (range.size() == 2) {
        (void)absl::SimpleHexAtoi(range[0], &from);
        (void)absl::SimpleHexAtoi(range[1], &to);
      }
      size_kb = static_cast<int64_t>((to - from) / 1024);
      writable = fields[1].size() > 1 && fields[1][1] == 'w';
      name = fields.size() >= 6 ? std::string(fields[5]) : "";
      continue;
    }
    if (fields.size() < 2 || fields[0] != "Rss:") continue;
    int64_t rss = 0;
    if (!absl::SimpleAtoi(fields[1], &rss)) continue;
    f.rss_kb += rss;
    if (name.empty()) {
      f.anon_kb += rss;
      if (writable && size_kb >= 8000 && size_kb <= 8192) {
        f.stacks_kb += rss;
        ++f.stacks;
      }
    } else if (name == exe) {
      f.binary_kb += rss;
    } else if (name[0] == '/') {
      f.libraries_kb += rss;
      if (absl::StrContains(name, "libgrpc") || absl::StrContains(name, "libprotobuf") ||
          absl::StrContains(name, "libabsl") || absl::StrContains(name, "libgpr") ||
          absl::StrContains(name, "libupb") || absl::StrContains(name, "libaddress_sorting")) {
        f.grpc_kb += rss;
      }
    } else {
      f.anon_kb += rss;  // [heap], [stack], [vvar] ...
    }
  }
  for (const auto& task : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    ++f.threads;
    std::string comm = ReadSmall(task.path().string() + "/comm");
    if (IsGrpcThread(comm)) ++f.grpc_threads;
  }
  return f;
}

std::string DescribeFootprint(const absl::StatusOr<Footprint>& f) {
  if (!f.ok()) return absl::StrCat("n/a: ", f.status().message());
  auto mib = [](int64_t kb) { return absl::StrFormat("%.1f", kb / 1024.0); };
  return absl::StrCat(mib(f->rss_kb), " MiB: heap and other anonymous ", mib(f->anon_kb - f->stacks_kb), ", ",
                      f->stacks, " thread stacks ", mib(f->stacks_kb), ", binary ", mib(f->binary_kb),
                      ", libraries ", mib(f->libraries_kb), " (gRPC/protobuf/abseil ", mib(f->grpc_kb), "); ",
                      f->threads, " threads (", f->grpc_threads, " gRPC)");
}

std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& name) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::string stat = ReadSmall(entry.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::string after_name = stat.substr(close + 2);  // "S PPID ..."
    std::vector<absl::string_view> rest = absl::StrSplit(after_name, ' ');
    int ppid = 0;
    if (rest.size() < 2 || !absl::SimpleAtoi(rest[1], &ppid) || ppid != parent) continue;
    std::string comm = ReadSmall(entry.path().string() + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) found.push_back(pid);
  }
  return found;
}

}  // namespace skiff::bench
