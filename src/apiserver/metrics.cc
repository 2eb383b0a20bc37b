#include "apiserver/metrics.h"

#include "absl/strings/str_cat.h"

namespace skiff::apiserver {
namespace {

void AppendHistogram(std::string* out, const std::string& name, const std::string& labels, const auto& h,
                     const auto& buckets) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += h.counts[i];
    absl::StrAppend(out, name, "_bucket{", labels, ",le=\"", buckets[i], "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, name, "_bucket{", labels, ",le=\"+Inf\"} ", h.count, "\n");
  absl::StrAppend(out, name, "_sum{", labels, "} ", h.sum, "\n");
  absl::StrAppend(out, name, "_count{", labels, "} ", h.count, "\n");
}

}  // namespace

void Metrics::Histogram::Observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++counts[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

void Metrics::RecordRequest(const std::string& verb, const std::string& group, const std::string& resource, int code,
                            absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{verb, group, resource, code}];
  request_latency_[{verb, group, resource}].Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordStorageWrite(const std::string& operation, absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  storage_latency_[operation].Observe(absl::ToDoubleSeconds(latency));
}

std::string Metrics::Render(const std::string& extra) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP apiserver_request_total Requests by verb, group, resource and HTTP code.\n";
  out += "# TYPE apiserver_request_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [verb, group, resource, code] = key;
    absl::StrAppend(&out, "apiserver_request_total{verb=\"", verb, "\",group=\"", group, "\",resource=\"", resource,
                    "\",code=\"", code, "\"} ", n, "\n");
  }
  out += "# HELP apiserver_request_duration_seconds Request latency by verb, group and resource.\n";
  out += "# TYPE apiserver_request_duration_seconds histogram\n";
  for (const auto& [key, h] : request_latency_) {
    const auto& [verb, group, resource] = key;
    AppendHistogram(&out, "apiserver_request_duration_seconds",
                    absl::StrCat("verb=\"", verb, "\",group=\"", group, "\",resource=\"", resource, "\""), h, kBuckets);
  }
  out += "# HELP skiff_storage_duration_seconds Storage latency by operation (writes are durable when they return).\n";
  out += "# TYPE skiff_storage_duration_seconds histogram\n";
  for (const auto& [op, h] : storage_latency_) {
    AppendHistogram(&out, "skiff_storage_duration_seconds", absl::StrCat("operation=\"", op, "\""), h, kBuckets);
  }
  out += extra;
  return out;
}

}  // namespace skiff::apiserver
