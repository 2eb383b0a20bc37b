// apiserver_bench: measures a skiff API server. Subcommands, one per figure set:
//   create   (a) ConfigMap create throughput and latency over many keep-alive connections
//   list     (b) RSS holding N ConfigMaps and the latency of listing them all
//   watch    (c) watch fan-out delivery delay with many watchers and a paced writer
//   startup  (d) idle RSS, idle disk writes, start-to-ready empty and with N objects
//   idle     (e) idle disk writes and RSS with a node: server + in-process agent, agent alone
//   all      every one of the above, in that order
// By default each starts its own `skiff server` (--skiff) on 127.0.0.1 with a fresh temp data dir;
// create/list/watch can attach to a running one with --server, --token(-file) and --ca.
#include <sys/resource.h>

#include <cstdio>

#include "CLI/CLI.hpp"
#include "benches.h"

namespace {

using skiff::bench::CreateOptions;

// Watchers need a descriptor each; lift the soft limit to the hard one (the server inherits it).
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void AddTargetOptions(CLI::App* app, skiff::bench::TargetOptions* target) {
  app->add_option("--skiff", target->skiff_binary, "skiff binary to start")->capture_default_str();
  app->add_option("--server", target->server_url, "attach to https://127.0.0.1:PORT instead of starting one");
  app->add_option("--token", target->token, "bearer token (with --server)");
  app->add_option("--token-file", target->token_file, "file holding the bearer token (with --server)");
  app->add_option("--ca", target->ca_file, "CA certificate of the attached server");
  app->add_option("--pid", target->pid, "pid of the attached server (for RSS)");
  app->add_flag("--keep", target->keep_files, "keep the temporary data dir and server log");
}

void AddCreateOptions(CLI::App* app, CreateOptions* create, bool count_is_objects) {
  app->add_option("--connections", create->connections, "keep-alive connections")->capture_default_str();
  app->add_option("--threads", create->threads, "client io threads")->capture_default_str();
  app->add_option("--object-bytes", create->object_bytes, "bytes of data per ConfigMap")
      ->capture_default_str();
  if (count_is_objects) {
    app->add_option("--objects", create->max_objects, "ConfigMaps to hold")->capture_default_str();
  } else {
    app->add_option("--seconds", create->seconds, "stop after this many seconds")->capture_default_str();
    app->add_option("--objects", create->max_objects, "... or after this many creates")
        ->capture_default_str();
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"apiserver_bench: throughput, latency, memory and start-up figures of a skiff API server"};
  app.require_subcommand(1);
  skiff::bench::TargetOptions target;

  CreateOptions create;
  auto* create_cmd = app.add_subcommand("create", "(a) ConfigMap create throughput and latency");
  AddTargetOptions(create_cmd, &target);
  AddCreateOptions(create_cmd, &create, false);
  create_cmd->add_flag(
      "--compare-audit", create.compare_audit,
      "run twice on fresh servers, without and with --audit-log-path (Metadata level), and report both");
  create_cmd->add_flag("--compare-etcd", create.compare_etcd,
                       "also measure a server on a private one-member etcd and report both stores");
  create_cmd->add_flag("--compare-policy", create.compare_policy,
                       "also create where a ValidatingAdmissionPolicy applies and report both runs");
  create_cmd->add_flag("--rbac-user", create.compare_rbac_user,
                       "also create as a non-admin user bound by a RoleBinding and report both runs");

  skiff::bench::ListOptions list;
  list.fill.max_objects = 45000;
  list.fill.seconds = 600;
  auto* list_cmd = app.add_subcommand("list", "(b) RSS holding N objects and LIST latency");
  AddTargetOptions(list_cmd, &target);
  AddCreateOptions(list_cmd, &list.fill, true);
  list_cmd->add_option("--repeats", list.repeats, "LISTs to time")->capture_default_str();
  list_cmd->add_option("--idle-seconds", list.idle_seconds, "idle time before RSS is read again")
      ->capture_default_str();
  list_cmd->add_option("--curl", list.curl, "curl binary for the curl LISTs")->capture_default_str();

  skiff::bench::WatchOptions watch;
  auto* watch_cmd = app.add_subcommand("watch", "(c) watch fan-out delivery delay");
  AddTargetOptions(watch_cmd, &target);
  watch_cmd->add_option("--watchers", watch.watchers, "concurrent watches")->capture_default_str();
  watch_cmd->add_option("--threads", watch.threads, "io threads for the watchers")->capture_default_str();
  watch_cmd->add_option("--writers", watch.writers, "writer connections")->capture_default_str();
  watch_cmd->add_option("--rate", watch.rate, "writes per second")->capture_default_str();
  watch_cmd->add_option("--seconds", watch.seconds, "writing time")->capture_default_str();
  watch_cmd->add_option("--grace", watch.grace_seconds, "seconds to wait for late events")
      ->capture_default_str();
  watch_cmd->add_option("--object-bytes", watch.object_bytes, "payload bytes per write")
      ->capture_default_str();

  skiff::bench::StartupOptions startup;
  startup.fill.max_objects = 45000;
  startup.fill.seconds = 600;
  auto* startup_cmd = app.add_subcommand("startup", "(d) idle RSS, idle disk writes and start-to-ready time");
  startup_cmd->add_option("--skiff", target.skiff_binary, "skiff binary to start")->capture_default_str();
  startup_cmd->add_flag("--keep", target.keep_files, "keep the temporary data dir and server log");
  AddCreateOptions(startup_cmd, &startup.fill, true);
  startup_cmd->add_option("--idle-seconds", startup.idle_seconds, "idle window for disk writes")
      ->capture_default_str();

  skiff::bench::IdleOptions idle;
  idle.oci_image_py = SKIFF_OCI_IMAGE_PY;
  auto* idle_cmd = app.add_subcommand(
      "idle", "(e) idle disk writes and RSS with a node (server + in-process agent, agent alone); needs root");
  idle_cmd->add_option("--skiff", target.skiff_binary, "skiff binary to start")->capture_default_str();
  idle_cmd->add_flag("--keep", target.keep_files, "keep the temporary data dir and server log");
  idle_cmd->add_option("--settle-seconds", idle.settle_seconds, "wait after ready before measuring")
      ->capture_default_str();
  idle_cmd->add_option("--window-seconds", idle.window_seconds, "idle window")->capture_default_str();

  auto* all_cmd = app.add_subcommand("all", "every figure with default settings, each on its own server");
  all_cmd->add_option("--skiff", target.skiff_binary, "skiff binary to start")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  RaiseFileLimit();
  if (create_cmd->parsed()) return skiff::bench::RunCreateBench(target, create);
  if (list_cmd->parsed()) return skiff::bench::RunListBench(target, list);
  if (watch_cmd->parsed()) return skiff::bench::RunWatchBench(target, watch);
  if (startup_cmd->parsed()) return skiff::bench::RunStartupBench(target, startup);
  if (idle_cmd->parsed()) return skiff::bench::RunIdleBench(target, idle);
  if (all_cmd->parsed()) {
    int failures = 0;
    failures += skiff::bench::RunCreateBench(target, create);
    failures += skiff::bench::RunListBench(target, list);
    failures += skiff::bench::RunWatchBench(target, watch);
    failures += skiff::bench::RunStartupBench(target, startup);
    return failures == 0 ? 0 : 1;
  }
  return 2;
}
