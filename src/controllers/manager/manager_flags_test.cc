#include "controllers/manager/manager_flags.h"

#include <algorithm>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

absl::StatusOr<ManagerOptions> Parse(std::vector<std::string> args) {
  CLI::App app;
  ManagerFlags flags;
  AddManagerFlags(&app, &flags);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return ToManagerOptions(flags);
}

std::string Error(std::vector<std::string> args) {
  auto options = Parse(std::move(args));
  EXPECT_FALSE(options.ok());
  return std::string(options.status().message());
}

// Kubernetes' defaults; on a shared store (etcd) the leader election's are shortened for a fast
// failover.
TEST(ManagerFlagsTest, DefaultsAreKubernetesDefaults) {
  auto options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->controllers.cluster_cidr, "10.42.0.0/16");
  EXPECT_EQ(options->controllers.node_cidr_mask_size, 0);
  EXPECT_EQ(options->controllers.node_monitor_grace_period, absl::Seconds(40));
  EXPECT_EQ(options->leader_election.lease_duration, absl::Seconds(15));
  EXPECT_EQ(options->leader_election.renew_deadline, absl::Seconds(10));
  EXPECT_EQ(options->leader_election.retry_period, absl::Seconds(2));
  EXPECT_TRUE(options->leader_elect);
  EXPECT_TRUE(options->leader_election.sole_candidate);  // SQLite: the only server
}

TEST(ManagerFlagsTest, AnyLeaderElectFlagTurnsOnTheFullProtocolOnSqlite) {
  ManagerFlags flags;
  flags.leader_elect_renew_deadline = "3s";
  auto options = ToManagerOptions(flags);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->leader_election.sole_candidate);
  EXPECT_EQ(options->leader_election.renew_deadline, absl::Seconds(3));
}

TEST(ManagerFlagsTest, SharedStoreShortensTheLeaderElection) {
  ManagerFlags flags;
  flags.shared_store = true;
  auto options = ToManagerOptions(flags);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->leader_election.lease_duration, absl::Seconds(3));
  EXPECT_EQ(options->leader_election.renew_deadline, absl::Seconds(2));
  EXPECT_EQ(options->leader_election.retry_period, absl::Milliseconds(500));
  EXPECT_FALSE(options->leader_election.sole_candidate);  // several servers may compete
  flags.leader_elect_retry_period = "1s";  // a given flag wins
  options = ToManagerOptions(flags);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->leader_election.retry_period, absl::Seconds(1));
}

TEST(ManagerFlagsTest, ParsesGivenValues) {
  auto options = Parse({"--cluster-cidr", "10.0.0.0/8", "--node-cidr-mask-size", "24",
                        "--node-monitor-grace-period", "1m30s", "--leader-elect-lease-duration", "3s",
                        "--leader-elect-renew-deadline", "2s", "--leader-elect-retry-period", "500ms"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->controllers.cluster_cidr, "10.0.0.0/8");
  EXPECT_EQ(options->controllers.node_cidr_mask_size, 24);
  EXPECT_EQ(options->controllers.node_monitor_grace_period, absl::Seconds(90));
  EXPECT_EQ(options->leader_election.lease_duration, absl::Seconds(3));
  EXPECT_EQ(options->leader_election.retry_period, absl::Milliseconds(500));
  EXPECT_TRUE(Parse({"--cluster-cidr", ""}).ok());  // allocation off
  EXPECT_TRUE(Parse({"--cluster-cidr", "fd00:42::/48"}).ok());
}

TEST(ManagerFlagsTest, BadValuesSayWhatIsWrong) {
  EXPECT_NE(Error({"--node-cidr-mask-size", "16"}).find("must be greater than the 16-bit prefix"),
            std::string::npos);
  EXPECT_NE(Error({"--cluster-cidr", "10.42.0.0"}).find("invalid CIDR"), std::string::npos);
  EXPECT_NE(Error({"--cluster-cidr", "10.0.0.0/8", "--node-cidr-mask-size", "28"}).find("2^20"),
            std::string::npos);
  EXPECT_NE(Error({"--node-cidr-mask-size", "-1"}).find("negative"), std::string::npos);
  EXPECT_NE(Error({"--node-monitor-grace-period", "40"}).find("--node-monitor-grace-period: \"40\" is not"),
            std::string::npos);
  EXPECT_NE(Error({"--node-monitor-grace-period", "0s"}).find("positive"), std::string::npos);
  EXPECT_NE(Error({"--node-monitor-grace-period", "inf"}).find("not a duration"), std::string::npos);
  EXPECT_NE(Error({"--leader-elect-lease-duration", "2s"}).find("greater than --leader-elect-renew"),
            std::string::npos);
  EXPECT_NE(Error({"--leader-elect-retry-period", "9s"}).find("1.2 x"), std::string::npos);
  EXPECT_FALSE(Parse({"--node-cidr-mask-size", "abc"}).ok());  // CLI11's own check
}

}  // namespace
}  // namespace skiff::controllers
