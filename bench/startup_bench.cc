// Figure (d): idle footprint and start-up time. A fresh server's idle RSS and idle disk writes,
// start-to-/readyz on an empty data dir and again holding N objects (restart on the same dir).
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benches.h"

namespace skiff::bench {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(120);

int64_t Ns(Clock::duration d) { return std::chrono::nanoseconds(d).count(); }

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// Bytes the process caused to be written to storage over `seconds` of idling.
absl::StatusOr<int64_t> IdleWriteBytes(pid_t pid, double seconds) {
  auto before = ReadProcIo(pid, "write_bytes");
  if (!before.ok()) return before.status();
  Sleep(seconds);
  auto after = ReadProcIo(pid, "write_bytes");
  if (!after.ok()) return after.status();
  return *after - *before;
}

std::string WritesText(const absl::StatusOr<int64_t>& bytes, double seconds) {
  if (!bytes.ok()) return absl::StrCat("n/a: ", bytes.status().message());
  return absl::StrFormat("%d bytes in %.0f s  %s", *bytes, seconds, Verdict(*bytes == 0, "~0"));
}

}  // namespace

int RunStartupBench(const TargetOptions& target_options, const StartupOptions& options) {
  if (!target_options.server_url.empty()) {
    std::fprintf(stderr, "startup: needs a server of its own; drop --server\n");
    return 1;
  }
  MachineInfo machine = ReadMachineInfo();
  auto process = SkiffProcess::Create(target_options.skiff_binary, target_options.keep_files);
  if (!process.ok()) {
    std::fprintf(stderr, "startup: %s\n", process.status().ToString().c_str());
    return 1;
  }
  SkiffProcess& server = **process;
  auto fail = [](std::string_view step, const absl::Status& status) {
    std::fprintf(stderr, "startup: %s: %s\n", std::string(step).c_str(), status.ToString().c_str());
    return 1;
  };

  // 1. First start: creates the PKI and an empty store.
  auto first = server.Start(kReadyTimeout);
  if (!first.ok()) return fail("first start", first.status());
  Sleep(options.settle_seconds);
  std::string idle_rss = RssText(server.pid());
  auto idle_rss_bytes = RssBytes(server.pid());
  auto idle_writes = IdleWriteBytes(server.pid(), options.idle_seconds);
  if (absl::Status s = server.Stop(); !s.ok()) return fail("stop", s);

  // 2. Restart on the empty data dir, then fill it.
  auto empty = server.Start(kReadyTimeout);
  if (!empty.ok()) return fail("empty restart", empty.status());
  if (absl::Status s = EnsureNamespace(server.endpoint(), options.fill.ns); !s.ok())
    return fail("namespace", s);
  auto fill = RunCreates(server.endpoint(), options.fill);
  if (!fill.ok()) return fail("fill", fill.status());
  if (absl::Status s = server.Stop(); !s.ok()) return fail("stop", s);

  // 3. Restart holding the objects; check they are all there.
  auto loaded = server.Start(kReadyTimeout);
  if (!loaded.ok()) return fail("loaded restart", loaded.status());
  auto list = SendOnce(server.endpoint(), "GET",
                       absl::StrCat("/api/v1/namespaces/", options.fill.ns, "/configmaps"), "");
  if (!list.ok()) return fail("list after restart", list.status());
  auto listed = CountItems(list->body);
  Sleep(options.settle_seconds);
  std::string loaded_rss = RssText(server.pid());
  auto loaded_writes = IdleWriteBytes(server.pid(), options.idle_seconds);
  if (absl::Status s = server.Stop(); !s.ok()) return fail("stop", s);

  Report report("skiff apiserver bench: (d) idle footprint and start-up");
  report.AddMachine(machine);
  report.Section("server");
  report.Add("process", absl::StrCat(server.binary(), " server --disable-agent, started by the benchmark"));
  report.Add("data dir", absl::StrCat(server.data_dir(), " (removed at exit unless --keep)"));
  report.Section("conditions");
  report.Add("ready", "spawn until GET /readyz answers 200 (polled every 2 ms over HTTPS)");
  report.Add("settle", absl::StrFormat("%.1f s after ready before RSS is read", options.settle_seconds));
  report.Add("idle window",
             absl::StrFormat("%.1f s, no clients; /proc/<pid>/io write_bytes delta", options.idle_seconds));
  report.Add("objects",
             absl::StrFormat("%d ConfigMaps requested (%d-byte data value), %d created in %.2f s (%d failed)",
                             options.fill.max_objects, options.fill.object_bytes, fill->created,
                             fill->seconds, fill->failed));
  report.Section("results, fresh server");
  report.Add("first start to ready", absl::StrCat(FormatMs(Ns(*first)), " (includes creating the PKI)"));
  report.Add(
      "idle RSS",
      absl::StrCat(idle_rss, "  ",
                   idle_rss_bytes.ok() ? Verdict(*idle_rss_bytes <= 30LL * 1024 * 1024, "<= 30 MiB") : ""));
  report.Add("idle disk writes", WritesText(idle_writes, options.idle_seconds));
  report.Add("restart to ready, empty",
             absl::StrCat(FormatMs(Ns(*empty)), "  ",
                          Verdict(*empty <= std::chrono::milliseconds(300), "<= 0.3 s")));
  report.Section("results, holding objects");
  report.Add("restart to ready",
             absl::StrCat(FormatMs(Ns(*loaded)), "  ",
                          Verdict(*loaded <= std::chrono::seconds(1), "<= 1 s at 45,000")));
  report.Add("objects after restart",
             listed.ok() ? absl::StrCat(*listed, " listed") : listed.status().ToString());
  report.Add("RSS after restart", loaded_rss);
  report.Add("idle disk writes", WritesText(loaded_writes, options.idle_seconds));
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
