#include "api/network_policy_rules.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/ip_address.h"
#include "api/service_rules.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

constexpr char kPortRange[] = "must be between 1 and 65535, inclusive";
constexpr char kCidrExample[] = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

class PolicyValidator {
 public:
  std::vector<FieldError> errors;

  void Spec(const json::value& spec) {
    for (const char* direction : {"ingress", "egress"}) {
      const json::array* rules = Array(spec, direction);
      if (rules == nullptr) continue;
      const char* peers = std::string_view(direction) == "ingress" ? "from" : "to";
      for (size_t i = 0; i < rules->size(); ++i) {
        std::string at = absl::StrCat("spec.", direction, "[", i, "]");
        if (const json::array* ports = Array((*rules)[i], "ports")) {
          for (size_t j = 0; j < ports->size(); ++j) Port((*ports)[j], absl::StrCat(at, ".ports[", j, "]"));
        }
        if (const json::array* list = Array((*rules)[i], peers)) {
          for (size_t j = 0; j < list->size(); ++j)
            Peer((*list)[j], absl::StrCat(at, ".", peers, "[", j, "]"));
        }
      }
    }
    PolicyTypes(spec);
  }

 private:
  static const json::array* Array(const json::value& v, std::string_view key) {
    const json::value* a = base::Find(v, key);
    return a != nullptr && a->is_array() ? &a->get_array() : nullptr;
  }

  static bool Present(const json::value& v, std::string_view key) {
    const json::value* f = base::Find(v, key);
    return f != nullptr && !f->is_null();
  }

  void Add(std::string_view type, std::string field, json::value bad, std::string detail) {
    errors.push_back({std::string(type), std::move(field), std::move(bad), std::move(detail)});
  }

  void PortNumber(const std::string& field, int64_t n) {
    if (n < 1 || n > 65535) Add(kFieldValueInvalid, field, n, kPortRange);
  }

  void Port(const json::value& port, const std::string& at) {
    if (!port.is_object()) return;
    const json::value* number = base::Find(port, "port");
    const json::value* end = base::Find(port, "endPort");
    bool has_end = end != nullptr && end->is_int64();
    if (number != nullptr && number->is_int64()) {
      PortNumber(at + ".port", number->get_int64());
      if (has_end) {
        if (end->get_int64() < number->get_int64()) {
          Add(kFieldValueInvalid, at + ".endPort", *end, "must be greater than or equal to `port`");
        }
        PortNumber(at + ".endPort", end->get_int64());
      }
    } else if (number != nullptr && number->is_string()) {
      if (has_end)
        Add(kFieldValueInvalid, at + ".endPort", *end, "may not be specified when `port` is non-numeric");
      std::string name(number->get_string());
      for (std::string& msg : IsIanaServiceName(name))
        Add(kFieldValueInvalid, at + ".port", json::string(name), msg);
    } else if (has_end) {
      Add(kFieldValueInvalid, at + ".endPort", *end, "may not be specified when `port` is not specified");
    }
  }

  // Label selectors are checked by the schema pass; here only which peers are set.
  void Peer(const json::value& peer, const std::string& at) {
    if (!peer.is_object()) return;
    int set = 0;
    for (const char* selector : {"podSelector", "namespaceSelector"}) set += Present(peer, selector) ? 1 : 0;
    bool has_block = Present(peer, "ipBlock");
    if (has_block) {
      ++set;
      IpBlock(*base::Find(peer, "ipBlock"), at + ".ipBlock");
    }
    if (set == 0) {
      Add(kFieldValueRequired, at, nullptr, "must specify a peer");
    } else if (set > 1 && has_block) {
      Add(kFieldValueForbidden, at, nullptr, "may not specify both ipBlock and another peer");
    }
  }

  void IpBlock(const json::value& block, const std::string& at) {
    if (!block.is_object()) return;
    std::string cidr_text = base::GetString(block, {"cidr"});
    if (cidr_text.empty()) return Add(kFieldValueRequired, at + ".cidr", nullptr, "");
    std::optional<IpPrefix> cidr = ParseCidrSloppy(cidr_text);
    if (!cidr) return Add(kFieldValueInvalid, at + ".cidr", json::string(cidr_text), kCidrExample);
    const json::array* except = Array(block, "except");
    for (size_t i = 0; except != nullptr && i < except->size(); ++i) {
      if (!(*except)[i].is_string()) continue;
      std::string text((*except)[i].get_string());
      std::string field = absl::StrCat(at, ".except[", i, "]");
      std::optional<IpPrefix> inner = ParseCidrSloppy(text);
      if (!inner) {
        Add(kFieldValueInvalid, field, json::string(text), kCidrExample);
      } else if (!cidr->Contains(inner->network) || cidr->bits >= inner->bits) {
        Add(kFieldValueInvalid, field, json::string(text), "must be a strict subset of `cidr`");
      }
    }
  }

  void PolicyTypes(const json::value& spec) {
    const json::array* types = Array(spec, "policyTypes");
    if (types == nullptr) return;
    if (types->size() > 2) {
      // Go prints the slice with %#v.
      std::string shown = "[]networking.PolicyType{";
      for (size_t i = 0; i < types->size(); ++i)
        absl::StrAppend(&shown, i ? ", " : "", json::serialize((*types)[i]));
      FieldError e{std::string(kFieldValueInvalid), "spec.policyTypes", *types,
                   "may not specify more than two policyTypes"};
      e.go_value = shown + "}";
      errors.push_back(std::move(e));
      return;
    }
    for (size_t i = 0; i < types->size(); ++i) {
      const json::value& t = (*types)[i];
      if (t.is_string() && (t.get_string() == "Ingress" || t.get_string() == "Egress")) continue;
      Add(kFieldValueNotSupported, absl::StrCat("spec.policyTypes[", i, "]"), t,
          "supported values: \"Ingress\", \"Egress\"");
    }
  }
};

}  // namespace

std::vector<FieldError> ValidateNetworkPolicyRules(const json::value& policy) {
  PolicyValidator v;
  if (const json::value* spec = base::Find(policy, "spec"); spec != nullptr && spec->is_object())
    v.Spec(*spec);
  return std::move(v.errors);
}

}  // namespace skiff::api
