// CidrAllocator: hands out per-node pod CIDRs (spec.podCIDR) carved from one IPv4 cluster CIDR,
// e.g. /24 subnets of 10.42.0.0/16 (256 nodes), like kube-controller-manager's range allocator.
// Subnets already recorded on nodes are marked with Occupy so they are never handed out twice.
// Thread-safety: none; callers serialize access. Ownership: plain value.
// Failure: Create rejects malformed or IPv6 CIDRs and masks not longer than the cluster prefix
// (InvalidArgument); Allocate answers ResourceExhausted when every subnet is taken.
#ifndef SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_
#define SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::controllers {

class CidrAllocator {
 public:
  static absl::StatusOr<CidrAllocator> Create(const std::string& cluster_cidr, int node_mask_size);

  // Records that `node` uses `cidr` (ignored when it is not one of our subnets or is taken).
  void Occupy(const std::string& node, const std::string& cidr);
  // The node's subnet: the one it already holds, else the next free one.
  absl::StatusOr<std::string> Allocate(const std::string& node);
  // Frees the node's subnet (node deleted, or its patch failed).
  void Release(const std::string& node);
  size_t Capacity() const { return used_.size(); }

 private:
  CidrAllocator(uint32_t base, int prefix, int mask) : base_(base), prefix_(prefix), mask_(mask) {}
  std::string Format(size_t index) const;

  uint32_t base_;
  int prefix_;
  int mask_;
  std::vector<bool> used_;
  std::map<std::string, size_t> by_node_;
  size_t next_ = 0;
};

// Parses "a.b.c.d/n" (IPv4); false when malformed.
bool ParseIpv4Cidr(const std::string& text, uint32_t* address, int* prefix);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_NODELIFECYCLE_CIDR_ALLOCATOR_H_
