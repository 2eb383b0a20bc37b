#include "agent/podspec/dns.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/object_meta.h"
#include "base/file.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

namespace {

constexpr size_t kMaxNameservers = 3;
constexpr size_t kMaxSearchPaths = 32;
constexpr size_t kMaxSearchChars = 2048;

std::string_view OptionName(std::string_view option) { return option.substr(0, option.find(':')); }

// Adds options, a later option replacing an earlier one of the same name in place.
void MergeOption(std::vector<std::string>& options, std::string option) {
  for (std::string& existing : options) {
    if (OptionName(existing) == OptionName(option)) {
      existing = std::move(option);
      return;
    }
  }
  options.push_back(std::move(option));
}

std::vector<std::string> OmitDuplicates(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& s : in) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

std::vector<std::string> StringArray(const boost::json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

void FitLimits(DnsSettings& dns) {
  if (dns.servers.size() > kMaxNameservers) dns.servers.resize(kMaxNameservers);
  if (dns.searches.size() > kMaxSearchPaths) dns.searches.resize(kMaxSearchPaths);
  // Drop trailing domains until the list fits the resolver's character limit.
  while (!dns.searches.empty()) {
    size_t chars = dns.searches.size() - 1;
    for (const auto& s : dns.searches) chars += s.size();
    if (chars <= kMaxSearchChars) break;
    dns.searches.pop_back();
  }
}

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

}  // namespace

DnsSettings ParseResolvConf(std::string_view text) {
  DnsSettings dns;
  for (absl::string_view line : absl::StrSplit(base::Av(text), '\n')) {
    size_t comment = line.find_first_of("#;");
    if (comment != absl::string_view::npos) line = line.substr(0, comment);
    std::vector<std::string> fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields[0] == "nameserver" && fields.size() > 1) {
      dns.servers.push_back(fields[1]);
    } else if (fields[0] == "search") {
      dns.searches.clear();
      for (size_t i = 1; i < fields.size(); ++i) {
        if (fields[i] == ".") continue;
        std::string domain = fields[i];
        if (domain.ends_with('.')) domain.pop_back();
        dns.searches.push_back(domain);
      }
    } else if (fields[0] == "options") {
      for (size_t i = 1; i < fields.size(); ++i) MergeOption(dns.options, fields[i]);
    }
  }
  return dns;
}

DnsSettings ReadResolvConf(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFile(path);
  if (!text.ok()) return {};
  return ParseResolvConf(*text);
}

DnsSettings PodDnsConfig(const boost::json::value& pod, const DnsOptions& options) {
  enum class Kind { kNone, kCluster, kHost } kind = Kind::kCluster;
  std::string policy = base::GetString(pod, {"spec", "dnsPolicy"}, "ClusterFirst");
  bool host_network = base::GetBool(pod, {"spec", "hostNetwork"});
  if (policy == "None") {
    kind = Kind::kNone;
  } else if (policy == "ClusterFirstWithHostNet") {
    kind = Kind::kCluster;
  } else if (policy == "Default" || (policy == "ClusterFirst" && host_network)) {
    kind = Kind::kHost;
  }
  if (kind == Kind::kCluster && options.cluster_dns.empty()) kind = Kind::kHost;  // kubelet's fallback

  DnsSettings dns;
  switch (kind) {
    case Kind::kNone:
      break;
    case Kind::kCluster: {
      dns.servers = options.cluster_dns;
      dns.searches = options.host.searches;
      if (!options.cluster_domain.empty()) {
        std::string ns = api::Namespace(pod);
        std::vector<std::string> searches = {absl::StrCat(ns, ".svc.", options.cluster_domain),
                                             absl::StrCat("svc.", options.cluster_domain),
                                             options.cluster_domain};
        searches.insert(searches.end(), options.host.searches.begin(), options.host.searches.end());
        dns.searches = OmitDuplicates(searches);
      }
      dns.options = {"ndots:5"};
      break;
    }
    case Kind::kHost:
      dns = options.host;
      break;
  }

  if (const boost::json::value* config = base::FindPath(pod, {"spec", "dnsConfig"});
      config != nullptr && config->is_object()) {
    std::vector<std::string> servers = dns.servers;
    for (auto& s : StringArray(base::Find(*config, "nameservers"))) servers.push_back(std::move(s));
    dns.servers = OmitDuplicates(servers);
    std::vector<std::string> searches = dns.searches;
    for (auto& s : StringArray(base::Find(*config, "searches"))) searches.push_back(std::move(s));
    dns.searches = OmitDuplicates(searches);
    if (const boost::json::value* opts = base::Find(*config, "options");
        opts != nullptr && opts->is_array()) {
      for (const auto& opt : opts->as_array()) {
        std::string name = base::GetString(opt, {"name"});
        std::string value = base::GetString(opt, {"value"});
        MergeOption(dns.options, value.empty() ? name : absl::StrCat(name, ":", value));
      }
    }
  }
  FitLimits(dns);
  return dns;
}

absl::StatusOr<PodHostname> PodHostnameAndDomain(const boost::json::value& pod,
                                                 std::string_view cluster_domain) {
  PodHostname result;
  result.hostname = api::Name(pod);
  std::string spec_hostname = base::GetString(pod, {"spec", "hostname"});
  if (!spec_hostname.empty()) {
    if (!IsDns1123Label(spec_hostname)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pod Hostname \"", spec_hostname,
          "\" is not a valid DNS label: a lowercase RFC 1123 label must consist of lower case "
          "alphanumeric characters or '-', and must start and end with an alphanumeric character"));
    }
    result.hostname = spec_hostname;
  }
  if (result.hostname.size() > 63) {
    // The kubelet truncates long pod names and trims a trailing '-' or '.'.
    result.hostname.resize(63);
    while (!result.hostname.empty() && (result.hostname.back() == '-' || result.hostname.back() == '.')) {
      result.hostname.pop_back();
    }
  }
  std::string subdomain = base::GetString(pod, {"spec", "subdomain"});
  if (!subdomain.empty()) {
    result.domain = absl::StrCat(subdomain, ".", api::Namespace(pod), ".svc.", base::Av(cluster_domain));
  }
  return result;
}

absl::StatusOr<std::string> PodKernelHostname(const boost::json::value& pod,
                                              std::string_view cluster_domain) {
  auto names = PodHostnameAndDomain(pod, cluster_domain);
  if (!names.ok()) return names.status();
  if (!base::GetBool(pod, {"spec", "setHostnameAsFQDN"}) || names->domain.empty()) return names->hostname;
  std::string fqdn = absl::StrCat(names->hostname, ".", names->domain);
  if (fqdn.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to construct FQDN from pod hostname and cluster domain, FQDN ", fqdn,
                     " is too long (64 characters is the max, ", fqdn.size(), " characters requested)"));
  }
  return fqdn;
}

}  // namespace skiff::agent::podspec
