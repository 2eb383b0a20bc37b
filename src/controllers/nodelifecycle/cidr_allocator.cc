#include "controllers/nodelifecycle/cidr_allocator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace skiff::controllers {
namespace {

// The n low bits set (n may be 0..128).
absl::uint128 LowMask(int n) {
  if (n <= 0) return 0;
  if (n >= 128) return absl::Uint128Max();
  return (absl::uint128(1) << n) - 1;
}

absl::uint128 ShiftRight(absl::uint128 x, int n) { return n >= 128 ? absl::uint128(0) : x >> n; }

constexpr uint64_t kAllOnes = ~uint64_t{0};

}  // namespace

absl::StatusOr<IpPrefix> ParseCidr(const std::string& text) {
  auto invalid = [&] { return absl::InvalidArgumentError(absl::StrCat("invalid CIDR \"", text, "\"")); };
  size_t slash = text.find('/');
  if (slash == std::string::npos) return invalid();
  std::string ip = text.substr(0, slash);
  std::string length = text.substr(slash + 1);
  IpPrefix out;
  if (length.empty() || length.size() > 3 ||
      !std::all_of(length.begin(), length.end(), [](char c) { return absl::ascii_isdigit(c); }) ||
      !absl::SimpleAtoi(length, &out.length)) {
    return invalid();
  }
  if (ip.find(':') == std::string::npos) {
    in_addr v4;
    if (inet_pton(AF_INET, ip.c_str(), &v4) != 1) return invalid();
    out.bits = 32;
    out.address = ntohl(v4.s_addr);
  } else {
    in6_addr v6;
    if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return invalid();
    out.bits = 128;
    for (uint8_t byte : v6.s6_addr) out.address = (out.address << 8) | byte;
  }
  if (out.length > out.bits) return invalid();
  return out;
}

std::string FormatCidr(const IpPrefix& prefix) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (prefix.bits == 32) {
    in_addr v4;
    v4.s_addr = htonl(static_cast<uint32_t>(absl::Uint128Low64(prefix.address)));
    inet_ntop(AF_INET, &v4, text, sizeof(text));
  } else {
    in6_addr v6;
    absl::uint128 a = prefix.address;
    for (int i = 15; i >= 0; --i, a >>= 8) v6.s6_addr[i] = static_cast<uint8_t>(absl::Uint128Low64(a) & 255);
    inet_ntop(AF_INET6, &v6, text, sizeof(text));
  }
  return absl::StrCat(text, "/", prefix.length);
}

absl::StatusOr<std::pair<IpPrefix, int>> CidrAllocator::Check(const std::string& cluster_cidr,
                                                              int node_mask_size) {
  auto cluster = ParseCidr(cluster_cidr);
  if (!cluster.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cluster CIDR: ", cluster.status().message()));
  }
  int mask = node_mask_size == 0 ? DefaultMaskSize(cluster->bits) : node_mask_size;
  if (mask <= cluster->length || mask > cluster->bits) {
    return absl::InvalidArgumentError(absl::StrCat("node CIDR mask size ", mask, " must be greater than the ",
                                                   cluster->length, "-bit prefix of cluster CIDR ",
                                                   cluster_cidr, " and at most ", cluster->bits));
  }
  if (mask - cluster->length > kMaxSubnetBits) {
    return absl::InvalidArgumentError(absl::StrCat("node CIDR mask size ", mask, " splits cluster CIDR ",
                                                   cluster_cidr, " into 2^", mask - cluster->length,
                                                   " subnets; at most 2^", kMaxSubnetBits, " (mask size ",
                                                   cluster->length + kMaxSubnetBits, ") are supported"));
  }
  cluster->address &= ~LowMask(cluster->bits - cluster->length);
  return std::make_pair(*cluster, mask);
}

absl::Status CidrAllocator::Validate(const std::string& cluster_cidr, int node_mask_size) {
  return Check(cluster_cidr, node_mask_size).status();
}

