#include "agent/dns/records.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::dns {
namespace {

namespace json = boost::json;

constexpr int kMaxCnameDepth = 8;
constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

// Parses a textual IPv4/IPv6 address into network-order bytes ("" when invalid).
std::string AddressBytes(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  return "";
}

std::string AddressText(const std::string& bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

// CoreDNS's name for an endpoint without a hostname: the address with '.' or ':' as '-'.
std::string DashedAddress(const std::string& bytes) {
  std::string text = AddressText(bytes);
  std::replace(text.begin(), text.end(), bytes.size() == 4 ? '.' : ':', '-');
  return text;
}

// A DNS-safe lower-case name from user text (trailing dot removed); "" when unusable.
std::string CleanName(std::string text) {
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text.empty() || text.size() > 253) return "";
  for (char c : text) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return "";
  }
  for (absl::string_view label : absl::StrSplit(text, '.')) {
    if (label.empty() || label.size() > 63) return "";
  }
  return absl::AsciiStrToLower(text);
}

bool IsLabel(const std::string& s) { return !CleanName(s).empty() && s.find('.') == std::string::npos; }

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found && found->is_array() ? &found->as_array() : nullptr;
}

Rr AddressRr(const std::string& name, const std::string& bytes, uint32_t ttl) {
  Rr rr;
  rr.name = name;
  rr.type = bytes.size() == 4 ? kTypeA : kTypeAaaa;
  rr.ttl = ttl;
  rr.address = bytes;
  return rr;
}

Rr NameRr(const std::string& name, uint16_t type, const std::string& target, uint32_t ttl) {
  Rr rr;
  rr.name = name;
  rr.type = type;
  rr.ttl = ttl;
  rr.target = target;
  return rr;
}

struct SrvTarget {
  std::string target;
  uint16_t port;
  bool operator<(const SrvTarget& o) const { return std::tie(target, port) < std::tie(o.target, o.port); }
};

}  // namespace

std::string ReverseName(const std::string& address_bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(address_bytes.data());
  if (address_bytes.size() == 4) return absl::StrCat(b[3], ".", b[2], ".", b[1], ".", b[0], ".in-addr.arpa");
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = static_cast<int>(address_bytes.size()) - 1; i >= 0; --i) {
    out.push_back(kHex[b[i] & 0xf]);
    out.push_back('.');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back('.');
  }
  return out + "ip6.arpa";
}

RecordTable::RecordTable(Config config, const std::vector<client::Object>& services,
                         const std::vector<client::Object>& slices)
    : config_(std::move(config)) {
  config_.domain = absl::AsciiStrToLower(config_.domain);
  while (!config_.domain.empty() && config_.domain.back() == '.') config_.domain.pop_back();
  suffix_ = "." + config_.domain;
  const std::string& d = config_.domain;
  names_[d];
  Add(Soa(d));
  Add(NameRr(d, kTypeNs, "ns.dns." + d, config_.ttl));
  for (const std::string& ip : config_.nameserver_ips) {
    std::string bytes = AddressBytes(ip);
    if (!bytes.empty() && bytes != std::string(bytes.size(), '\0'))
      Add(AddressRr("ns.dns." + d, bytes, config_.ttl));
  }
  Rr version = NameRr("dns-version." + d, kTypeTxt, "1.1.0", config_.ttl);  // the spec's schema version
  Add(version);

  // slices by "<ns>/<service name>"
  std::map<std::string, std::vector<const json::value*>> by_service;
  for (const auto& slice : slices) {
    if (!slice || !slice->is_object()) continue;
    std::string svc = api::Label(*slice, kServiceNameLabel);
    if (svc.empty()) continue;
    by_service[absl::StrCat(api::Namespace(*slice), "/", svc)].push_back(slice.get());
  }
  static const std::vector<const json::value*> kNone;
  for (const auto& svc : services) {
    if (!svc || !svc->is_object()) continue;
    std::string key = absl::StrCat(api::Namespace(*svc), "/", api::Name(*svc));
    auto it = by_service.find(key);
    AddService(*svc, it == by_service.end() ? kNone : it->second);
  }
}

void RecordTable::Add(Rr rr) {
  if (rr.name.empty()) return;
  AddEmptyNonTerminals(rr.name);
  auto& rrs = names_[rr.name];
  for (const Rr& existing : rrs) {  // sets, not lists: drop exact duplicates
    if (existing.type == rr.type && existing.address == rr.address && existing.target == rr.target &&
        existing.port == rr.port) {
      return;
    }
  }
  rrs.push_back(std::move(rr));
}

void RecordTable::AddEmptyNonTerminals(const std::string& name) {
  if (!absl::EndsWith(name, suffix_)) return;  // reverse names: only exact names are ours
  for (size_t pos = name.find('.'); pos != std::string::npos && pos + 1 < name.size() - config_.domain.size();
       pos = name.find('.', pos + 1)) {
    names_.try_emplace(name.substr(pos + 1));
  }
}

