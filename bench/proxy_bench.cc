// proxy_bench: the service proxy's figures, inside a fresh network namespace it creates (the host's
// rules are never touched; needs root). An in-process API server (client/testing/TestApiServer:
// real SQLite store, watch cache, admission) holds S Services with E endpoints each, in one
// EndpointSlice per Service; a ServiceProxy programs the namespace's nftables.
//   * full sync: the first sync after Start (the whole table in one transaction), and again after
//     a restart over the existing table;
//   * change -> rule live: an EndpointSlice update (one endpoint replaced) measured from before
//     the API write until the proxy's nft transaction committed, one change at a time; plus the
//     proxy's own compute + commit time for that single-service change.
// Usage: proxy_bench [--services S] [--endpoints E] [--changes N]   (defaults 1000, 10, 200)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "agent/proxy/service_proxy.h"
#include "bench_util.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"

namespace skiff::bench {
namespace {

namespace json = boost::json;
using agent::proxy::ServiceProxy;
using agent::proxy::SyncStats;

std::string ServiceName(int i) { return absl::StrCat("svc-", i); }
std::string ClusterIp(int i) { return absl::StrCat("10.96.", i / 250, ".", i % 250 + 1); }
// Unique within a service; endpoint 0 takes a new address in every generation.
std::string EndpointIp(int i, int j, int generation) {
  return absl::StrCat("10.", i / 256 % 256, ".", i % 256, ".",
                      j > 0             ? j + 1
                      : generation == 0 ? 100
                                        : 101 + generation % 150);
}

json::value Service(int i) {
  return json::object{
      {"metadata", json::object{{"name", ServiceName(i)}}},
      {"spec", json::object{{"clusterIP", ClusterIp(i)},
                            {"ports", json::array{json::object{
                                          {"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}};
}

json::value Slice(int i, int endpoints, int generation) {
  json::array eps;
  for (int j = 0; j < endpoints; ++j) {
    // Endpoint 0 changes with each generation; the others stay.
    eps.push_back(json::object{{"addresses", json::array{EndpointIp(i, j, j == 0 ? generation : 0)}},
                               {"conditions", json::object{{"ready", true}}},
                               {"nodeName", j % 2 == 0 ? "node-a" : "node-b"}});
  }
  return json::object{
      {"metadata", json::object{{"name", ServiceName(i) + "-1"},
                                {"labels", json::object{{"kubernetes.io/service-name", ServiceName(i)}}}}},
      {"addressType", "IPv4"},
      {"ports", json::array{json::object{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}},
      {"endpoints", std::move(eps)}};
}

int Run(int services, int endpoints, int changes) {
  auto ns = agent::proxy::Netns::Create();
  if (!ns.ok()) {
    std::fprintf(stderr, "proxy_bench: %s (run as root)\n", ns.status().ToString().c_str());
    return 1;
  }
  client::testing::TestApiServer api;
  client::Client* c = api.client();
  const auto& svc_r = client::Resource("", "v1", "services");
  const auto& slice_r = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  const absl::Time load_start = absl::Now();
  for (int i = 0; i < services; ++i) {
    auto s = c->Create(svc_r, "default", Service(i));
    auto e = c->Create(slice_r, "default", Slice(i, endpoints, 0));
    if (!s.ok() || !e.ok()) {
      std::fprintf(stderr, "proxy_bench: create: %s %s\n", s.status().ToString().c_str(),
                   e.status().ToString().c_str());
      return 1;
    }
  }
  const absl::Duration load_time = absl::Now() - load_start;

  agent::proxy::ProxyOptions options;
  options.node_name = "node-a";
  options.node_ips = {"192.0.2.10"};
  // Each proxy gets its own informers, as a restarted agent would (a fresh list, not a warm cache).
  client::SharedInformers first_informers(c), restart_informers(c);
  auto start_proxy = [&](std::unique_ptr<ServiceProxy>& proxy, client::SharedInformers& informers) -> bool {
    proxy = std::make_unique<ServiceProxy>(&informers, options);
    absl::Status started;
    if (!ns->get()->Run([&] { started = proxy->Start(); }).ok() || !started.ok()) {
      std::fprintf(stderr, "proxy_bench: start: %s\n", started.ToString().c_str());
      return false;
    }
    return proxy->WaitForFirstSync(absl::Minutes(5));
  };

  std::unique_ptr<ServiceProxy> proxy;
  const absl::Time start = absl::Now();
  if (!start_proxy(proxy, first_informers)) return 1;
  const absl::Duration first_sync_wall = absl::Now() - start;
  const SyncStats first = proxy->stats();

  // One change at a time: write, then wait for the commit that carries it (nothing else changes,
  // so the next committed incremental transaction is the one).
  std::vector<int64_t> live_ns, sync_ns;
  for (int k = 0; k < changes; ++k) {
    const int i = (k * 7919) % services;
    const SyncStats before = proxy->stats();
    auto current = c->Get(slice_r, "default", ServiceName(i) + "-1");
    if (!current.ok()) return 1;
    json::value next = Slice(i, endpoints, k + 1);
    next.as_object()["metadata"].as_object()["resourceVersion"] =
        (**current).at("metadata").at("resourceVersion");
    const absl::Time t0 = absl::Now();
    if (auto u = c->Update(slice_r, "default", std::move(next)); !u.ok()) {
      std::fprintf(stderr, "proxy_bench: update: %s\n", u.status().ToString().c_str());
      return 1;
    }
    SyncStats now = proxy->stats();
    const absl::Time deadline = t0 + absl::Seconds(10);
    while (now.partial_syncs == before.partial_syncs && absl::Now() < deadline) {
      absl::SleepFor(absl::Microseconds(100));
      now = proxy->stats();
    }
    if (now.partial_syncs == before.partial_syncs) {
      std::fprintf(stderr, "proxy_bench: change %d never applied (%s)\n", k, now.last_error.c_str());
      return 1;
    }
    live_ns.push_back(absl::ToInt64Nanoseconds(now.last_commit - t0));
    sync_ns.push_back(absl::ToInt64Nanoseconds(now.last_partial_sync));
  }
  // Sanity: the kernel holds the last change.
  bool verified = false;
  if (changes > 0) {
    const int i = ((changes - 1) * 7919) % services;
    (void)ns->get()->Run([&] {
      auto nft = agent::proxy::Nft::Create();
      if (!nft.ok()) return;
      auto listing = (*nft)->Run("list table ip skiff-proxy");
      verified = listing.ok() &&
                 listing->find(absl::StrCat(EndpointIp(i, 0, changes), " . 8080")) != std::string::npos;
    });
  }
  const SyncStats after_changes = proxy->stats();

  // Restart: the new proxy's full sync replaces the existing table.
  proxy->Stop();
  std::unique_ptr<ServiceProxy> restarted;
  if (!start_proxy(restarted, restart_informers)) return 1;
  const SyncStats second = restarted->stats();
  restarted->Stop();
  (void)ns->get()->Run([] { (void)agent::proxy::DeleteProxyTable("skiff-proxy"); });

  const LatencySummary live = Summarize(live_ns);
  const LatencySummary sync = Summarize(sync_ns);
  Report report("skiff proxy bench: Services + EndpointSlices -> nftables (in a private network namespace)");
  report.AddMachine(ReadMachineInfo());
  report.Section("conditions");
  report.Add("services", absl::StrCat(services, " ClusterIP services x 1 port, ", endpoints,
                                      " ready endpoints each (", services * endpoints, " endpoints)"));
  report.Add("table",
             absl::StrCat(first.chains, " per-service chains, ", first.services, " services with rules"));
  report.Add("api server", "in-process TestApiServer (SQLite store in a temp dir, watch cache, admission)");
  report.Add("proxy", absl::StrCat("sync_delay ", absl::FormatDuration(options.sync_delay),
                                   ", libnftables, kernel nf_tables in a fresh netns"));
  report.Add("load", absl::StrCat(2 * services, " objects written in ", absl::FormatDuration(load_time)));
  report.Section("full sync");
  report.Add("first sync (compute + commit)", FormatMs(absl::ToInt64Nanoseconds(first.last_full_sync)));
  report.Add("start -> first sync committed", FormatMs(absl::ToInt64Nanoseconds(first_sync_wall)));
  report.Add("restart over existing table", FormatMs(absl::ToInt64Nanoseconds(second.last_full_sync)));
  report.Section("single endpoint change");
  report.Add("changes",
             absl::StrCat(live.count, " sequential EndpointSlice updates (", after_changes.failed_syncs,
                          " failed syncs; kernel check ", verified ? "ok" : "FAILED", ")"));
  report.Add("write -> rule live p50", FormatMs(live.p50_ns));
  report.Add("write -> rule live p99",
             absl::StrCat(FormatMs(live.p99_ns), "  ", Verdict(live.p99_ns <= 100'000'000, "<= 100 ms")));
  report.Add("write -> rule live max", FormatMs(live.max_ns));
  report.Add("sync (compute + commit) p50", FormatMs(sync.p50_ns));
  report.Add("sync (compute + commit) p99", FormatMs(sync.p99_ns));
  report.Print(stdout);
  return verified ? 0 : 1;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  int services = 1000, endpoints = 10, changes = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--services") == 0)
      services = value;
    else if (std::strcmp(argv[i], "--endpoints") == 0)
      endpoints = value;
    else if (std::strcmp(argv[i], "--changes") == 0)
      changes = value;
    else {
      std::fprintf(stderr, "usage: %s [--services S] [--endpoints E] [--changes N]\n", argv[0]);
      return 2;
    }
  }
  if (services < 1 || services > 60000 || endpoints < 1 || endpoints > 90 || changes < 0) {
    std::fprintf(stderr, "proxy_bench: out-of-range arguments\n");
    return 2;
  }
  return skiff::bench::Run(services, endpoints, changes);
}