absl::StatusOr<CidrAllocator> CidrAllocator::Create(const std::string& cluster_cidr, int node_mask_size) {
  auto checked = Check(cluster_cidr, node_mask_size);
  if (!checked.ok()) return checked.status();
  auto [cluster, mask] = *checked;
  return CidrAllocator(cluster, mask, size_t{1} << (mask - cluster.length));
}

CidrAllocator::CidrAllocator(IpPrefix cluster, int mask, size_t capacity)
    : cluster_(cluster), mask_(mask), capacity_(capacity), free_(capacity) {
  used_.assign((capacity + 63) / 64, 0);
  if (capacity % 64 != 0) used_.back() = kAllOnes << (capacity % 64);  // padding: never free
  full_.assign((used_.size() + 63) / 64, 0);
  if (used_.size() % 64 != 0) full_.back() = kAllOnes << (used_.size() % 64);
}

std::string CidrAllocator::Format(size_t index) const {
  IpPrefix subnet = cluster_;
  subnet.address += absl::uint128(index) << (cluster_.bits - mask_);
  subnet.length = mask_;
  return FormatCidr(subnet);
}

void CidrAllocator::Take(size_t index) {
  used_[index / 64] |= uint64_t{1} << (index % 64);
  if (used_[index / 64] == kAllOnes) full_[index / 4096] |= uint64_t{1} << ((index / 64) % 64);
  --free_;
}

void CidrAllocator::Give(size_t index) {
  used_[index / 64] &= ~(uint64_t{1} << (index % 64));
  full_[index / 4096] &= ~(uint64_t{1} << ((index / 64) % 64));
  ++free_;
}

size_t CidrAllocator::NextNonFullWord(size_t word) const {
  for (size_t s = word / 64; s < full_.size(); ++s) {
    uint64_t open = ~full_[s];
    if (s == word / 64) open &= kAllOnes << (word % 64);
    if (open != 0) return s * 64 + static_cast<size_t>(std::countr_zero(open));
  }
  return used_.size();
}

size_t CidrAllocator::NextFree(size_t from) const {
  if (from >= capacity_) return capacity_;
  uint64_t open = ~used_[from / 64] & (kAllOnes << (from % 64));
  if (open != 0) return (from / 64) * 64 + static_cast<size_t>(std::countr_zero(open));
  size_t word = NextNonFullWord(from / 64 + 1);
  if (word >= used_.size()) return capacity_;
  return word * 64 + static_cast<size_t>(std::countr_zero(~used_[word]));
}

void CidrAllocator::Occupy(const std::string& node, const std::string& cidr) {
  auto parsed = ParseCidr(cidr);
  if (!parsed.ok() || parsed->bits != cluster_.bits || parsed->length != mask_) return;
  if (parsed->address < cluster_.address) return;
  absl::uint128 offset = parsed->address - cluster_.address;
  if (ShiftRight(offset, cluster_.bits - cluster_.length) != 0) return;  // outside the cluster CIDR
  auto index = static_cast<uint32_t>(absl::Uint128Low64(ShiftRight(offset, cluster_.bits - mask_)));
  auto it = by_node_.find(node);
  if (it != by_node_.end()) {
    if (it->second == index) return;
    Release(node);
  }
  if (Used(index)) {
    ++extra_holders_[index];
  } else {
    Take(index);
  }
  by_node_[node] = index;
}

absl::StatusOr<std::string> CidrAllocator::Allocate(const std::string& node) {
  if (auto it = by_node_.find(node); it != by_node_.end()) return Format(it->second);
  if (free_ == 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("all ", capacity_, " /", mask_, " subnets of ", FormatCidr(cluster_), " are in use"));
  }
  size_t index = NextFree(next_);
  if (index >= capacity_) index = NextFree(0);  // wrap: free_ > 0 guarantees a hit
  Take(index);
  by_node_[node] = static_cast<uint32_t>(index);
  next_ = index + 1;
  return Format(index);
}

void CidrAllocator::Release(const std::string& node) {
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return;
  uint32_t index = it->second;
  by_node_.erase(it);
  if (auto extra = extra_holders_.find(index); extra != extra_holders_.end()) {
    if (--extra->second == 0) extra_holders_.erase(extra);
    return;
  }
  Give(index);
}

}  // namespace skiff::controllers
