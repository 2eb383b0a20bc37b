// dns_bench: query throughput and latency of the cluster DNS server (src/agent/dns) for cluster
// names. It starts an in-process API server (TestApiServer), creates Services (ClusterIP and
// headless with EndpointSlices), runs ClusterDns on 127.0.0.1:0 and drives it over UDP from one
// load-generator thread that keeps a fixed number of queries outstanding (closed loop), then
// prints qps, latency percentiles, the CPU used by the server's UDP thread and the conditions.
//
//   dns_bench [--services N] [--headless-percent P] [--endpoints E] [--concurrency C] [--seconds S]
//
// Targets: >= 50,000 queries/s on one core and p99 <= 1 ms on loopback. Latency is mostly queueing:
// with C outstanding, mean latency ~ C / qps, so a large --concurrency on a loaded 2-core machine
// measures the scheduler more than the server.
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/dns/cluster_dns.h"
#include "agent/dns/ldns.h"
#include "agent/dns/records.h"
#include "base/json.h"
#include "bench_util.h"
#include "client/testing/test_api_server.h"

namespace skiff::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace json = boost::json;

struct Flags {
  int services = 1000;
  int headless_percent = 20;
  int endpoints = 5;
  int concurrency = 16;
  double seconds = 5;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    std::string value = argv[i + 1];
    int n = 0;
    double d = 0;
    if (key == "--services" && absl::SimpleAtoi(Av(value), &n))
      f.services = n;
    else if (key == "--headless-percent" && absl::SimpleAtoi(Av(value), &n))
      f.headless_percent = n;
    else if (key == "--endpoints" && absl::SimpleAtoi(Av(value), &n))
      f.endpoints = n;
    else if (key == "--concurrency" && absl::SimpleAtoi(Av(value), &n))
      f.concurrency = std::clamp(n, 1, 256);
    else if (key == "--seconds" && absl::SimpleAtod(Av(value), &d))
      f.seconds = d;
    else {
      std::fprintf(stderr, "unknown flag %s\n", key.c_str());
      std::exit(2);
    }
  }
  return f;
}

