#include "client/event_recorder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::client {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Events() { return Resource("", "v1", "events"); }

void CopyIfSet(json::object& out, const char* field, std::string value) {
  if (!value.empty()) out[field] = std::move(value);
}

json::value InvolvedObject(const json::value& obj) {
  json::object ref;
  CopyIfSet(ref, "kind", base::GetString(obj, {"kind"}));
  CopyIfSet(ref, "apiVersion", base::GetString(obj, {"apiVersion"}));
  CopyIfSet(ref, "namespace", api::Namespace(obj));
  CopyIfSet(ref, "name", api::Name(obj));
  CopyIfSet(ref, "uid", api::Uid(obj));
  CopyIfSet(ref, "resourceVersion", api::ResourceVersion(obj));
  return ref;
}

}  // namespace

EventRecorder::EventRecorder(Client* client, Options options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::RealClock()) {
  thread_ = std::thread([this] { Run(); });
}

EventRecorder::~EventRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void EventRecorder::Event(const json::value& object, const std::string& type, const std::string& reason,
                          const std::string& message) {
  EventAs(options_.component, object, type, reason, message);
}

void EventRecorder::EventAs(const std::string& component, const json::value& object, const std::string& type,
                            const std::string& reason, const std::string& message) {
  Pending p;
  p.component = component;
  p.involved = InvolvedObject(object);
  // Events about cluster-scoped objects live in "default", as in Kubernetes.
  p.ns = base::GetString(object, {"metadata", "namespace"}, "default");
  p.type = type;
  p.reason = reason;
  p.message = message;
  p.at = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (queue_.size() >= options_.queue_limit) {
    spdlog::warn("event recorder: queue full, dropping event {} {}", reason, message);
    return;
  }
  queue_.push_back(std::move(p));
  cv_.notify_one();
}

void EventRecorder::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void EventRecorder::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, everything written
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    Write(p);
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

void EventRecorder::Write(const Pending& p) {
  std::string key = absl::StrCat(base::ToJson(p.involved), "\x1f", p.component, "\x1f", p.type, "\x1f",
                                 p.reason, "\x1f", p.message);
  std::string now = base::FormatRfc3339(p.at);
  auto it = seen_.find(key);
  if (it != seen_.end() && p.at - it->second.last <= options_.aggregation_window) {
    Seen& seen = it->second;
    json::value patch = json::object{{"count", seen.count + 1}, {"lastTimestamp", now}};
    auto patched = client_->Patch(Events(), seen.ns, seen.event_name, PatchType::kMerge, patch);
    if (patched.ok()) {
      seen.count += 1;
      seen.last = p.at;
      return;
    }
    if (HttpCode(patched.status()) != 404) {
      spdlog::warn("event recorder: patch event {}: {}", seen.event_name, patched.status().ToString());
      return;
    }
    // The event was deleted meanwhile: write a new one.
  }
  if (seen_.size() > sweep_at_size_) {
    for (auto s = seen_.begin(); s != seen_.end();) {
      s = p.at - s->second.last > options_.aggregation_window ? seen_.erase(s) : std::next(s);
    }
    // Sweep again only once the map has doubled: with many fresh keys (one "Scheduled" event per
    // pod) a sweep per write would walk the whole map every time.
    sweep_at_size_ = std::max<size_t>(kMinSweepSize, 2 * seen_.size());
  }
  std::string name = absl::StrFormat("%s.%x", base::GetString(p.involved, {"name"}, "event"),
                                     absl::ToUnixNanos(absl::Now()));
  json::object source{{"component", p.component}};
  if (!options_.host.empty()) source["host"] = options_.host;
  json::value event = json::object{{"metadata", json::object{{"name", name}, {"namespace", p.ns}}},
                                   {"involvedObject", p.involved},
                                   {"reason", p.reason},
                                   {"message", p.message},
                                   {"type", p.type},
                                   {"source", std::move(source)},
                                   {"firstTimestamp", now},
                                   {"lastTimestamp", now},
                                   {"count", 1},
                                   {"reportingComponent", p.component},
                                   {"reportingInstance", options_.host}};
  auto created = client_->Create(Events(), p.ns, std::move(event));
  if (!created.ok()) {
    // A namespace being deleted refuses new content: expected, not worth a warning.
    int code = HttpCode(created.status());
    if (code == 403 || code == 404) return;
    spdlog::warn("event recorder: create event for {}: {}", base::GetString(p.involved, {"name"}),
                 created.status().ToString());
    return;
  }
  seen_[key] = Seen{name, p.ns, 1, p.at};
}

}  // namespace skiff::client
