#include "agent/proxy/activation_table.h"

#include <algorithm>

namespace skiff::agent::proxy {

void ActivationTable::Set(const std::string& key, std::optional<ActivationEntry> entry) {
  {
    std::lock_guard lock(mu_);
    if (entry) {
      entries_[key] = std::move(*entry);
    } else {
      entries_.erase(key);
    }
  }
  cv_.notify_all();
}

void ActivationTable::Clear() {
  {
    std::lock_guard lock(mu_);
    entries_.clear();
  }
  cv_.notify_all();
}

void ActivationTable::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::optional<ActivationTable::Match> ActivationTable::Resolve(const std::string& ip, int port) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, entry] : entries_) {
    if (std::find(entry.ips.begin(), entry.ips.end(), ip) == entry.ips.end()) continue;
    for (const ActivationEntry::Port& p : entry.ports) {
      if (p.port == port) return Match{key, p.name, entry.ns, entry.target};
    }
  }
  for (const auto& [key, entry] : entries_) {
    for (const ActivationEntry::Port& p : entry.ports) {
      if (p.node_port == port) return Match{key, p.name, entry.ns, entry.target};
    }
  }
  return std::nullopt;
}

std::optional<Backend> ActivationTable::ActivationAddress(const std::string& key, const std::string& port_name,
                                                         int port_number) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.ips.empty()) return std::nullopt;
  for (const ActivationEntry::Port& p : it->second.ports) {
    if (port_name.empty() ? p.port == port_number : p.name == port_name) return Backend{it->second.ips.front(), p.port};
  }
  return std::nullopt;
}

const ActivationEntry::Port* ActivationTable::FindPort(const std::string& key,
                                                       const std::string& port_name) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  for (const ActivationEntry::Port& p : it->second.ports) {
    if (p.name == port_name) return &p;
  }
  return nullptr;
}

std::vector<Backend> ActivationTable::WaitForBackends(const std::string& key, const std::string& port_name,
                                                      absl::Time deadline) {
  std::unique_lock lock(mu_);
  while (true) {
    const ActivationEntry::Port* port = FindPort(key, port_name);
    if (closed_ || port == nullptr) return {};
    if (!port->backends.empty()) return port->backends;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return {};
    cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
}

}  // namespace skiff::agent::proxy
