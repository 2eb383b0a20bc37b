#include "bench_target.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace skiff::bench {
namespace {

// Parses "https://HOST:PORT[/]" with HOST 127.0.0.1 or localhost.
absl::Status ParseServerUrl(std::string_view url, Endpoint* endpoint) {
  absl::string_view rest = Av(url);
  if (!absl::ConsumePrefix(&rest, "https://"))
    return absl::InvalidArgumentError("--server must start with https://");
  absl::ConsumeSuffix(&rest, "/");
  size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return absl::InvalidArgumentError("--server needs an explicit port");
  absl::string_view host = rest.substr(0, colon);
  if (host != "127.0.0.1" && host != "localhost") {
    return absl::InvalidArgumentError("--server must be on 127.0.0.1 (benchmarks stay on this machine)");
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in --server ", Av(url)));
  }
  endpoint->host = "127.0.0.1";
  endpoint->port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BenchTarget>> BenchTarget::Open(const TargetOptions& options) {
  auto target = std::unique_ptr<BenchTarget>(new BenchTarget());
  if (options.server_url.empty()) {
    auto process = SkiffProcess::Create(options.skiff_binary, options.keep_files);
    if (!process.ok()) return process.status();
    std::vector<std::string> args = options.server_args;
    if (options.audit_log) args.insert(args.end(), {"--audit-log-path", (*process)->data_dir() + "/audit.log"});
    if (!args.empty()) (*process)->set_extra_args(args);
    auto started = (*process)->Start(std::chrono::seconds(60));
    if (!started.ok()) return started.status();
    target->start_time_ = *started;
    target->process_ = std::move(*process);
    target->endpoint_ = target->process_->endpoint();
    target->pid_ = target->process_->pid();
    return target;
  }
  if (absl::Status parsed = ParseServerUrl(options.server_url, &target->endpoint_); !parsed.ok())
    return parsed;
  target->endpoint_.token = options.token;
  if (target->endpoint_.token.empty() && !options.token_file.empty()) {
    std::ifstream in(options.token_file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read --token-file ", options.token_file));
    std::stringstream text;
    text << in.rdbuf();
    target->endpoint_.token = std::string(absl::StripAsciiWhitespace(text.str()));
  }
  if (target->endpoint_.token.empty())
    return absl::InvalidArgumentError("--server needs --token or --token-file");
  if (options.ca_file.empty()) return absl::InvalidArgumentError("--server needs --ca");
  target->endpoint_.ca_file = options.ca_file;
  target->pid_ = options.pid;
  return target;
}

void BenchTarget::Describe(Report& report) const {
  report.Section("server");
  if (process_) {
    report.Add("process", absl::StrCat(process_->binary(), " (pid ", pid_, ", started by the benchmark)"));
    report.Add("data dir", absl::StrCat(process_->data_dir(), " (fresh; removed at exit unless --keep)"));
    report.Add("start to /readyz", FormatMs(std::chrono::nanoseconds(start_time_).count()));
  } else {
    report.Add("process",
               absl::StrCat("attached", pid_ > 0 ? absl::StrCat(" (pid ", pid_, ")") : " (pid unknown)"));
  }
  report.Add("address", absl::StrCat("https://", endpoint_.host, ":", endpoint_.port,
                                     " (bearer token, CA-verified TLS)"));
}

absl::StatusOr<int64_t> RssBytes(pid_t pid) {
  if (pid <= 0) return absl::FailedPreconditionError("server pid unknown (pass --pid)");
  auto kb = ReadProcStatusKb(pid, "VmRSS");
  if (!kb.ok()) return kb.status();
  return *kb * 1024;
}

std::string RssText(pid_t pid) {
  auto bytes = RssBytes(pid);
  if (!bytes.ok()) return absl::StrCat("n/a: ", bytes.status().message());
  return FormatMib(*bytes);
}

}  // namespace skiff::bench
