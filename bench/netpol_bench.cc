// netpol_bench: NetworkPolicy enforcement figures, inside network namespaces it creates (the host's
// rules are never touched; needs root).
//   * program: P policies over N pods (all on this node, the worst case: every pod is policed),
//     spread over namespaces; each policy selects a few pods and has ingress rules by pod label,
//     by namespace label (with a podSelector), by ipBlock with except, with numeric, endPort and
//     named ports, and an egress rule. Measured: parsing-free rule generation (models ->
//     TableState), transaction text, and the kernel commit of the whole table in one transaction;
//     then incremental changes (one pod's labels, one policy) as diff transactions.
//   * per-packet cost: a "node" namespace routes between two "pod" namespaces over veths; a client
//     in one does TCP request/response round trips (1 byte each way, one connection) and opens
//     new connections (connect + close) to a server in the other, without a table, then with the
//     full table where both pods are policed and admitted by their policies. Rounds alternate to
//     show the noise.
// Usage: netpol_bench [--policies P] [--pods N] [--seconds S]   (defaults 1000, 5000, 2)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "agent/netpol/netpol_rules.h"
#include "agent/netpol/policy_model.h"
#include "agent/netpol/table_state.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "bench_util.h"
#include "boost/json.hpp"

namespace skiff::bench {
namespace {

namespace json = boost::json;
using namespace agent::netpol;  // NOLINT: a benchmark of this one module

constexpr int kPodsPerNamespace = 100;
constexpr int kApps = 20;  // app labels per namespace: a policy selects kPodsPerNamespace / kApps pods

std::string PodIp(int i) { return absl::StrCat("10.100.", i / 250, ".", i % 250 + 1); }

std::vector<PodModel> Pods(int n) {
  std::vector<PodModel> pods;
  for (int i = 0; i < n; ++i) {
    PodModel p{.ns = absl::StrCat("ns-", i / kPodsPerNamespace), .name = absl::StrCat("pod-", i), .ip = PodIp(i),
               .node_name = "n1",
               .labels = json::object{{"app", absl::StrCat("app-", i % kApps)}, {"role", i % 3 == 0 ? "client" : "x"}}};
    p.ports = {{.name = "http", .protocol = "tcp", .port = 8080}};
    pods.push_back(std::move(p));
  }
  // The two pods of the packet test: policed (selected by policies below) and admitted.
  pods.push_back({.ns = "ns-0", .name = "bench-client", .ip = "10.9.1.2", .node_name = "n1",
                  .labels = json::object{{"app", "bench-client"}, {"role", "client"}}});
  pods.push_back({.ns = "ns-0", .name = "bench-server", .ip = "10.9.2.2", .node_name = "n1",
                  .labels = json::object{{"app", "bench-server"}},
                  .ports = {{.name = "echo", .protocol = "tcp", .port = 7000}}});
  return pods;
}

std::vector<NamespaceModel> Namespaces(int pods) {
  std::vector<NamespaceModel> out;
  for (int i = 0; i <= pods / kPodsPerNamespace; ++i) {
    const std::string name = absl::StrCat("ns-", i);
    out.push_back({.name = name, .labels = json::object{{"kubernetes.io/metadata.name", name},
                                                         {"team", absl::StrCat("t", i % 5)}}});
  }
  return out;
}

PolicyModel ParseOrDie(const json::value& v) {
  std::optional<PolicyModel> p = ParsePolicy(v);
  if (!p) {
    std::fprintf(stderr, "netpol_bench: bad policy %s\n", json::serialize(v).c_str());
    std::exit(1);
  }
  return *p;
}

std::vector<PolicyModel> Policies(int count, int pods, int generation) {
  const int namespaces = std::max(1, pods / kPodsPerNamespace);
  std::vector<PolicyModel> out;
  for (int i = 0; i < count; ++i) {
    const int ns = i % namespaces;
    json::value v = json::parse(absl::StrFormat(R"({"metadata":{"namespace":"ns-%d","name":"pol-%d"},"spec":{
      "podSelector":{"matchLabels":{"app":"app-%d"}},"policyTypes":["Ingress","Egress"],
      "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"client"}}}],
                  "ports":[{"port":80},{"port":9000,"endPort":9100},{"port":"http"}]},
                 {"from":[{"namespaceSelector":{"matchLabels":{"team":"t%d"}},
                           "podSelector":{"matchLabels":{"app":"app-%d"}}}]},
                 {"from":[{"ipBlock":{"cidr":"192.168.%d.0/24","except":["192.168.%d.128/25"]}}]}],
      "egress":[{"to":[{"namespaceSelector":{"matchLabels":{"team":"t%d"}}}],"ports":[{"port":53,"protocol":"UDP"}]}]}})",
                                                ns, i, (i / namespaces) % kApps, i % 5, (i + generation) % kApps,
                                                i % 256, i % 256, i % 5));
    out.push_back(ParseOrDie(v));
  }
  out.push_back(ParseOrDie(json::parse(R"({"metadata":{"namespace":"ns-0","name":"bench-server"},"spec":{
    "podSelector":{"matchLabels":{"app":"bench-server"}},
    "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"client"}}}],"ports":[{"port":"echo"}]}]}})")));
  out.push_back(ParseOrDie(json::parse(R"({"metadata":{"namespace":"ns-0","name":"bench-client"},"spec":{
    "podSelector":{"matchLabels":{"app":"bench-client"}},"policyTypes":["Egress"],
    "egress":[{"to":[{"podSelector":{"matchLabels":{"app":"bench-server"}}}],"ports":[{"port":7000}]}]}})")));
  return out;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// User + system CPU time of the calling thread: libnftables runs on it and the kernel does the
