// Figure (c): watch fan-out. Many watchers on one namespace's ConfigMaps while a paced writer
// creates ConfigMaps carrying their send time; each watcher measures arrival minus send time.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benches.h"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "io_pool.h"

namespace skiff::bench {
namespace asio = boost::asio;

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(10);

int64_t SinceEpochNs(Clock::time_point t) { return std::chrono::nanoseconds(t.time_since_epoch()).count(); }

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

struct Watcher {
  std::unique_ptr<HttpsClient> client;
  std::atomic<int64_t> events{0};
  std::vector<int64_t> delays_ns;  // touched only by the watcher's io thread until it ends
  std::atomic<bool> opened{false};
  absl::Status end;  // read after the watcher's coroutine ended
};

asio::awaitable<void> WatchWorker(Watcher* watcher, std::string target, Clock::time_point deadline,
                                  WaitGroup* opened) {
  auto on_open = [watcher, opened] {
    watcher->opened = true;
    opened->Done();
  };
  auto on_line = [watcher](std::string_view line, Clock::time_point arrival) {
    std::optional<int64_t> sent = FindIntField(line, "sentNs");
    if (!sent) return;  // bookmarks and the like
    watcher->delays_ns.push_back(SinceEpochNs(arrival) - *sent);
    watcher->events.fetch_add(1, std::memory_order_relaxed);
  };
  watcher->end = co_await watcher->client->Stream(std::move(target), deadline, on_open, on_line);
  if (!watcher->opened) opened->Done();
}

struct WritePlan {
  std::string path;
  std::string name_prefix;
  std::string payload;
  std::atomic<int64_t> next{0};
  int64_t total = 0;
  Clock::time_point start;
  Clock::duration interval{};
  // A writer that falls this far behind stops issuing, so an overloaded run still ends.
  Clock::time_point stop_issuing;
};

struct WriterStats {
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t late_ns_max = 0;  // how far behind schedule a write was sent
  std::vector<int64_t> latencies_ns;
  std::string first_error;
};

asio::awaitable<void> WriteWorker(HttpsClient* client, WritePlan* plan, WriterStats* stats) {
  asio::steady_timer timer(client->context());
  for (;;) {
    int64_t index = plan->next.fetch_add(1);
    if (index >= plan->total || Clock::now() > plan->stop_issuing) break;
    Clock::time_point scheduled = plan->start + plan->interval * index;
    timer.expires_at(scheduled);
    co_await timer.async_wait(asio::use_awaitable);
    Clock::time_point sent = Clock::now();
    stats->late_ns_max =
        std::max<int64_t>(stats->late_ns_max, std::chrono::nanoseconds(sent - scheduled).count());
    std::string body = absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")",
                                    plan->name_prefix, index, R"("},"data":{"sentNs":")", SinceEpochNs(sent),
                                    R"(","payload":")", plan->payload, R"("}})");
    auto response = co_await client->Send("POST", plan->path, std::move(body), kWriteTimeout);
    if (response.ok() && response->status == 201) {
      stats->ok++;
      stats->latencies_ns.push_back(std::chrono::nanoseconds(Clock::now() - sent).count());
    } else {
      stats->failed++;
      if (stats->first_error.empty()) {
        stats->first_error =
            response.ok() ? absl::StrCat("HTTP ", response->status) : response.status().ToString();
      }
    }
  }
}

int64_t TotalEvents(const std::vector<std::unique_ptr<Watcher>>& watchers) {
  int64_t total = 0;
  for (const auto& w : watchers) total += w->events.load(std::memory_order_relaxed);
  return total;
}

}  // namespace