void RecordTable::AddService(const json::value& svc, const std::vector<const json::value*>& slices) {
  const uint32_t ttl = config_.ttl;
  std::string ns = api::Namespace(svc);
  std::string name = api::Name(svc);
  if (!IsLabel(ns) || !IsLabel(name)) return;
  const std::string fqdn =
      absl::StrCat(absl::AsciiStrToLower(name), ".", absl::AsciiStrToLower(ns), ".svc.", config_.domain);
  std::string type = base::GetString(svc, {"spec", "type"}, "ClusterIP");
  if (type == "ExternalName") {
    std::string target = CleanName(base::GetString(svc, {"spec", "externalName"}));
    if (!target.empty()) Add(NameRr(fqdn, kTypeCname, target, ttl));
    return;
  }
  std::vector<std::string> ips;
  if (const json::array* list = ArrayAt(svc, {"spec", "clusterIPs"})) {
    for (const auto& ip : *list) {
      if (ip.is_string()) ips.emplace_back(ip.as_string());
    }
  }
  std::string cluster_ip = base::GetString(svc, {"spec", "clusterIP"});
  if (ips.empty() && !cluster_ip.empty()) ips.push_back(cluster_ip);
  bool headless = cluster_ip == "None" || (!ips.empty() && ips.front() == "None");

  if (!headless) {
    bool any = false;
    for (const std::string& ip : ips) {
      std::string bytes = AddressBytes(ip);
      if (bytes.empty()) continue;
      any = true;
      Add(AddressRr(fqdn, bytes, ttl));
      Add(NameRr(ReverseName(bytes), kTypePtr, fqdn, ttl));
    }
    if (!any) return;  // no usable address yet: the service has no DNS name
    if (const json::array* ports = ArrayAt(svc, {"spec", "ports"})) {
      for (const auto& port : *ports) {
        std::string port_name = base::GetString(port, {"name"});
        if (!IsLabel(port_name)) continue;
        std::string proto = absl::AsciiStrToLower(base::GetString(port, {"protocol"}, "TCP"));
        Rr srv = NameRr(absl::StrCat("_", absl::AsciiStrToLower(port_name), "._", proto, ".", fqdn), kTypeSrv,
                        fqdn, ttl);
        srv.weight = 100;
        srv.port = static_cast<uint16_t>(base::GetInt(port, {"port"}));
        Add(std::move(srv));
      }
    }
    return;
  }

  // Headless: the endpoints themselves.
  bool publish_not_ready = base::GetBool(svc, {"spec", "publishNotReadyAddresses"});
  names_.try_emplace(fqdn);  // the service name exists even without ready endpoints
  AddEmptyNonTerminals(fqdn);
  std::map<std::string, std::set<SrvTarget>> srv;  // SRV owner -> targets
  for (const json::value* slice : slices) {
    std::string address_type = base::GetString(*slice, {"addressType"});
    if (address_type != "IPv4" && address_type != "IPv6") continue;  // FQDN slices have no records
    std::vector<std::pair<std::string, uint16_t>> named_ports;       // SRV owner prefix, port
    if (const json::array* ports = ArrayAt(*slice, {"ports"})) {
      for (const auto& port : *ports) {
        std::string port_name = base::GetString(port, {"name"});
        if (!IsLabel(port_name)) continue;
        std::string proto = absl::AsciiStrToLower(base::GetString(port, {"protocol"}, "TCP"));
        named_ports.emplace_back(absl::StrCat("_", absl::AsciiStrToLower(port_name), "._", proto, "."),
                                 static_cast<uint16_t>(base::GetInt(port, {"port"})));
      }
    }
    const json::array* endpoints = ArrayAt(*slice, {"endpoints"});
    if (!endpoints) continue;
    for (const auto& ep : *endpoints) {
      const json::value* ready = base::FindPath(ep, {"conditions", "ready"});
      bool is_ready = !ready || !ready->is_bool() || ready->as_bool();  // unset counts as ready
      if (!is_ready && !publish_not_ready) continue;
      std::string hostname = base::GetString(ep, {"hostname"});
      if (!hostname.empty() && !IsLabel(hostname)) hostname.clear();
      const json::array* addresses = ArrayAt(ep, {"addresses"});
      if (!addresses) continue;
      for (const auto& address : *addresses) {
        if (!address.is_string()) continue;
        std::string bytes = AddressBytes(std::string(address.as_string()));
        if (bytes.empty() || (bytes.size() == 4) != (address_type == "IPv4")) continue;
        std::string ep_name = absl::StrCat(
            hostname.empty() ? DashedAddress(bytes) : absl::AsciiStrToLower(hostname), ".", fqdn);
        Add(AddressRr(fqdn, bytes, ttl));
        Add(AddressRr(ep_name, bytes, ttl));
        Add(NameRr(ReverseName(bytes), kTypePtr, ep_name, ttl));
        for (const auto& [prefix, port] : named_ports) srv[prefix + fqdn].insert({ep_name, port});
      }
    }
  }
  for (const auto& [owner, targets] : srv) {
    for (const SrvTarget& t : targets) {
      Rr rr = NameRr(owner, kTypeSrv, t.target, ttl);
      rr.port = t.port;
      rr.weight = static_cast<uint16_t>(std::max<size_t>(1, 100 / targets.size()));
      Add(std::move(rr));
    }
  }
}

