// Figure (e): the idle footprint with a node. A fresh `skiff server` with its in-process agent
// (containerd started by the agent), then `skiff server --disable-agent` with a separate
// `skiff agent`: after a settle time, the disk writes over an idle window (/proc/PID/io
// write_bytes), the store revisions written meanwhile (so bytes per commit), and where each
// process's RSS is (footprint.h). containerd is reported apart.
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent_node.h"
#include "benches.h"
#include "boost/json.hpp"
#include "footprint.h"

namespace skiff::bench {
namespace {

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// The store's current revision: the resourceVersion of a one-item namespace list.
absl::StatusOr<int64_t> CurrentRevision(const Endpoint& endpoint) {
  auto list = SendOnce(endpoint, "GET", "/api/v1/namespaces?limit=1", "");
  if (!list.ok()) return list.status();
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(list->body, ec);
  const boost::json::value* rv = ec ? nullptr : v.find_pointer("/metadata/resourceVersion", ec);
  int64_t revision = 0;
  if (rv == nullptr || !rv->is_string() || !absl::SimpleAtoi(std::string(rv->as_string()), &revision)) {
    return absl::InternalError(absl::StrCat("no resourceVersion in ", list->body.substr(0, 200)));
  }
  return revision;
}

struct Window {
  absl::StatusOr<int64_t> server_bytes = 0;
  absl::StatusOr<int64_t> agent_bytes = 0;  // only with a separate agent
  absl::StatusOr<int64_t> revisions = 0;
  double seconds = 0;
};

Window Measure(const Endpoint& endpoint, pid_t server, pid_t agent, double seconds) {
  Window w;
  w.seconds = seconds;
  auto server_before = ReadProcIo(server, "write_bytes");
  auto agent_before = agent ? ReadProcIo(agent, "write_bytes") : absl::StatusOr<int64_t>(0);
  auto revision_before = CurrentRevision(endpoint);
  Sleep(seconds);
  auto server_after = ReadProcIo(server, "write_bytes");
  auto agent_after = agent ? ReadProcIo(agent, "write_bytes") : absl::StatusOr<int64_t>(0);
  auto revision_after = CurrentRevision(endpoint);
  auto delta = [](const absl::StatusOr<int64_t>& a, const absl::StatusOr<int64_t>& b) -> absl::StatusOr<int64_t> {
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    return *b - *a;
  };
  w.server_bytes = delta(server_before, server_after);
  w.agent_bytes = delta(agent_before, agent_after);
  // Reading the revision is itself no write (a GET), so the delta is the idle commits.
  w.revisions = delta(revision_before, revision_after);
  return w;
}

std::string Rate(const absl::StatusOr<int64_t>& bytes, double seconds, bool verdict) {
  if (!bytes.ok()) return absl::StrCat("n/a: ", bytes.status().message());
  double kb_per_s = *bytes / 1024.0 / seconds;
  return absl::StrFormat("%.2f KiB/s (%d bytes in %.0f s)%s", kb_per_s, *bytes, seconds,
                         verdict ? absl::StrCat("  ", Verdict(kb_per_s <= 1.0, "<= 1 KiB/s")) : "");
}

std::string PerCommit(const Window& w) {
  if (!w.revisions.ok() || !w.server_bytes.ok()) return "n/a";
  if (*w.revisions == 0) return absl::StrCat("0 revisions written");
  return absl::StrFormat("%d revisions written, %.1f KiB of server writes per revision", *w.revisions,
                         *w.server_bytes / 1024.0 / static_cast<double>(*w.revisions));
}

std::string RssVerdict(const absl::StatusOr<Footprint>& f, int64_t limit_mib) {
  if (!f.ok()) return "";
  return Verdict(f->rss_kb <= limit_mib * 1024, absl::StrCat("<= ", limit_mib, " MiB"));
}

std::string ContainerdText(pid_t parent) {
  std::vector<pid_t> pids = ChildrenNamed(parent, "containerd");
  if (pids.empty()) return "n/a: no containerd child";
  return DescribeFootprint(ReadFootprint(pids[0]));
}

}  // namespace

int RunIdleBench(const TargetOptions& target, const IdleOptions& options) {
  if (!target.server_url.empty()) {
    std::fprintf(stderr, "idle: needs servers of its own; drop --server\n");
    return 1;
  }
  MachineInfo machine = ReadMachineInfo();
  Report report("skiff apiserver bench: (e) idle footprint with a node (disk writes, RSS)");
  report.AddMachine(machine);
  report.Section("conditions");
  report.Add("processes", absl::StrCat(target.skiff_binary, ", started by the benchmark on 127.0.0.1, fresh data dirs"));
  report.Add("settle", absl::StrFormat("%.0f s after /readyz (node registration, first leases, start-up writes)",
                                       options.settle_seconds));
  report.Add("idle window", absl::StrFormat("%.0f s, no clients but one GET at each end; /proc/PID/io write_bytes",
                                            options.window_seconds));
  report.Add("store", "SQLite (the default; one server, so the controllers' and scheduler's Leases are "
                      "renewed every 5 min, the node Lease every 10 s, node status every 5 min)");

  // 1. server + in-process agent.
  {
    auto process = SkiffProcess::Create(target.skiff_binary, target.keep_files);
    if (!process.ok()) {
      std::fprintf(stderr, "idle: %s\n", process.status().ToString().c_str());
      return 1;
    }
    SkiffProcess& server = **process;
    server.set_with_agent(true);
    auto started = server.Start(std::chrono::seconds(120));
    if (!started.ok()) {
      std::fprintf(stderr, "idle: server with agent: %s\n%s\n", started.status().ToString().c_str(),
                   server.LogTail().c_str());
      return 1;
    }
    Sleep(options.settle_seconds);
    Window w = Measure(server.endpoint(), server.pid(), 0, options.window_seconds);
    auto footprint = ReadFootprint(server.pid());
    report.Section("skiff server with its in-process agent");
    report.Add("disk writes", Rate(w.server_bytes, w.seconds, true));
    report.Add("store", PerCommit(w));
    report.Add("RSS", absl::StrCat(DescribeFootprint(footprint), "  ", RssVerdict(footprint, 30)));
    report.Add("containerd (apart)", ContainerdText(server.pid()));
    if (absl::Status s = server.Stop(); !s.ok()) std::fprintf(stderr, "idle: stop: %s\n", s.ToString().c_str());
  }

  // 2. server without agent + a separate `skiff agent`.
  {
    AgentNode node(target.skiff_binary);
    if (absl::Status s = node.Start(options.oci_image_py); !s.ok()) {
      std::fprintf(stderr, "idle: agent node: %s\n", s.ToString().c_str());
      return 1;
    }
    Sleep(options.settle_seconds);
    Window w = Measure(node.server()->endpoint(), node.server()->pid(), node.agent_pid(), options.window_seconds);
    auto agent = ReadFootprint(node.agent_pid());
    auto server = ReadFootprint(node.server()->pid());
    report.Section("skiff agent alone (its server apart, --disable-agent)");
    report.Add("agent disk writes", Rate(w.agent_bytes, w.seconds, false));
    report.Add("server disk writes", Rate(w.server_bytes, w.seconds, true));
    report.Add("store", PerCommit(w));
    report.Add("agent RSS", absl::StrCat(DescribeFootprint(agent), "  ", RssVerdict(agent, 20)));
    report.Add("server RSS", DescribeFootprint(server));
    report.Add("containerd (apart)", ContainerdText(node.agent_pid()));
  }
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
