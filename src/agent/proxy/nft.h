// Nft: runs nftables command text through libnftables (the library behind the `nft` tool), one
// buffer per call, applied by the kernel as one atomic transaction. The netlink socket belongs to
// the network namespace of the thread that creates the Nft.
// Thread-safety: safe for concurrent use (calls are serialized: libnftables contexts are not
// thread-safe). Ownership: owns its libnftables context.
// Failure: Create() fails with Internal when no context can be made; Run() returns
// PermissionDenied without CAP_NET_ADMIN and InvalidArgument with nft's error text (which names
// the offending command) when the kernel or the parser refuses the transaction — nothing of a
// refused transaction is applied.
#ifndef SKIFF_AGENT_PROXY_NFT_H_
#define SKIFF_AGENT_PROXY_NFT_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct nft_ctx;

namespace skiff::agent::proxy {

class Nft {
 public:
  static absl::StatusOr<std::unique_ptr<Nft>> Create();
  ~Nft();
  Nft(const Nft&) = delete;
  Nft& operator=(const Nft&) = delete;

  // Runs `commands`; returns what nft printed (e.g. for "list table ip t").
  absl::StatusOr<std::string> Run(std::string_view commands);

 private:
  explicit Nft(nft_ctx* ctx) : ctx_(ctx) {}

  std::mutex mu_;
  nft_ctx* ctx_;
};

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_NFT_H_
