#include "agent/node/pod_masquerade.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "agent/node/peer_routes.h"
#include "agent/proxy/nft.h"

namespace skiff::agent::node {

namespace {

std::string DeleteTable() {
  // "add" first: deleting a table that does not exist would fail the whole transaction.
  return absl::StrCat("add table ip ", kMasqueradeTable, "\ndelete table ip ", kMasqueradeTable, "\n");
}

absl::Status Run(const std::string& commands) {
  absl::StatusOr<std::unique_ptr<proxy::Nft>> nft = proxy::Nft::Create();
  if (!nft.ok()) return nft.status();
  return (*nft)->Run(commands).status();
}

}  // namespace

absl::StatusOr<std::string> PodMasqueradeCommands(const std::string& cluster_cidr) {
  absl::StatusOr<Ipv4Net> cluster = Ipv4Net::Parse(cluster_cidr);
  if (!cluster.ok()) return cluster.status();
  const std::string net = cluster->NetworkCidr();
  const std::string chain = absl::StrCat("ip ", kMasqueradeTable, " postrouting");
  return absl::StrCat(DeleteTable(), "add table ip ", kMasqueradeTable, "\n",  //
                      "add chain ", chain, " { type nat hook postrouting priority srcnat; policy accept; }\n",
                      "add rule ", chain, " ip saddr ", net, " ip daddr ", net, " return\n",  //
                      "add rule ", chain, " ip saddr ", net, " ip daddr 224.0.0.0/4 return\n", "add rule ",
                      chain, " ip saddr ", net, " masquerade fully-random\n");
}

absl::Status EnsurePodMasquerade(const std::string& cluster_cidr) {
  absl::StatusOr<std::string> commands = PodMasqueradeCommands(cluster_cidr);
  if (!commands.ok()) return commands.status();
  return Run(*commands);
}

absl::Status RemovePodMasquerade() { return Run(DeleteTable()); }

}  // namespace skiff::agent::node
