#include "controllers/nodelifecycle/cidr_allocator.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::controllers {

bool ParseIpv4Cidr(const std::string& text, uint32_t* address, int* prefix) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], prefix) || *prefix < 0 || *prefix > 32) return false;
  std::vector<std::string> octets = absl::StrSplit(parts[0], '.');
  if (octets.size() != 4) return false;
  uint32_t value = 0;
  for (const auto& o : octets) {
    int n = 0;
    if (o.empty() || !absl::SimpleAtoi(o, &n) || n < 0 || n > 255) return false;
    value = (value << 8) | static_cast<uint32_t>(n);
  }
  *address = value;
  return true;
}

absl::StatusOr<CidrAllocator> CidrAllocator::Create(const std::string& cluster_cidr, int node_mask_size) {
  uint32_t address = 0;
  int prefix = 0;
  if (!ParseIpv4Cidr(cluster_cidr, &address, &prefix)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid IPv4 cluster CIDR \"", cluster_cidr, "\""));
  }
  if (node_mask_size < prefix || node_mask_size > 32 || node_mask_size - prefix > 24) {
    return absl::InvalidArgumentError(
        absl::StrCat("node CIDR mask size ", node_mask_size, " does not fit cluster CIDR ", cluster_cidr));
  }
  uint32_t net_mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  CidrAllocator allocator(address & net_mask, prefix, node_mask_size);
  allocator.used_.assign(size_t{1} << (node_mask_size - prefix), false);
  return allocator;
}

std::string CidrAllocator::Format(size_t index) const {
  uint32_t a =
      base_ + (mask_ == 32 ? static_cast<uint32_t>(index) : static_cast<uint32_t>(index) << (32 - mask_));
  return absl::StrCat(a >> 24, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255, "/", mask_);
}

void CidrAllocator::Occupy(const std::string& node, const std::string& cidr) {
  uint32_t address = 0;
  int prefix = 0;
  if (!ParseIpv4Cidr(cidr, &address, &prefix) || prefix != mask_) return;
  uint32_t offset = address - base_;
  if (address < base_ || (prefix_ > 0 && (offset >> (32 - prefix_)) != 0))
    return;  // outside the cluster CIDR
  size_t index = mask_ == 32 ? offset : offset >> (32 - mask_);
  if (index >= used_.size()) return;
  auto it = by_node_.find(node);
  if (it != by_node_.end()) {
    if (it->second == index) return;
    used_[it->second] = false;
  }
  used_[index] = true;
  by_node_[node] = index;
}

absl::StatusOr<std::string> CidrAllocator::Allocate(const std::string& node) {
  if (auto it = by_node_.find(node); it != by_node_.end()) return Format(it->second);
  for (size_t i = 0; i < used_.size(); ++i) {
    size_t index = (next_ + i) % used_.size();
    if (used_[index]) continue;
    used_[index] = true;
    by_node_[node] = index;
    next_ = (index + 1) % used_.size();
    return Format(index);
  }
  return absl::ResourceExhaustedError("no remaining pod CIDRs in the cluster CIDR");
}

void CidrAllocator::Release(const std::string& node) {
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return;
  used_[it->second] = false;
  by_node_.erase(it);
}

}  // namespace skiff::controllers
