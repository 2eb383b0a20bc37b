// Metrics: the API server's Prometheus counters and latency histograms, rendered in the text
// exposition format at /metrics (apiserver_request_total, apiserver_request_duration_seconds,
// watch counts, watch cache sizes, storage operation latency).
// Thread-safety: Record* may be called concurrently from any thread; Render takes a snapshot.
// Ownership: plain object owned by the server. Never fails.
#ifndef SKIFF_APISERVER_METRICS_H_
#define SKIFF_APISERVER_METRICS_H_

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/time/time.h"

namespace skiff::apiserver {

class Metrics {
 public:
  void RecordRequest(const std::string& verb, const std::string& group, const std::string& resource, int code,
                     absl::Duration latency);
  // Storage operation latency (create, update, delete, get, list).
  void RecordStorageWrite(const std::string& operation, absl::Duration latency);
  // `extra` is appended verbatim (gauges computed by the caller at render time).
  std::string Render(const std::string& extra) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t> requests_;
  std::map<std::tuple<std::string, std::string, std::string>, Histogram> request_latency_;
  std::map<std::string, Histogram> storage_latency_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_METRICS_H_
