// Footprint: where a process's resident memory is, read from /proc/PID/smaps and /proc/PID/task,
// for the idle figures of apiserver_bench. Thread stacks are the anonymous read-write mappings of
// glibc's default stack size (8 MiB, less its guard page); "heap and other anonymous" is the rest
// of the anonymous memory (jemalloc's arenas and caches, SQLite's page caches, ...).
// Thread-safety: reentrant. Ownership: plain values. Failure: NotFound when the process is gone.
#ifndef SKIFF_BENCH_FOOTPRINT_H_
#define SKIFF_BENCH_FOOTPRINT_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::bench {

struct Footprint {
  int64_t rss_kb = 0;
  int64_t anon_kb = 0;
  int64_t stacks_kb = 0;
  int stacks = 0;
  int64_t binary_kb = 0;     // the executable's mapped pages
  int64_t libraries_kb = 0;  // every other file mapping
  int64_t grpc_kb = 0;       // of which libgrpc*, libprotobuf, libabsl*
  int threads = 0;
  int grpc_threads = 0;  // named by gRPC (event_engine, grpc_*, timer_manager, resolver-*, default-executo)
};

absl::StatusOr<Footprint> ReadFootprint(pid_t pid);
// "45.2 MiB: heap and other anonymous 20.1, 705 thread stacks 11.4, binary 11.7, libraries 20.3
// (gRPC/protobuf/abseil 7.1); 705 threads (8 gRPC)"
std::string DescribeFootprint(const absl::StatusOr<Footprint>& footprint);
// Children of `parent` whose /proc/PID/comm is `name`.
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& name);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_FOOTPRINT_H_
