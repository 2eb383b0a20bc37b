// WrkLoad: ConfigMap creates from an outside load tool, wrk (Debian package `wrk`), against a
// skiff API server on loopback: keep-alive HTTPS connections, a bearer token, and a Lua script
// whose `request` hook gives every POST a unique name. The script is generated into a private
// temporary directory (it holds the token) and removed afterwards.
// Thread-safety: RunWrkCreates blocks the calling thread until wrk exits; reentrant.
// Ownership: wrk is a child of the calling process, reaped before RunWrkCreates returns.
// Failure: NotFound when wrk is not installed, Internal when it cannot be started, exits non-zero
// or prints no summary line (the tail of its output is in the message).
#ifndef SKIFF_BENCH_WRK_LOAD_H_
#define SKIFF_BENCH_WRK_LOAD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "https_client.h"

namespace skiff::bench {

struct WrkOptions {
  std::string wrk_binary = "wrk";  // a path, or a name looked up in PATH
  int connections = 64;
  int threads = 2;
  int seconds = 10;
  size_t object_bytes = 1024;
  std::string ns = "bench";
  std::string name_prefix = "wrk";  // object names are PREFIX-THREAD-N
};

// What wrk's `done` hook reports (latencies are wrk's, from request sent to response read).
struct WrkSummary {
  int64_t requests = 0;        // responses read
  int64_t status_errors = 0;   // responses with a status >= 400
  int64_t socket_errors = 0;   // connect, read, write errors and timeouts together
  int64_t p50_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;
  int64_t duration_us = 0;
};

struct WrkResult {
  WrkSummary summary;
  double cpu_seconds = -1;  // user + system CPU of the wrk process (its rusage), -1 unknown
};

// The Lua script for `options` against `endpoint` (exposed for tests).
std::string WrkCreateScript(const Endpoint& endpoint, const WrkOptions& options);
// Parses the summary line the script's `done` hook prints ("SKIFF_WRK requests=... ...").
absl::StatusOr<WrkSummary> ParseWrkSummary(std::string_view output);
// Runs wrk to completion against `endpoint` (which must hold a token and the namespace exist).
absl::StatusOr<WrkResult> RunWrkCreates(const Endpoint& endpoint, const WrkOptions& options);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_WRK_LOAD_H_
