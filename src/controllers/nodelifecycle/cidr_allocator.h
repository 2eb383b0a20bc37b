// CidrAllocator: hands out per-node pod CIDRs (spec.podCIDR) carved from one cluster CIDR, e.g.
// /24 subnets of 10.42.0.0/16 (256 nodes) or /64 subnets of fd00:42::/48, like
// kube-controller-manager's range allocator (single stack).
//
// Subnets are slots of a two-level bitmap (one bit per subnet, one summary bit per full 64-bit
// word), so Allocate, Occupy and Release cost O(1) amortized even for 65,536 subnets: allocation
// moves a cursor forward and skips full regions 4,096 subnets at a time; an exhausted range
// answers at once from a free counter. Subnets already recorded on nodes (after a restart) are
// marked with Occupy so they are never handed out twice.
//
// Thread-safety: none; callers serialize access. Ownership: plain value.
// Failure: Create/Validate reject malformed CIDRs, node masks not longer than the cluster prefix
// and more than 2^16 subnets (InvalidArgument, saying which); Allocate answers ResourceExhausted
// when every subnet is taken.
#ifndef SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_
#define SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skiff::controllers {

// An IPv4 or IPv6 prefix; IPv4 addresses sit in the low 32 bits of `address`.
struct IpPrefix {
  absl::uint128 address = 0;
  int length = 0;  // prefix length
  int bits = 32;   // 32 (IPv4) or 128 (IPv6)
};

// Parses "a.b.c.d/n" or "x:y::z/n"; InvalidArgument when malformed. Host bits are kept.
absl::StatusOr<IpPrefix> ParseCidr(const std::string& text);
// "10.42.3.0/24", "fd00:42::/64".
std::string FormatCidr(const IpPrefix& prefix);

class CidrAllocator {
 public:
  // Most subnets one cluster CIDR may be split into (as Kubernetes: at most 16 bits between the
  // cluster prefix and the node mask).
  static constexpr int kMaxSubnetBits = 16;
  // The node mask used when none is given (0): 24 for IPv4, 64 for IPv6, as Kubernetes.
  static int DefaultMaskSize(int bits) { return bits == 32 ? 24 : 64; }

  // node_mask_size 0 = the family's default.
  static absl::Status Validate(const std::string& cluster_cidr, int node_mask_size);
  static absl::StatusOr<CidrAllocator> Create(const std::string& cluster_cidr, int node_mask_size);

  // Records that `node` uses `cidr`. Ignored when it is not one of our subnets. A subnet claimed
  // by two nodes (set by hand) stays taken until both are released.
  void Occupy(const std::string& node, const std::string& cidr);
  // The node's subnet: the one it already holds, else the next free one after the last handed
  // out (freed subnets are reused only after a wrap, like Kubernetes' cidrset).
  absl::StatusOr<std::string> Allocate(const std::string& node);
  // Frees the node's subnet (node deleted, or its patch failed).
  void Release(const std::string& node);

  size_t Capacity() const { return capacity_; }
  size_t Free() const { return free_; }

 private:
  CidrAllocator(IpPrefix cluster, int mask, size_t capacity);
  static absl::StatusOr<std::pair<IpPrefix, int>> Check(const std::string& cluster_cidr, int node_mask_size);

  std::string Format(size_t index) const;
  void Take(size_t index);
  void Give(size_t index);
  bool Used(size_t index) const { return (used_[index / 64] >> (index % 64)) & 1; }
  // The first free subnet at or after `from`, or capacity_ when none.
  size_t NextFree(size_t from) const;
  // The first word at or after `word` with a free bit, or used_.size() when none.
  size_t NextNonFullWord(size_t word) const;

  IpPrefix cluster_;  // host bits cleared
  int mask_;          // node subnet prefix length
  size_t capacity_;
  size_t free_;
  std::vector<uint64_t> used_;  // bit per subnet (padding bits past capacity_ are set)
  std::vector<uint64_t> full_;  // bit per word of used_ that has no free bit (padding set)
  absl::flat_hash_map<std::string, uint32_t> by_node_;
  absl::flat_hash_map<uint32_t, int> extra_holders_;  // subnets claimed by more than one node
  size_t next_ = 0;                                   // where the next search starts
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_