int RunWatchBench(const TargetOptions& target_options, const WatchOptions& options) {
  MachineInfo machine = ReadMachineInfo();
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) {
    std::fprintf(stderr, "watch: %s\n", target.status().ToString().c_str());
    return 1;
  }
  const Endpoint& endpoint = (*target)->endpoint();
  std::string ns = absl::StrCat("bench-watch-", RunId());
  if (absl::Status created = EnsureNamespace(endpoint, ns); !created.ok()) {
    std::fprintf(stderr, "watch: %s\n", created.ToString().c_str());
    return 1;
  }
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) {
    std::fprintf(stderr, "watch: %s\n", tls.status().ToString().c_str());
    return 1;
  }
  auto rss_before = RssBytes((*target)->pid());

  // Open the watches in batches so the server's accept queue and TLS handshakes keep up.
  IoPool watch_pool(options.threads);
  std::vector<std::unique_ptr<Watcher>> watchers;
  WaitGroup opened;
  WaitGroup ended;
  int64_t stream_seconds = static_cast<int64_t>(options.seconds + options.grace_seconds) + 120;
  std::string watch_target =
      absl::StrCat("/api/v1/namespaces/", ns, "/configmaps?watch=true&timeoutSeconds=", stream_seconds);
  Clock::time_point setup_start = Clock::now();
  Clock::time_point stream_deadline = setup_start + std::chrono::seconds(stream_seconds);
  for (int i = 0; i < options.watchers; i += options.connect_batch) {
    int batch = std::min(options.connect_batch, options.watchers - i);
    opened.Add(batch);
    for (int j = 0; j < batch; ++j) {
      auto watcher = std::make_unique<Watcher>();
      watcher->client = std::make_unique<HttpsClient>(watch_pool.Next(), *tls, endpoint);
      Spawn(watcher->client->context(), WatchWorker(watcher.get(), watch_target, stream_deadline, &opened),
            &ended);
      watchers.push_back(std::move(watcher));
    }
    if (!opened.WaitUntil(Clock::now() + std::chrono::seconds(60))) break;
  }
  double setup_seconds = std::chrono::duration<double>(Clock::now() - setup_start).count();
  int open_count = 0;
  std::string first_watch_error;
  for (const auto& w : watchers) {
    if (w->opened) open_count++;
  }

  // The writers get their own thread so that watcher work does not delay the schedule.
  WritePlan plan;
  plan.path = absl::StrCat("/api/v1/namespaces/", ns, "/configmaps");
  plan.name_prefix = "w-";
  plan.payload = MakePayload(options.object_bytes, 7);
  plan.total = static_cast<int64_t>(options.rate * options.seconds);
  plan.interval = Seconds(1.0 / options.rate);
  IoPool write_pool(1);
  std::vector<std::unique_ptr<HttpsClient>> writer_clients;
  std::vector<WriterStats> writer_stats(options.writers);
  WaitGroup writers_done;
  plan.start = Clock::now() + std::chrono::milliseconds(500);  // time for the writers' handshakes
  plan.stop_issuing = plan.start + Seconds(options.seconds) + std::chrono::seconds(2);
  CpuSample cpu_before = SampleCpu((*target)->pid());
  for (int i = 0; i < options.writers; ++i) {
    writer_clients.push_back(std::make_unique<HttpsClient>(write_pool.Next(), *tls, endpoint));
    Spawn(writer_clients.back()->context(), WriteWorker(writer_clients.back().get(), &plan, &writer_stats[i]),
          &writers_done);
  }
  bool writes_finished = writers_done.WaitUntil(plan.stop_issuing + kWriteTimeout + std::chrono::seconds(5));
  Clock::time_point writes_end = Clock::now();
  write_pool.Stop();
  WriterStats writes;
  for (WriterStats& s : writer_stats) {
    writes.ok += s.ok;
    writes.failed += s.failed;
    writes.late_ns_max = std::max(writes.late_ns_max, s.late_ns_max);
    writes.latencies_ns.insert(writes.latencies_ns.end(), s.latencies_ns.begin(), s.latencies_ns.end());
    if (writes.first_error.empty()) writes.first_error = s.first_error;
  }

  // Wait for stragglers, then end every watch.
  int64_t expected = writes.ok * open_count;
  Clock::time_point grace_end = Clock::now() + Seconds(options.grace_seconds);
  while (TotalEvents(watchers) < expected && Clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto rss_during = RssBytes((*target)->pid());
  CpuSample cpu_after = SampleCpu((*target)->pid());
  for (const auto& w : watchers) w->client->Cancel();
  bool watches_ended = ended.WaitUntil(Clock::now() + std::chrono::seconds(10));
  watch_pool.Stop();

  std::vector<int64_t> delays;
  delays.reserve(TotalEvents(watchers));
  int64_t watchers_complete = 0;
  for (const auto& w : watchers) {
    delays.insert(delays.end(), w->delays_ns.begin(), w->delays_ns.end());
    if (static_cast<int64_t>(w->delays_ns.size()) >= writes.ok) watchers_complete++;
    if (first_watch_error.empty() && !w->end.ok()) first_watch_error = w->end.ToString();
  }
  int64_t received = static_cast<int64_t>(delays.size());
  LatencySummary delay = Summarize(std::move(delays));
  LatencySummary write_latency = Summarize(writes.latencies_ns);
  double write_seconds = std::chrono::duration<double>(writes_end - plan.start).count();

  Report report("skiff apiserver bench: (c) watch fan-out");
  report.AddMachine(machine);
  (*target)->Describe(report);
  report.Section("conditions");
  report.Add("watchers", absl::StrFormat("%d requested: GET %s", options.watchers, watch_target));
  report.Add("watch clients", absl::StrFormat("one HTTPS connection each, %d io threads, opened %d at a time",
                                              options.threads, options.connect_batch));
  report.Add("writer",
             absl::StrFormat("%.0f creates/s for %.1f s (%d planned) over %d connections on 1 thread",
                             options.rate, options.seconds, plan.total, options.writers));
  report.Add("object", absl::StrFormat("ConfigMap with sentNs and a %d-byte payload", options.object_bytes));
  report.Add("delay", "arrival at the watcher (chunk parsed) minus the writer's send time, same clock");
  report.Section("results");
  report.Add("watchers open",
             absl::StrFormat("%d of %d after %.2f s setup", open_count, options.watchers, setup_seconds));
  if (!first_watch_error.empty()) report.Add("first watch error", first_watch_error);
  int64_t skipped = plan.total - writes.ok - writes.failed;
  report.Add("writes",
             absl::StrFormat("%d ok, %d failed in %.2f s = %s%s%s", writes.ok, writes.failed, write_seconds,
                             FormatRate(write_seconds > 0 ? writes.ok / write_seconds : 0),
                             skipped > 0 ? absl::StrFormat("; %d not sent (fell behind)", skipped) : "",
                             writes_finished ? "" : " (writers timed out)"));
  if (!writes.first_error.empty()) report.Add("first write error", writes.first_error);
  report.Add("write latency",
             absl::StrCat("p50 ", FormatMs(write_latency.p50_ns), ", p99 ", FormatMs(write_latency.p99_ns),
                          ", max ", FormatMs(write_latency.max_ns)));
  report.Add("writer max lag", absl::StrCat(FormatMs(writes.late_ns_max), " behind schedule"));
  report.Add("deliveries",
             absl::StrFormat("%d of %d expected (%.2f%%); %d watchers got every event", received, expected,
                             expected > 0 ? 100.0 * received / expected : 0.0, watchers_complete));
  report.Add("delay p50", FormatMs(delay.p50_ns));
  report.Add("delay p99",
             absl::StrCat(FormatMs(delay.p99_ns), "  ", Verdict(delay.p99_ns <= 50'000'000, "<= 50 ms")));
  report.Add("delay max", FormatMs(delay.max_ns));
  report.Add("delay mean", FormatMs(delay.mean_ns));
  report.Add("server RSS",
             absl::StrCat(rss_before.ok() ? FormatMib(*rss_before) : "n/a", " before, ",
                          rss_during.ok() ? FormatMib(*rss_during) : "n/a", " with watchers open"));
  report.Add("cpu used", absl::StrCat(DescribeCpu(cpu_before, cpu_after), " (writes and grace)"));
  if (!watches_ended) report.Add("note", "some watch streams did not end within 10 s of cancel");
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
