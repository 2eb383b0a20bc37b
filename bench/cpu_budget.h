// CpuBudget: what one create costs each process of a run in CPU time, and the create rate the
// machine's cores allow at those costs when every process shares them (the ceiling). Used by
// `apiserver_bench create --compare-etcd` to show whether a throughput goal is reachable here at
// all with etcd, the API server and the load client on the same cores.
// Thread-safety: plain values and pure functions.
// Failure: an unknown cost (a /proc read failed, nothing created) is negative and makes the
// total and the ceiling unknown (negative); the formatters print "unknown" for it.
#ifndef SKIFF_BENCH_CPU_BUDGET_H_
#define SKIFF_BENCH_CPU_BUDGET_H_

#include <cstdint>
#include <string>

namespace skiff::bench {

// CPU microseconds per create of each process; 0 for a process the run does not have.
struct CpuPerCreate {
  double skiff_us = 0;   // the API server
  double etcd_us = 0;    // the etcd member
  double client_us = 0;  // the load client (the benchmark process)

  bool known() const { return skiff_us >= 0 && etcd_us >= 0 && client_us >= 0; }
  // The sum, or -1 when a part is unknown.
  double total_us() const { return known() ? skiff_us + etcd_us + client_us : -1; }
};

// 1e6 * cpu_seconds / created, or -1 when cpu_seconds is unknown (negative) or nothing was created.
double MicrosPerCreate(double cpu_seconds, int64_t created);

// cpus * 1e6 / costs.total_us(): creates per second if the cores did nothing else; -1 if unknown.
double CeilingRate(int cpus, const CpuPerCreate& costs);

// "skiff 169 + etcd 166 + client 25 = 360 us" (only the processes the run has; "unknown" parts).
std::string FormatCosts(const CpuPerCreate& costs);

// "5555/s (goal 6750/s: below)" or "unknown".
std::string FormatCeiling(double ceiling, double goal);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_CPU_BUDGET_H_