// transaction's work in its netlink calls, so this is the commit's cost without the waits of a
// busy machine (wall time on a loaded machine mostly measures the other processes).
absl::Duration ThreadCpu() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return absl::DurationFromTimeval(u.ru_utime) + absl::DurationFromTimeval(u.ru_stime);
}

struct Topology {
  std::unique_ptr<agent::proxy::Netns> node, client, server;
};

bool Setup(Topology& t) {
  for (auto* ns : {&t.node, &t.client, &t.server}) {
    auto made = agent::proxy::Netns::Create();
    if (!made.ok()) {
      std::fprintf(stderr, "netpol_bench: %s (run as root)\n", made.status().ToString().c_str());
      return false;
    }
    *ns = std::move(*made);
  }
  absl::Status s = t.node->Exec(
      "ip link set lo up && echo 1 > /proc/sys/net/ipv4/ip_forward && "
      "ip link add va type veth peer name pa && ip link add vb type veth peer name pb && ip link set pa netns " +
      t.client->path() + " && ip link set pb netns " + t.server->path() +
      " && ip addr add 10.9.1.1/24 dev va && ip addr add 10.9.2.1/24 dev vb && ip link set va up && ip link set vb up");
  if (s.ok()) {
    s = t.client->Exec("ip link set lo up && ip addr add 10.9.1.2/24 dev pa && ip link set pa up && "
                       "ip route add default via 10.9.1.1");
  }
  if (s.ok()) {
    s = t.server->Exec("ip link set lo up && ip addr add 10.9.2.2/24 dev pb && ip link set pb up && "
                       "ip route add default via 10.9.2.1");
  }
  if (!s.ok()) std::fprintf(stderr, "netpol_bench: topology: %s\n", s.ToString().c_str());
  return s.ok();
}

sockaddr_in ServerAddr() {
  sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(7000), .sin_addr = {}, .sin_zero = {}};
  inet_pton(AF_INET, "10.9.2.2", &addr.sin_addr);
  return addr;
}

// Echo server in the server namespace: one thread per connection, until the listener closes.
int StartServer(Topology& t, std::vector<std::thread>& threads) {
  int listener = -1;
  (void)t.server->Run([&] {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in any{.sin_family = AF_INET, .sin_port = htons(7000), .sin_addr = {htonl(INADDR_ANY)}, .sin_zero = {}};
    if (bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof(any)) != 0 || listen(listener, 1024) != 0) {
      close(listener);
      listener = -1;
    }
  });
  if (listener < 0) return -1;
  threads.emplace_back([listener] {
    while (true) {
      int fd = accept(listener, nullptr, nullptr);
      if (fd < 0) return;
      std::thread([fd] {
        char byte;
        while (recv(fd, &byte, 1, 0) == 1) {
          if (send(fd, &byte, 1, 0) != 1) break;
        }
        close(fd);
      }).detach();
    }
  });
  return listener;
}

struct Rates {
  double round_trips = 0;  // per second, one connection
  double connections = 0;  // connect + first round trip + close, per second
};

