#include "cpu_budget.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace skiff::bench {
namespace {

std::string Micros(double us) { return us < 0 ? std::string("unknown") : absl::StrFormat("%.0f", us); }

}  // namespace

double MicrosPerCreate(double cpu_seconds, int64_t created) {
  if (cpu_seconds < 0 || created <= 0) return -1;
  return 1e6 * cpu_seconds / static_cast<double>(created);
}

double CeilingRate(int cpus, const CpuPerCreate& costs) {
  double total = costs.total_us();
  if (cpus <= 0 || total <= 0) return -1;
  return cpus * 1e6 / total;
}

std::string FormatCosts(const CpuPerCreate& costs) {
  std::vector<std::string> parts;
  if (costs.skiff_us != 0) parts.push_back(absl::StrCat("skiff ", Micros(costs.skiff_us)));
  if (costs.etcd_us != 0) parts.push_back(absl::StrCat("etcd ", Micros(costs.etcd_us)));
  parts.push_back(absl::StrCat("client ", Micros(costs.client_us)));
  return absl::StrCat(absl::StrJoin(parts, " + "), " = ", Micros(costs.total_us()), " us");
}

std::string FormatCeiling(double ceiling, double goal) {
  if (ceiling < 0) return "unknown";
  return absl::StrFormat("%.0f/s (goal %.0f/s: %s)", std::floor(ceiling), goal,
                         ceiling >= goal ? "reachable" : "out of reach");
}

}  // namespace skiff::bench
