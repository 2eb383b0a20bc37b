#include "agent/proxy/nft.h"

#include <nftables/libnftables.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace skiff::agent::proxy {
namespace {
// libnftables keeps some process-wide state (parser, caches of protocol names); serialize
// every context's calls, not just each context's.
std::mutex& GlobalMutex() {
  static std::mutex mu;
  return mu;
}
}  // namespace

absl::StatusOr<std::unique_ptr<Nft>> Nft::Create() {
  std::lock_guard lock(GlobalMutex());
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return absl::InternalError("libnftables: cannot create a context");
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    return absl::InternalError("libnftables: cannot buffer output");
  }
  return std::unique_ptr<Nft>(new Nft(ctx));
}

Nft::~Nft() {
  std::lock_guard lock(GlobalMutex());
  nft_ctx_free(ctx_);
}

absl::StatusOr<std::string> Nft::Run(std::string_view commands) {
  std::lock_guard own(mu_);
  std::lock_guard lock(GlobalMutex());
  const std::string buffer(commands);  // NUL-terminated copy
  const int rc = nft_run_cmd_from_buffer(ctx_, buffer.c_str());
  std::string output = nft_ctx_get_output_buffer(ctx_);
  std::string error = nft_ctx_get_error_buffer(ctx_);
  if (rc == 0) return output;
  error = std::string(absl::StripAsciiWhitespace(error));
  if (absl::StrContains(error, "Operation not permitted")) {
    return absl::PermissionDeniedError(absl::StrCat("nftables: ", error, " (needs CAP_NET_ADMIN)"));
  }
  // Long transactions produce long errors; the first lines name the failing command.
  constexpr size_t kMaxError = 4000;
  if (error.size() > kMaxError) error = error.substr(0, kMaxError) + " ...";
  return absl::InvalidArgumentError(absl::StrCat("nftables: ", error.empty() ? "transaction failed" : error));
}

}  // namespace skiff::agent::proxy