std::string MakeQuery(const std::string& name, uint16_t type) {
  ldns_pkt* pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), static_cast<ldns_rr_type>(type),
                                     LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_edns_udp_size(pkt, 1232);  // what glibc and musl stubs send with edns0, and CoreDNS clients
  uint8_t* wire = nullptr;
  size_t size = 0;
  std::string out;
  if (ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK) out.assign(reinterpret_cast<char*>(wire), size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

// CPU seconds (user + system) of this process's threads named `name`.
double ThreadCpuSeconds(const std::string& name) {
  double total = 0;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return -1;
  long ticks = sysconf(_SC_CLK_TCK);
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(base + "/comm");
    std::string c;
    std::getline(comm, c);
    if (c != name) continue;
    std::ifstream stat(base + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field) fields.push_back(field);
    if (fields.size() > 12)
      total += (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(ticks);
  }
  closedir(dir);
  return total;
}

struct LoadResult {
  uint64_t answered = 0;
  uint64_t errors = 0;  // unexpected rcode or TC
  uint64_t resent = 0;  // no reply within 1 s
  double seconds = 0;
  std::vector<int64_t> latencies_ns;
};

// Closed loop: `concurrency` queries in flight on one socket; each reply (ID = slot | seq << 8)
// frees its slot for the next query.
LoadResult RunLoad(int port, const std::vector<std::string>& queries, const std::vector<int>& expected_rcode,
                   int concurrency, double seconds) {
  LoadResult result;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));

  struct Slot {
    size_t query = 0;
    uint8_t seq = 0;
    Clock::time_point sent;
    std::string packet;
  };
  std::vector<Slot> slots(concurrency);
  size_t next_query = 0;
  auto prepare = [&](int i) {
    Slot& s = slots[i];
    s.query = next_query++ % queries.size();
    s.packet = queries[s.query];
    ++s.seq;
    uint16_t id = static_cast<uint16_t>(i | (s.seq << 8));
    s.packet[0] = static_cast<char>(id >> 8);
    s.packet[1] = static_cast<char>(id & 0xff);
  };
  std::vector<mmsghdr> out(concurrency);
  std::vector<iovec> out_iov(concurrency);
  auto send_slots = [&](const std::vector<int>& ids) {
    int m = 0;
    Clock::time_point now = Clock::now();
    for (int i : ids) {
      slots[i].sent = now;
      out_iov[m] = {slots[i].packet.data(), slots[i].packet.size()};
      out[m] = {};
      out[m].msg_hdr.msg_iov = &out_iov[m];
      out[m].msg_hdr.msg_iovlen = 1;
      ++m;
    }
    for (int sent = 0; sent < m;) {
      int k = sendmmsg(fd, out.data() + sent, m - sent, 0);
      if (k <= 0) break;
      sent += k;
    }
  };
  std::vector<int> ready;
  for (int i = 0; i < concurrency; ++i) {
    prepare(i);
    ready.push_back(i);
  }
  send_slots(ready);

  constexpr int kBatch = 64;
  std::vector<std::array<char, 4096>> bufs(kBatch);
  std::array<mmsghdr, kBatch> in{};
  std::array<iovec, kBatch> in_iov{};
  result.latencies_ns.reserve(static_cast<size_t>(seconds * 300000));
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point last_sweep = start;
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 50);
    for (int i = 0; i < kBatch; ++i) {
      in_iov[i] = {bufs[i].data(), bufs[i].size()};
      in[i] = {};
      in[i].msg_hdr.msg_iov = &in_iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
    Clock::time_point now = Clock::now();
    ready.clear();
    for (int r = 0; r < n; ++r) {
      if (in[r].msg_len < 12) continue;
      const auto* b = reinterpret_cast<const uint8_t*>(bufs[r].data());
      uint16_t id = static_cast<uint16_t>((b[0] << 8) | b[1]);
      int slot = id & 0xff;
      if (slot >= concurrency || slots[slot].seq != (id >> 8)) continue;  // stale (resent meanwhile)
      int rcode = b[3] & 0x0f;
      bool tc = b[2] & 0x02;
      if (rcode != expected_rcode[slots[slot].query] || tc) ++result.errors;
      result.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - slots[slot].sent).count());
      ++result.answered;
      prepare(slot);
      ready.push_back(slot);
    }
    if (now - last_sweep > std::chrono::milliseconds(200)) {  // lost datagrams: resend
      last_sweep = now;
      for (int i = 0; i < concurrency; ++i) {
        if (now - slots[i].sent > std::chrono::seconds(1)) {
          ++result.resent;
          prepare(i);
          ready.push_back(i);
        }
      }
    }
    if (!ready.empty()) send_slots(ready);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  return result;
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  client::testing::TestApiServer server;
  client::Client* c = server.client();
  const auto& services = client::Resource("", "v1", "services");
  const auto& slices = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  const auto& namespaces = client::Resource("", "v1", "namespaces");
  const int kNamespaces = 10;
  for (int n = 0; n < kNamespaces; ++n) {
    json::value ns = json::object{{"metadata", json::object{{"name", absl::StrCat("ns", n)}}}};
    if (!c->Create(namespaces, "", ns).ok()) return 1;
  }

  // Services svc<i> in ns<i % 10>; every 100/headless_percent-th one headless with E endpoints.
  std::vector<std::string> queries;
  std::vector<int> rcodes;
  int headless = 0;
  auto created_start = Clock::now();
  for (int i = 0; i < flags.services; ++i) {
    std::string ns = absl::StrCat("ns", i % kNamespaces);
    std::string name = absl::StrCat("svc", i);
    bool is_headless =
        flags.headless_percent > 0 && (i * flags.headless_percent) % 100 < flags.headless_percent;
    std::string ip = absl::StrCat("10.43.", 1 + i / 250, ".", 1 + i % 250);
    json::object spec{
        {"ports", json::array{json::object{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}};
    spec["clusterIP"] = is_headless ? "None" : ip;
    spec["clusterIPs"] = json::array{is_headless ? "None" : ip};
    json::value svc =
        json::object{{"metadata", json::object{{"name", name}, {"namespace", ns}}}, {"spec", spec}};
    if (auto s = c->Create(services, ns, svc); !s.ok()) {
      std::fprintf(stderr, "create service: %s\n", s.status().ToString().c_str());
      return 1;
    }
    std::string fqdn = absl::StrCat(name, ".", ns, ".svc.cluster.local.");
    if (is_headless) {
      ++headless;
      json::array endpoints;
      for (int e = 0; e < flags.endpoints; ++e) {
        endpoints.push_back(
            json::object{{"addresses", json::array{absl::StrCat("10.42.", i % 250, ".", 1 + e)}},
                         {"hostname", absl::StrCat("pod-", e)},
                         {"conditions", json::object{{"ready", true}}}});
      }
      json::value slice = json::object{
          {"metadata", json::object{{"name", name + "-abc"},
                                    {"namespace", ns},
                                    {"labels", json::object{{"kubernetes.io/service-name", name}}}}},
          {"addressType", "IPv4"},
          {"ports", json::array{json::object{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}},
          {"endpoints", endpoints}};
      if (auto s = c->Create(slices, ns, slice); !s.ok()) {
        std::fprintf(stderr, "create slice: %s\n", s.status().ToString().c_str());
        return 1;
      }
    }
    // The query mix: A of every service, SRV of every tenth, a search-path NXDOMAIN of every tenth.
    queries.push_back(MakeQuery(fqdn, agent::dns::kTypeA));
    rcodes.push_back(0);
    if (i % 10 == 0) {
      queries.push_back(MakeQuery("_http._tcp." + fqdn, agent::dns::kTypeSrv));
      rcodes.push_back(0);
      queries.push_back(
          MakeQuery(name + "." + ns + ".svc.cluster.local.default.svc.cluster.local.", agent::dns::kTypeA));
      rcodes.push_back(3);
    }
  }
  double create_seconds = std::chrono::duration<double>(Clock::now() - created_start).count();

  // The cost of one full table rebuild, from the same objects the informers hold.
  auto listed_services = c->List(services, "", {});
  auto listed_slices = c->List(slices, "", {});
  if (!listed_services.ok() || !listed_slices.ok()) return 1;
  auto build_start = Clock::now();
  agent::dns::RecordTable table(agent::dns::RecordTable::Config{}, listed_services->items,
                                listed_slices->items);
  double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();

  agent::dns::ClusterDnsOptions options;
  options.listen = {"127.0.0.1:0"};
  options.upstreams = {"127.0.0.1:9"};
  client::SharedInformers informers(c);
  agent::dns::ClusterDns dns(&informers, options);
  if (auto s = dns.Start(); !s.ok()) {
    std::fprintf(stderr, "start: %s\n", s.ToString().c_str());
    return 1;
  }
  if (!dns.WaitForSync(absl::Seconds(30))) {
    std::fprintf(stderr, "cluster DNS did not sync\n");
    return 1;
  }
  int port = dns.udp_ports()[0];

  // Warm-up (fills the reply cache once, as a running cluster's would be), then the measurement.
  RunLoad(port, queries, rcodes, flags.concurrency, 0.5);
  double cpu_before = ThreadCpuSeconds("dns-udp");
  LoadResult load = RunLoad(port, queries, rcodes, flags.concurrency, flags.seconds);
  double cpu_after = ThreadCpuSeconds("dns-udp");
  dns.Stop();

  LatencySummary lat = Summarize(load.latencies_ns);
  double qps = static_cast<double>(load.answered) / load.seconds;
  double server_cores = (cpu_after - cpu_before) / load.seconds;
  Report report("cluster DNS (src/agent/dns) UDP throughput for cluster names");
  report.Section("conditions");
  report.AddMachine(ReadMachineInfo());
  report.Add("objects",
             absl::StrCat(flags.services, " Services in ", kNamespaces, " namespaces (", headless,
                          " headless with ", flags.endpoints, " ready endpoints each, one EndpointSlice)"));
  report.Add("query mix",
             absl::StrCat(queries.size(), " distinct queries, round robin: A of every service, SRV",
                          " and a search-path NXDOMAIN of every 10th; EDNS0 1232"));
  report.Add("load", absl::StrCat("1 client thread, 1 socket, ", flags.concurrency,
                                  " queries outstanding (closed loop), 127.0.0.1, recvmmsg/sendmmsg"));
  report.Add("server", "1 UDP thread (dns-udp) on 127.0.0.1:0, reply cache warm (0.5 s warm-up)");
  report.Add("duration", absl::StrCat(load.seconds, " s"));
  report.Section("results");
  report.Add("queries answered", absl::StrCat(load.answered, " (wrong rcode/TC: ", load.errors,
                                              ", resent after 1 s: ", load.resent, ")"));
  report.Add("throughput", FormatRate(qps) + "  " + Verdict(qps >= 50000, ">= 50,000/s"));
  report.Add("latency p50", FormatMs(lat.p50_ns));
  report.Add("latency p99", FormatMs(lat.p99_ns) + "  " + Verdict(lat.p99_ns <= 1000000, "<= 1 ms"));
  report.Add("latency max", FormatMs(lat.max_ns));
  report.Add("server UDP thread CPU",
             absl::StrCat(server_cores, " cores (", static_cast<int64_t>(qps / std::max(server_cores, 1e-9)),
                          " queries per CPU-second)"));
  report.Add("services created", absl::StrCat(create_seconds, " s"));
  report.Add("table rebuild", absl::StrCat(build_ms, " ms for ", table.name_count(), " names"));
  report.Print(stdout);
  return 0;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) { return skiff::bench::Main(argc, argv); }
