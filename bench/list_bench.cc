// Figure (b): server RSS while holding N ConfigMaps, and the latency of LISTing all of them.
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "benches.h"
#include "boost/asio/ssl/context.hpp"
#include "io_pool.h"

namespace skiff::bench {
namespace asio = boost::asio;

namespace {

struct ListTimings {
  std::vector<int64_t> ns;
  std::vector<int64_t> first_byte_ns;  // until the response header was read
  size_t body_bytes = 0;
  int64_t items = 0;
};

// LISTs `path` `repeats` times over one keep-alive connection (its handshake is done first).
absl::StatusOr<ListTimings> TimeLists(const Endpoint& endpoint, const std::string& path, int repeats) {
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) return tls.status();
  asio::io_context context;
  HttpsClient client(context, *tls, endpoint);
  if (absl::Status connected = RunSync(context, client.Connect(std::chrono::seconds(10))); !connected.ok()) {
    return connected;
  }
  ListTimings timings;
  for (int i = 0; i < repeats; ++i) {
    Clock::time_point start = Clock::now();
    Clock::time_point headers = start;
    auto response = RunSync(context, client.Send("GET", path, "", std::chrono::seconds(60), &headers));
    Clock::time_point end = Clock::now();
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return absl::InternalError(
          absl::StrCat("LIST answered HTTP ", response->status, ": ", response->body.substr(0, 300)));
    }
    timings.ns.push_back(std::chrono::nanoseconds(end - start).count());
    timings.first_byte_ns.push_back(std::chrono::nanoseconds(headers - start).count());
    timings.body_bytes = response->body.size();
    if (i == 0) {  // parsing is outside the timed span
      auto items = CountItems(response->body);
      if (!items.ok()) return items.status();
      timings.items = *items;
    }
  }
  return timings;
}

}  // namespace

int RunListBench(const TargetOptions& target_options, const ListOptions& options) {
  MachineInfo machine = ReadMachineInfo();
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) {
    std::fprintf(stderr, "list: %s\n", target.status().ToString().c_str());
    return 1;
  }
  const Endpoint& endpoint = (*target)->endpoint();
  if (absl::Status ns = EnsureNamespace(endpoint, options.fill.ns); !ns.ok()) {
    std::fprintf(stderr, "list: %s\n", ns.ToString().c_str());
    return 1;
  }
  auto rss_empty = RssBytes((*target)->pid());
  auto fill = RunCreates(endpoint, options.fill);
  if (!fill.ok()) {
    std::fprintf(stderr, "list: fill: %s\n", fill.status().ToString().c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.settle_seconds));
  auto rss = RssBytes((*target)->pid());
  std::string path = absl::StrCat("/api/v1/namespaces/", options.fill.ns, "/configmaps");
  auto timings = TimeLists(endpoint, path, options.repeats);
  if (!timings.ok()) {
    std::fprintf(stderr, "list: %s\n", timings.status().ToString().c_str());
    return 1;
  }
  std::vector<int64_t> sorted = timings->ns;
  std::sort(sorted.begin(), sorted.end());
  int64_t best = sorted.front();
  int64_t median = sorted[sorted.size() / 2];

  Report report("skiff apiserver bench: (b) memory and LIST with many objects");
  report.AddMachine(machine);
  (*target)->Describe(report);
  report.Section("conditions");
  report.Add("objects",
             absl::StrFormat("%d ConfigMaps requested in namespace %s, %d-byte data value each",
                             options.fill.max_objects, options.fill.ns, options.fill.object_bytes));
  report.Add("fill", absl::StrFormat("%d created in %.2f s over %d connections (%d failed)", fill->created,
                                     fill->seconds, options.fill.connections, fill->failed));
  if (!fill->first_error.empty()) report.Add("first fill error", fill->first_error);
  report.Add("list",
             absl::StrCat("GET ", path, " (no limit), ", options.repeats, "x on one keep-alive connection"));
  report.Add("list time", "request sent until the whole body is read (includes client TLS and HTTP parsing)");
  report.Section("results");
  report.Add("RSS before fill",
             rss_empty.ok() ? FormatMib(*rss_empty) : std::string(rss_empty.status().message()));
  if (rss.ok()) {
    report.Add(
        "RSS holding objects",
        absl::StrCat(FormatMib(*rss), "  ", Verdict(*rss <= 150LL * 1024 * 1024, "<= 150 MiB at 45,000")));
  } else {
    report.Add("RSS holding objects", std::string(rss.status().message()));
  }
  report.Add("items listed", absl::StrCat(timings->items));
  report.Add("response body", FormatMib(timings->body_bytes));
  report.Add("LIST best", FormatMs(best));
  report.Add("LIST median",
             absl::StrCat(FormatMs(median), "  ", Verdict(median <= 100'000'000, "<= 100 ms at 45,000")));
  std::vector<std::string> all;
  for (int64_t ns : timings->ns) all.push_back(absl::StrFormat("%.1f", ns / 1e6));
  report.Add("LIST all (ms)", absl::StrJoin(all, " "));
  std::vector<std::string> first;
  for (int64_t ns : timings->first_byte_ns) first.push_back(absl::StrFormat("%.1f", ns / 1e6));
  report.Add("header after (ms)",
             absl::StrCat(absl::StrJoin(first, " "), "  (the rest is transfer, TLS and parsing)"));
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
