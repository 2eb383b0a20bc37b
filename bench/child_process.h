// Helpers of the benchmarks that drive real nodes (pod_startup_bench, service_throughput_bench):
// spawning a child with its output appended to a log file, running one to completion, reading an
// object's conditions and a log's tail.
// Thread-safety: reentrant free functions. Ownership: spawned children are the caller's to reap.
// Failure: Spawn returns 0 and RunLogged -1 when the program cannot be started (or, for
// RunLogged, is killed by a signal).
#ifndef SKIFF_BENCH_CHILD_PROCESS_H_
#define SKIFF_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::bench {

// Starts args[0] (a path) with stdin from /dev/null and stdout+stderr appended to `log_path`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path);
// Spawn and wait: the exit code.
int RunLogged(const std::vector<std::string>& args, const std::string& log_path);
// Whether status.conditions[type == `type`].status is "True".
bool ConditionTrue(const boost::json::value& obj, std::string_view type);
// The last `bytes` of a file ("" when unreadable).
std::string FileTail(const std::string& path, size_t bytes);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_CHILD_PROCESS_H_
