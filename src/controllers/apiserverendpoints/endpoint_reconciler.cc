#include "controllers/apiserverendpoints/endpoint_reconciler.h"

#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::controllers::apiserverendpoints {
namespace {

namespace json = boost::json;

constexpr char kIdentityLabel[] = "apiserver.kubernetes.io/identity";
constexpr char kAddressAnnotation[] = "skiff.io/apiserver-address";
constexpr char kPortAnnotation[] = "skiff.io/apiserver-port";
constexpr char kServiceName[] = "kubernetes";
constexpr int kForgetAfterDurations = 10;  // a lease dead this long is deleted

const api::ResourceInfo& Leases() { return client::Resource("coordination.k8s.io", "v1", "leases"); }
const api::ResourceInfo& Endpoints() { return client::Resource("", "v1", "endpoints"); }
const api::ResourceInfo& Slices() { return client::Resource("discovery.k8s.io", "v1", "endpointslices"); }

json::value HttpsPort(int port) { return {{"name", "https"}, {"port", port}, {"protocol", "TCP"}}; }

// The servers grouped by port, ports ascending, addresses sorted.
std::map<int, std::vector<std::string>> ByPort(const EndpointReconciler::Servers& servers) {
  std::map<int, std::vector<std::string>> by_port;
  for (const auto& [ip, port] : servers) by_port[port].push_back(ip);
  return by_port;
}

// Writes `field` of default/<name> to `want` unless it is already that; creates the object from
// `fresh` when absent. A conflict is left to the next round.
absl::Status Converge(client::Client* client, const api::ResourceInfo& r, const std::string& name,
                      const char* field, const json::value& want, json::value fresh) {
  auto current = client->Get(r, "default", name);
  if (!current.ok()) {
    if (client::HttpCode(current.status()) != 404) return current.status();
    auto created = client->Create(r, "default", std::move(fresh));
    return created.ok() || client::HttpCode(created.status()) == 409 ? absl::OkStatus() : created.status();
  }
  const json::value* have = base::Find(**current, field);
  if (have && *have == want) return absl::OkStatus();
  json::value next = **current;
  next.as_object()[field] = want;
  auto updated = client->Update(r, "default", std::move(next));
  return updated.ok() || client::HttpCode(updated.status()) == 409 ? absl::OkStatus() : updated.status();
}

}  // namespace

std::string LeaseName(const std::string& ip, int port) {
  return absl::StrCat("apiserver-", absl::StrReplaceAll(ip, {{".", "-"}, {":", "-"}}), "-", port);
}

EndpointReconciler::EndpointReconciler(client::Client* client, EndpointReconcilerOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::RealClock()),
      lease_name_(LeaseName(options_.address, options_.port)) {}

EndpointReconciler::~EndpointReconciler() { Stop(); }

void EndpointReconciler::Start() {
  if (auto s = ReconcileOnce(); !s.ok()) spdlog::warn("kubernetes endpoints: {}", s.ToString());
  std::lock_guard lock(mu_);
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval), [this] { return stopping_; })) {
      lock.unlock();
      if (auto s = ReconcileOnce(); !s.ok()) spdlog::warn("kubernetes endpoints: {}", s.ToString());
      lock.lock();
    }
  });
}

void EndpointReconciler::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (auto s = Withdraw(); !s.ok()) spdlog::warn("kubernetes endpoints: withdrawing: {}", s.ToString());
}

absl::Status EndpointReconciler::ReconcileOnce() {
  if (auto s = RenewOwnLease(); !s.ok()) return s;
  auto live = LiveServers(/*include_self=*/true);
  if (!live.ok()) return live.status();
  return WriteEndpoints(*live);
}

absl::Status EndpointReconciler::Withdraw() {
  absl::Status deleted = client_->Delete(Leases(), "kube-system", lease_name_);
  if (!deleted.ok() && client::HttpCode(deleted) != 404) return deleted;
  auto live = LiveServers(/*include_self=*/false);
  if (!live.ok()) return live.status();
  return WriteEndpoints(*live);
}

absl::Status EndpointReconciler::RenewOwnLease() {
  std::string now = base::FormatRfc3339Micro(clock_->Now());
  int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(options_.lease_duration));
  json::value metadata = {
      {"name", lease_name_},
      {"namespace", "kube-system"},
      {"labels", {{kIdentityLabel, "kube-apiserver"}, {"kubernetes.io/hostname", options_.host_name}}},
      {"annotations",
       {{kAddressAnnotation, options_.address}, {kPortAnnotation, std::to_string(options_.port)}}}};
  auto current = client_->Get(Leases(), "kube-system", lease_name_);
  const absl::Time renewing_at = clock_->Now();
  if (!current.ok()) {
    if (client::HttpCode(current.status()) != 404) return current.status();
    json::value lease = {{"metadata", metadata},
                         {"spec",
                          {{"holderIdentity", lease_name_},
                           {"leaseDurationSeconds", seconds},
                           {"acquireTime", now},
                           {"renewTime", now}}}};
    auto created = client_->Create(Leases(), "kube-system", std::move(lease));
    if (!created.ok()) return created.status();
    own_renewed_at_ = renewing_at;
    return absl::OkStatus();
  }
  json::value next = **current;
  auto& meta = base::EnsureObject(next, {"metadata"});
  meta["labels"] = metadata.at("labels");
  meta["annotations"] = metadata.at("annotations");
  auto& spec = base::EnsureObject(next, {"spec"});
  spec["holderIdentity"] = lease_name_;
  spec["leaseDurationSeconds"] = seconds;
  // A sole server skips the write while the lease says what it should and was renewed recently.
  if (options_.sole_server && next == **current && own_renewed_at_ != absl::Time() &&
      renewing_at - own_renewed_at_ < options_.sole_renew_period) {
    return absl::OkStatus();
  }
  spec["renewTime"] = now;
  auto updated = client_->Update(Leases(), "kube-system", std::move(next));
  if (!updated.ok()) return updated.status();
  own_renewed_at_ = renewing_at;
  return absl::OkStatus();
}

