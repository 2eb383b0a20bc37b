// Figure (b): server RSS while holding N ConfigMaps, and the latency of LISTing all of them.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// One LIST with curl, as a user would time it: `time_total` (connection, TLS handshake and the
// whole body) and the body size, or an error.
struct CurlTiming {
  double seconds = 0;
  int64_t bytes = 0;
  std::string content_type;
};

absl::StatusOr<CurlTiming> CurlOnce(const std::string& curl, const Endpoint& endpoint, const std::string& path,
                                    const std::string& header_file) {
  std::string command = absl::StrCat(
      curl, " -sS -o /dev/null --cacert '", endpoint.ca_file, "' -H @'", header_file,
      "' -w '%{http_code} %{time_total} %{size_download} %{content_type}' 'https://", endpoint.host, ":",
      endpoint.port, path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("cannot run curl");
  std::string out;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  int status = pclose(pipe);
  int code = 0;
  CurlTiming timing;
  char content_type[200] = {0};
  if (status != 0 || std::sscanf(out.c_str(), "%d %lf %ld %199s", &code, &timing.seconds, &timing.bytes,
                                 content_type) < 3 || code != 200) {
    return absl::InternalError(absl::StrCat("curl LIST failed: ", out));
  }
  timing.content_type = content_type;
  return timing;
}

// `repeats` curl LISTs with these extra headers; a line for the report: median, all times, size.
std::string CurlFigure(const ListOptions& options, const Endpoint& endpoint, const std::string& path,
                       const std::string& extra_header, bool judge) {
  char header_file[] = "/tmp/skiff-list-bench-XXXXXX";
  int fd = mkstemp(header_file);
  if (fd < 0) return "cannot write curl's header file";
  std::string headers = absl::StrCat("Authorization: Bearer ", endpoint.token, "\n", extra_header);
  bool written = write(fd, headers.data(), headers.size()) == static_cast<ssize_t>(headers.size());
  close(fd);
  std::vector<double> seconds;
  CurlTiming last;
  std::string error = written ? "" : "cannot write curl's header file";
  for (int i = 0; i < options.repeats && error.empty(); ++i) {
    auto timing = CurlOnce(options.curl, endpoint, path, header_file);
    if (!timing.ok()) {
      error = std::string(timing.status().message());
      break;
    }
    seconds.push_back(timing->seconds);
    last = *timing;
  }
  unlink(header_file);
  if (!error.empty()) return error;
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted[sorted.size() / 2];
  std::vector<std::string> all;
  for (double s : seconds) all.push_back(absl::StrFormat("%.1f", s * 1e3));
  std::string line = absl::StrFormat("median %.1f ms (all: %s ms), %s, %s", median * 1e3, absl::StrJoin(all, " "),
                                     FormatMib(last.bytes), last.content_type);
  if (judge) absl::StrAppend(&line, "  ", Verdict(median <= 0.1, "<= 100 ms at 45,000"));
  return line;
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
  // Before any LIST: a Table LIST of every object decodes them all and leaves the allocator holding
  // far more than the objects.
  std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_seconds));
  auto rss_idle = RssBytes((*target)->pid());
  std::string path = absl::StrCat("/api/v1/namespaces/", options.fill.ns, "/configmaps");
  auto timings = TimeLists(endpoint, path, options.repeats);
  if (!timings.ok()) {
    std::fprintf(stderr, "list: %s\n", timings.status().ToString().c_str());
    return 1;
  }
  // kubectl get's Accept header (Table, then JSON), and a client that asks for protobuf first.
  const std::string kTableAccept =
      "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
      "application/json";
  const std::string kProtobufAccept = "Accept: application/vnd.kubernetes.protobuf, */*";
  std::string curl_json = CurlFigure(options, endpoint, path, "Accept: application/json", true);
  std::string curl_table = CurlFigure(options, endpoint, path, kTableAccept, false);
  std::string curl_protobuf = CurlFigure(options, endpoint, path, kProtobufAccept, false);
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
  report.Add("curl", absl::StrCat("the same GET with ", options.curl, ", ", options.repeats,
                                  "x per Accept header, each a new connection (time_total: connect, TLS, body)"));
  report.Add("RSS per object", absl::StrFormat("(RSS holding objects - RSS before fill) / objects created; "
                                               "again after %.0f s idle (allocator decay)", options.idle_seconds));
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
  if (rss.ok() && rss_empty.ok() && fill->created > 0) {
    double per_object = static_cast<double>(*rss - *rss_empty) / static_cast<double>(fill->created);
    report.Add("RSS per object", absl::StrCat(absl::StrFormat("%.0f bytes", per_object), "  ",
                                              Verdict(per_object <= 2048, "<= 2 KiB per 1 KiB ConfigMap")));
  }
  if (rss_idle.ok() && rss_empty.ok() && fill->created > 0) {
    double per_object = static_cast<double>(*rss_idle - *rss_empty) / static_cast<double>(fill->created);
    report.Add("RSS idle", absl::StrFormat("%s, %.0f bytes per object", FormatMib(*rss_idle), per_object));
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
  report.Add("curl LIST JSON", curl_json);
  report.Add("curl LIST Table", curl_table);
  report.Add("curl LIST protobuf", curl_protobuf);
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
