#include "apiserver/apiservice_availability.h"

#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

// Collects a streamed body (a discovery answer without Content-Length).
class CollectingSink : public http::StreamSink {
 public:
  bool Write(std::shared_ptr<const std::string> data) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (body_.size() > kLimit) return false;
    body_ += *data;
    return true;
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) done_.set_value();
    closed_ = true;
  }
  std::future<void> Done() { return done_.get_future(); }
  std::string Body() {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }

 private:
  static constexpr size_t kLimit = 16 << 20;
  std::mutex mu_;
  std::string body_;
  bool closed_ = false;
  std::promise<void> done_;
};

// The whole body of `response`, reading a stream to its end within `timeout`.
absl::StatusOr<std::string> WholeBody(http::HttpResponse& response, absl::Duration timeout) {
  if (!response.stream) return std::move(response.body);
  auto sink = std::make_shared<CollectingSink>();
  auto done = sink->Done();
  response.stream->Start(sink);
  bool finished = done.wait_for(absl::ToChronoMilliseconds(timeout)) == std::future_status::ready;
  response.stream->Stop();
  if (!finished) return absl::DeadlineExceededError("timed out reading the response body");
  return sink->Body();
}

const api::ResourceInfo& ApiServices() {
  static const api::ResourceInfo* r = api::FindResource(kApiRegistrationGroup, "v1", "apiservices");
  return *r;
}

}  // namespace

ApiServiceAvailability::ApiServiceAvailability(ResourceStorage* storage, Aggregator* aggregator,
                                               base::Clock* clock, ApiServiceAvailabilityOptions options)
    : storage_(storage), aggregator_(aggregator), clock_(clock), options_(options) {}

ApiServiceAvailability::~ApiServiceAvailability() { Stop(); }

void ApiServiceAvailability::Start() { thread_ = std::thread([this] { Run(); }); }

void ApiServiceAvailability::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ApiServiceAvailability::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void ApiServiceAvailability::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_ = false;
    lock.unlock();
    CheckAll();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval), [this] { return stop_ || wake_; });
  }
}

void ApiServiceAvailability::CheckAll() {
  for (const ApiServiceInfo& service : aggregator_->ApiServices()) Write(service, Check(service));
}

ApiServiceAvailability::Verdict ApiServiceAvailability::Check(const ApiServiceInfo& service) {
  if (service.local) return {true, "Local", "Local APIServices are always available"};
  auto endpoint =
      ResolveServiceEndpoint(storage_, service.service_namespace, service.service_name, service.service_port);
  if (!endpoint.ok()) {
    std::string reason = ResolutionReason(endpoint.status());
    return {false, reason.empty() ? "ServiceNotFound" : reason, std::string(endpoint.status().message())};
  }
  std::string path = absl::StrCat("/apis/", service.group, "/", service.version);
  std::string host = endpoint->host.find(':') != std::string::npos ? absl::StrCat("[", endpoint->host, "]")
                                                                    : endpoint->host;
  std::string url = absl::StrCat("https://", host, ":", endpoint->port, path);
  http::UpstreamRequest request;
  request.target = path;
  request.headers = {{"Accept", "application/json"},
                     {"X-Remote-User", "system:kube-aggregator"},
                     {"X-Remote-Group", "system:masters"}};
  auto failed = [&](const std::string& why) -> Verdict {
    aggregator_->MarkDiscoveryStale(service.name);
    return {false, "FailedDiscoveryCheck", absl::StrCat("failing or missing response from ", url, ": ", why)};
  };
  auto response = aggregator_->Send(service, request, options_.timeout);
  if (!response.ok()) return failed(absl::StrCat("Get \"", url, "\": ", response.status().message()));
  auto body = WholeBody(*response, options_.timeout);
  if (!body.ok()) return failed(absl::StrCat("Get \"", url, "\": ", body.status().message()));
  if (response->status < 200 || response->status >= 300) {
    return failed(absl::StrCat("bad status from ", url, ": ", response->status));
  }
  auto parsed = base::ParseJson(*body);
  if (parsed.ok() && parsed->is_object() && base::GetString(*parsed, {"kind"}) == "APIResourceList") {
    aggregator_->SetDiscovery(service.name, std::move(*parsed));
  } else {
    aggregator_->MarkDiscoveryStale(service.name);
  }
  return {true, "Passed", "all checks passed"};
}

void ApiServiceAvailability::Write(const ApiServiceInfo& service, const Verdict& verdict) {
  auto current = storage_->Get(ApiServices(), "", service.name);
  if (!current.ok()) return;  // deleted meanwhile
  std::string status = verdict.available ? "True" : "False";
  json::value obj = (*current)->Parse();
  if (const auto* conditions = base::FindPath(obj, {"status", "conditions"}); conditions && conditions->is_array()) {
    for (const auto& c : conditions->get_array()) {
      if (base::GetString(c, {"type"}) == "Available" && base::GetString(c, {"status"}) == status &&
          base::GetString(c, {"reason"}) == verdict.reason && base::GetString(c, {"message"}) == verdict.message)
        return;
    }
  }
  std::string now = base::FormatRfc3339(clock_->Now());
  auto mutate = [&](const ObjectPtr& stored) -> absl::StatusOr<json::value> {
    json::value updated = stored->Parse();
    json::array& conditions = base::EnsureObject(updated, {"status"})["conditions"].emplace_array();
    json::value previous;
    json::value before = stored->Parse();
    if (const auto* old = base::FindPath(before, {"status", "conditions"}); old && old->is_array()) {
      for (const auto& c : old->get_array()) {
        if (base::GetString(c, {"type"}) == "Available") {
          previous = c;
        } else {
          conditions.push_back(c);
        }
      }
    }
    std::string transition = now;
    if (previous.is_object() && base::GetString(previous, {"status"}) == status)
      transition = base::GetString(previous, {"lastTransitionTime"}, now);
    conditions.push_back(json::object{{"type", "Available"},
                                      {"status", status},
                                      {"lastTransitionTime", transition},
                                      {"reason", verdict.reason},
                                      {"message", verdict.message}});
    return updated;
  };
  WriteOptions options{.field_manager = "kube-apiserver", .subresource = "status"};
  auto written = storage_->Update(ApiServices(), "", service.name, mutate, options, true);
  if (!written.ok() && !absl::IsNotFound(written.status())) {
    spdlog::warn("APIService {}: writing the Available condition: {}", service.name, written.status().ToString());
  }
}

}  // namespace skiff::apiserver