Rr RecordTable::Soa(const std::string& zone) const {
  Rr soa = NameRr(zone, kTypeSoa, "ns.dns." + zone, config_.ttl);
  soa.mbox = "hostmaster." + zone;
  soa.serial = config_.serial;
  return soa;
}

bool RecordTable::InZone(const std::string& name) const {
  return name == config_.domain || absl::EndsWith(name, suffix_);
}

Answer RecordTable::Lookup(const std::string& name, bool odd_name, uint16_t qtype) const {
  Answer out;
  if (InZone(name)) {
    if (odd_name) {
      out.rcode = 3;
      out.authority.push_back(Soa(config_.domain));
      return out;
    }
    LookupInto(name, qtype, 0, &out);
    return out;
  }
  bool reverse4 = name == "in-addr.arpa" || absl::EndsWith(name, ".in-addr.arpa");
  bool reverse6 = name == "ip6.arpa" || absl::EndsWith(name, ".ip6.arpa");
  auto it = odd_name ? names_.end() : names_.find(name);
  if ((!reverse4 && !reverse6) || it == names_.end()) {
    out.action = Answer::Action::kForward;  // CoreDNS's "fallthrough in-addr.arpa ip6.arpa"
    return out;
  }
  for (const Rr& rr : it->second) {
    if (rr.type == qtype || qtype == kTypeAny) out.answer.push_back(rr);
  }
  if (out.answer.empty()) out.authority.push_back(Soa(reverse4 ? "in-addr.arpa" : "ip6.arpa"));
  return out;
}

void RecordTable::LookupInto(const std::string& name, uint16_t qtype, int depth, Answer* out) const {
  auto it = names_.find(name);
  if (it == names_.end()) {
    if (SynthesizePod(name, qtype, out)) return;
    out->rcode = 3;
    out->authority.push_back(Soa(config_.domain));
    return;
  }
  const std::vector<Rr>& rrs = it->second;
  size_t before = out->answer.size();
  for (const Rr& rr : rrs) {
    if (rr.type == qtype || qtype == kTypeAny) {
      out->answer.push_back(rr);
      AddAdditional(rr, out);
    }
  }
  if (out->answer.size() == before && qtype != kTypeCname) {
    for (const Rr& rr : rrs) {
      if (rr.type != kTypeCname) continue;
      out->answer.push_back(rr);
      if (InZone(rr.target)) {
        if (depth < kMaxCnameDepth) LookupInto(rr.target, qtype, depth + 1, out);
      } else {
        out->chase = rr.target;
      }
      return;
    }
  }
  if (out->answer.size() == before) out->authority.push_back(Soa(config_.domain));
}

void RecordTable::AddAdditional(const Rr& rr, Answer* out) const {
  if (rr.type != kTypeSrv && rr.type != kTypeNs) return;
  auto it = names_.find(rr.target);
  if (it == names_.end()) return;
  for (const Rr& target : it->second) {
    if (target.type == kTypeA || target.type == kTypeAaaa) out->additional.push_back(target);
  }
}

bool RecordTable::SynthesizePod(const std::string& name, uint16_t qtype, Answer* out) const {
  // <dashed ip>.<namespace>.pod.<domain>, or the empty non-terminals pod.<domain>, <ns>.pod.<domain>.
  absl::string_view rest(name);
  rest.remove_suffix(suffix_.size());
  if (rest == "pod") {
    out->authority.push_back(Soa(config_.domain));
    return true;
  }
  if (!absl::EndsWith(rest, ".pod")) return false;
  rest.remove_suffix(4);
  std::vector<absl::string_view> labels = absl::StrSplit(rest, '.');
  if (labels.size() == 1) {
    out->authority.push_back(Soa(config_.domain));
    return true;
  }
  if (labels.size() != 2) return false;
  std::string ip(labels[0]);
  bool v4 = std::count(ip.begin(), ip.end(), '-') == 3;
  std::replace(ip.begin(), ip.end(), '-', v4 ? '.' : ':');
  std::string bytes = AddressBytes(ip);
  if (bytes.empty() || (bytes.size() == 4) != v4) return false;
  Rr rr = AddressRr(name, bytes, config_.ttl);
  if (rr.type == qtype || qtype == kTypeAny) {
    out->answer.push_back(std::move(rr));
  } else {
    out->authority.push_back(Soa(config_.domain));
  }
  return true;
}

}  // namespace skiff::agent::dns