Rates Measure(Topology& t, double seconds) {
  Rates r;
  (void)t.client->Run([&] {
    const sockaddr_in addr = ServerAddr();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::fprintf(stderr, "netpol_bench: connect: %s\n", std::strerror(errno));
      close(fd);
      return;
    }
    auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::duration<double>(seconds);
    int64_t n = 0;
    char byte = 'x';
    while (std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 100; ++i, ++n) {
        if (send(fd, &byte, 1, 0) != 1 || recv(fd, &byte, 1, 0) != 1) break;
      }
    }
    r.round_trips = n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    close(fd);
    start = std::chrono::steady_clock::now();
    const auto until2 = start + std::chrono::duration<double>(seconds);
    n = 0;
    while (std::chrono::steady_clock::now() < until2) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      linger l{.l_onoff = 1, .l_linger = 0};  // RST on close: no TIME_WAIT pile-up
      setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      if (connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 && send(c, &byte, 1, 0) == 1 &&
          recv(c, &byte, 1, 0) == 1)
        ++n;
      close(c);
    }
    r.connections = n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  return r;
}

int Run(int policy_count, int pod_count, double seconds) {
  Topology t;
  if (!Setup(t)) return 1;
  std::unique_ptr<agent::proxy::Nft> nft;
  (void)t.node->Run([&] {
    auto made = agent::proxy::Nft::Create();
    if (made.ok()) nft = std::move(*made);
  });
  if (!nft) {
    std::fprintf(stderr, "netpol_bench: no nftables context\n");
    return 1;
  }
  NetpolOptions options{.node_name = "n1"};
  const std::vector<PodModel> pods = Pods(pod_count);
  const std::vector<NamespaceModel> namespaces = Namespaces(pod_count);
  const std::vector<PolicyModel> policies = Policies(policy_count, pod_count, 0);

  const absl::Duration cpu_start = ThreadCpu();
  absl::Time start = absl::Now();
  TableState state = BuildTableState(options, pods, namespaces, policies);
  const absl::Duration build = absl::Now() - start;
  start = absl::Now();
  const std::string text = FullTransaction(options.table, state);
  const absl::Duration render = absl::Now() - start;
  if (const char* dump = std::getenv("NETPOL_BENCH_DUMP")) {  // the transaction, to study it with `nft -f`
    if (std::FILE* f = std::fopen(dump, "w")) {
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
    }
  }
  start = absl::Now();
  if (auto out = nft->Run(text); !out.ok()) {
    std::fprintf(stderr, "netpol_bench: full load: %s\n", out.status().ToString().c_str());
    return 1;
  }
  const absl::Duration commit = absl::Now() - start;
  const absl::Duration cpu_total = ThreadCpu() - cpu_start;
  size_t elements = 0;
  for (const auto& [name, set] : state.sets) elements += set.elements.size();
  size_t rules = 0;
  for (const auto& [name, chain] : state.chains) rules += chain.rules.size();

  // One pod's labels change (it leaves and joins selections): recompute, diff, commit.
  std::vector<PodModel> changed_pods = pods;
  changed_pods[0].labels = json::object{{"app", "app-7"}, {"role", "x"}};
  absl::Duration cpu = ThreadCpu();
  start = absl::Now();
  TableState after_pod = BuildTableState(options, changed_pods, namespaces, policies);
  const std::string pod_diff = DiffTransaction(options.table, state, after_pod);
  const absl::Duration pod_compute = absl::Now() - start;
  auto pod_out = nft->Run(pod_diff);
  const absl::Duration pod_change = absl::Now() - start;
  const absl::Duration pod_cpu = ThreadCpu() - cpu;
  // One policy's second rule selects other pods.
  std::vector<PolicyModel> changed_policies = policies;
  changed_policies[0] = Policies(1, pod_count, 3)[0];
  cpu = ThreadCpu();
  start = absl::Now();
  TableState after_policy = BuildTableState(options, changed_pods, namespaces, changed_policies);
  const std::string policy_diff = DiffTransaction(options.table, after_pod, after_policy);
  const absl::Duration policy_compute = absl::Now() - start;
  auto policy_out = nft->Run(policy_diff);
  const absl::Duration policy_change = absl::Now() - start;
  const absl::Duration policy_cpu = ThreadCpu() - cpu;
  if (!pod_out.ok() || !policy_out.ok()) {
    std::fprintf(stderr, "netpol_bench: incremental change refused: %s %s\n", pod_out.status().ToString().c_str(),
                 policy_out.status().ToString().c_str());
    return 1;
  }

  std::vector<std::thread> threads;
  const int listener = StartServer(t, threads);
  if (listener < 0) {
    std::fprintf(stderr, "netpol_bench: cannot listen in the server namespace\n");
    return 1;
  }
  std::vector<Rates> with, without;
  for (int round = 0; round < 3; ++round) {
    (void)nft->Run(DeleteTableTransaction(options.table));
    without.push_back(Measure(t, seconds));
    (void)nft->Run(FullTransaction(options.table, after_policy));
    with.push_back(Measure(t, seconds));
  }
  shutdown(listener, SHUT_RDWR);
  close(listener);
  for (std::thread& th : threads) th.join();

  Report report("netpol_bench: NetworkPolicy enforcement (nftables table in a private network namespace)");
  report.Section("conditions");
  report.AddMachine(ReadMachineInfo());
  report.Add("policies", absl::StrCat(policies.size(), " (", policy_count, " generated + 2 for the packet test), ",
                                      "3 ingress rules + 1 egress rule each"));
  report.Add("pods", absl::StrCat(pods.size(), " in ", namespaces.size(), " namespaces, all on this node"));
  report.Add("table", absl::StrCat(state.chains.size(), " chains, ", rules, " rules, ", state.sets.size(),
                                   " sets/maps, ", elements, " elements, ", text.size() / 1024, " KiB of commands"));
  report.Section("program the whole table (target <= 1 s)");
  report.Add("generate rules", absl::StrFormat("%.1f ms", Ms(build)));
  report.Add("render transaction", absl::StrFormat("%.1f ms", Ms(render)));
  report.Add("kernel commit", absl::StrFormat("%.1f ms", Ms(commit)));
  const absl::Duration total = build + render + commit;
  report.Add("total (wall)", absl::StrFormat("%.1f ms: %s", Ms(total), Verdict(total <= absl::Seconds(1), "<= 1 s")));
  report.Add("total (CPU of this thread)",
             absl::StrFormat("%.1f ms: %s (wall minus the waits for a CPU on a loaded machine)", Ms(cpu_total),
                             Verdict(cpu_total <= absl::Seconds(1), "<= 1 s")));
  report.Section("incremental: recompute the whole desired table, diff, commit only the difference");
  report.Add("one pod's labels", absl::StrFormat("%d commands; %.1f ms wall (%.1f ms recompute + diff), %.1f ms CPU",
                                                 std::count(pod_diff.begin(), pod_diff.end(), '\n'), Ms(pod_change),
                                                 Ms(pod_compute), Ms(pod_cpu)));
  report.Add("one policy", absl::StrFormat("%d commands; %.1f ms wall (%.1f ms recompute + diff), %.1f ms CPU",
                                           std::count(policy_diff.begin(), policy_diff.end(), '\n'),
                                           Ms(policy_change), Ms(policy_compute), Ms(policy_cpu)));
  report.Section(absl::StrFormat("per-packet cost (%.0f s per measure, 3 alternating rounds)", seconds));
  auto row = [](const std::vector<Rates>& v, double Rates::*field) {
    std::string out;
    for (const Rates& r : v) absl::StrAppend(&out, out.empty() ? "" : ", ", FormatRate(r.*field));
    return out;
  };
  report.Add("round trips, no table", row(without, &Rates::round_trips));
  report.Add("round trips, with table", row(with, &Rates::round_trips));
  report.Add("new connections, no table", row(without, &Rates::connections));
  report.Add("new connections, with table", row(with, &Rates::connections));
  auto mean = [](const std::vector<Rates>& v, double Rates::*field) {
    double sum = 0;
    for (const Rates& r : v) sum += r.*field;
    return sum / static_cast<double>(v.size());
  };
  report.Add("round trips with/without",
             absl::StrFormat("%.3f", mean(with, &Rates::round_trips) / mean(without, &Rates::round_trips)));
  report.Add("new connections with/without",
             absl::StrFormat("%.3f", mean(with, &Rates::connections) / mean(without, &Rates::connections)));
  report.Print(stdout);
  return 0;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  int policies = 1000, pods = 5000;
  double seconds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--policies") == 0) policies = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--pods") == 0) pods = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: netpol_bench [--policies P] [--pods N] [--seconds S]\n");
      return 2;
    }
  }
  return skiff::bench::Run(std::max(1, policies), std::max(100, pods), std::max(0.1, seconds));
}