absl::StatusOr<EndpointReconciler::Servers> EndpointReconciler::LiveServers(bool include_self) {
  auto leases =
      client_->List(Leases(), "kube-system",
                    client::ListOptions{.label_selector = absl::StrCat(kIdentityLabel, "=kube-apiserver")});
  if (!leases.ok()) return leases.status();
  absl::Time now = clock_->Now();
  Servers live;
  if (include_self) live.emplace(options_.address, options_.port);
  std::set<std::string> seen;
  for (const auto& lease : leases->items) {
    std::string name = base::GetString(*lease, {"metadata", "name"});
    seen.insert(name);
    if (name == lease_name_) continue;  // self: by include_self
    if (options_.sole_server) {
      // Only leases a skiff server wrote (with an address) are leftovers of this one.
      if (base::GetString(*lease, {"metadata", "annotations", kAddressAnnotation}).empty()) continue;
      absl::Status deleted = client_->Delete(Leases(), "kube-system", name);
      if (deleted.ok()) spdlog::info("kubernetes endpoints: deleted the lease of an earlier run, {}", name);
      continue;
    }
    std::string renew = base::GetString(*lease, {"spec", "renewTime"});
    auto& [last_renew, observed_at] = observed_[name];
    if (renew != last_renew || observed_at == absl::Time()) {
      last_renew = renew;
      observed_at = now;
    }
    absl::Duration duration = absl::Seconds(base::GetInt(*lease, {"spec", "leaseDurationSeconds"}, 15));
    if (now - observed_at >= duration * kForgetAfterDurations) {
      absl::Status deleted = client_->Delete(Leases(), "kube-system", name);
      if (deleted.ok())
        spdlog::info("kubernetes endpoints: deleted the lease of a long-gone API server, {}", name);
      continue;
    }
    if (now - observed_at >= duration) continue;
    std::string ip = base::GetString(*lease, {"metadata", "annotations", kAddressAnnotation});
    int port = 0;
    if (ip.empty() ||
        !absl::SimpleAtoi(base::GetString(*lease, {"metadata", "annotations", kPortAnnotation}), &port) ||
        port <= 0 || port > 65535) {
      continue;  // an identity lease without an address (not a skiff server's)
    }
    live.emplace(ip, port);
  }
  std::erase_if(observed_, [&](const auto& entry) { return !seen.count(entry.first); });
  return live;
}

absl::Status EndpointReconciler::WriteEndpoints(const Servers& servers) {
  std::map<int, std::vector<std::string>> by_port = ByPort(servers);
  json::array subsets;
  for (const auto& [port, ips] : by_port) {
    json::array addresses;
    for (const auto& ip : ips) addresses.push_back(json::object{{"ip", ip}});
    subsets.push_back(
        json::object{{"addresses", std::move(addresses)}, {"ports", json::array{HttpsPort(port)}}});
  }
  json::value endpoints = {
      {"metadata",
       {{"name", kServiceName}, {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
      {"subsets", subsets}};
  if (auto s = Converge(client_, Endpoints(), kServiceName, "subsets", subsets, endpoints); !s.ok()) return s;

  // One slice per port (a slice's ports apply to all its endpoints): "kubernetes" for the lowest.
  std::set<std::string> wanted = {kServiceName};
  bool first = true;
  for (const auto& [port, ips] : by_port) {
    std::string name = first ? kServiceName : absl::StrCat(kServiceName, "-", port);
    first = false;
    wanted.insert(name);
    json::array list;
    for (const auto& ip : ips) {
      list.push_back(
          json::object{{"addresses", json::array{json::value(ip)}}, {"conditions", {{"ready", true}}}});
    }
    json::value slice = {
        {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/service-name", kServiceName}}}}},
        {"addressType", ips.front().find(':') == std::string::npos ? "IPv4" : "IPv6"},
        {"endpoints", list},
        {"ports", json::array{HttpsPort(port)}}};
    if (auto s = Converge(client_, Slices(), name, "endpoints", list, slice); !s.ok()) return s;
    if (auto s = Converge(client_, Slices(), name, "ports", slice.at("ports"), slice); !s.ok()) return s;
  }
  if (by_port.empty()) {  // no live server: the slice stays, empty
    json::value slice = {
        {"metadata", {{"name", kServiceName}, {"labels", {{"kubernetes.io/service-name", kServiceName}}}}},
        {"addressType", "IPv4"},
        {"endpoints", json::array{}}};
    if (auto s = Converge(client_, Slices(), kServiceName, "endpoints", json::array{}, slice); !s.ok())
      return s;
  }
  auto slices = client_->List(
      Slices(), "default",
      client::ListOptions{.label_selector = absl::StrCat("kubernetes.io/service-name=", kServiceName)});
  if (!slices.ok()) return slices.status();
  for (const auto& slice : slices->items) {
    std::string name = base::GetString(*slice, {"metadata", "name"});
    if (wanted.count(name)) continue;
    absl::Status deleted = client_->Delete(Slices(), "default", name);
    if (!deleted.ok() && client::HttpCode(deleted) != 404) return deleted;
  }
  return absl::OkStatus();
}

}  // namespace skiff::controllers::apiserverendpoints
