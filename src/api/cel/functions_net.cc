// Kubernetes' URL, IP and CIDR libraries: url(s)/isURL(s) with getScheme, getHost, getHostname,
// getPort, getEscapedPath, getQuery (Go's url.ParseRequestURI rules: an absolute URI or an
// absolute path); ip(s)/isIP(s)/ip.isCanonical(s) with family, isUnspecified, isLoopback,
// isLinkLocalMulticast, isLinkLocalUnicast, isGlobalUnicast; cidr(s)/isCIDR(s) with containsIP,
// containsCIDR, ip, masked, prefixLength. Values are held as canonical text (Value::Opaque).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/cel/functions.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

constexpr const char* kUrlType = "kubernetes.URL";
constexpr const char* kIpType = "net.IP";
constexpr const char* kCidrType = "net.IPPrefix";

struct UrlParts {
  std::string scheme, host, path, query;
};

std::optional<UrlParts> ParseUrl(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  UrlParts url;
  std::string_view rest = text;
  if (rest.empty()) return std::nullopt;
  if (rest[0] != '/') {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || !absl::ascii_isalpha(static_cast<unsigned char>(rest[0]))) {
      return std::nullopt;
    }
    for (char c : rest.substr(0, colon)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return std::nullopt;
    }
    url.scheme = absl::AsciiStrToLower(std::string(rest.substr(0, colon)));
    rest = rest.substr(colon + 1);
  }
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    url.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (!url.scheme.empty() && rest.substr(0, 2) == "//") {
    rest = rest.substr(2);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
    // The port, if any, must be digits; a bracketed IPv6 host keeps its colons.
    size_t bracket = authority.rfind(']');
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      for (char c : authority.substr(colon + 1)) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      }
    }
    if (authority.find(' ') != std::string_view::npos) return std::nullopt;
    url.host = std::string(authority);
  } else if (rest.empty() || rest[0] != '/') {
    return std::nullopt;  // ParseRequestURI: an absolute URI or an absolute path
  }
  url.path = std::string(rest);
  return url;
}

// Hostname and port of "host:port", "[v6]:port", "host".
std::pair<std::string, std::string> SplitHostPort(const std::string& host) {
  size_t bracket = host.rfind(']');
  size_t colon = host.rfind(':');
  std::string name = host, port;
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  return {name, port};
}

// Go's url.QueryUnescape: %XX and '+' as space.
std::optional<std::string> QueryUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      int value = 0;
      if (i + 2 >= s.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2])) ||
          !absl::SimpleHexAtoi(base::Av(s.substr(i + 1, 2)), &value)) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<Value> Url(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("url", a);
  if (!ParseUrl(a[0].string_value())) return EvalError(absl::StrCat("URL parse error during conversion from string: ", a[0].string_value()));
  return Value::OpaqueOf(kUrlType, a[0].string_value());
}

absl::StatusOr<Value> IsUrl(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("isURL", a);
  return Value::Bool(ParseUrl(a[0].string_value()).has_value());
}

enum class UrlPart { kScheme, kHost, kHostname, kPort, kPath, kQuery };

template <UrlPart P>
absl::StatusOr<Value> UrlGetter(const Args& a, CallContext&) {
  if (!a[0].is(K::kOpaque) || a[0].opaque_value().type != kUrlType) return NoSuchOverload("url getter", a);
  std::optional<UrlParts> url = ParseUrl(a[0].opaque_value().text);
  if (!url) return EvalError("invalid URL");
  switch (P) {
    case UrlPart::kScheme: return Value::String(url->scheme);
    case UrlPart::kHost: return Value::String(url->host);
    case UrlPart::kHostname: return Value::String(SplitHostPort(url->host).first);
    case UrlPart::kPort: return Value::String(SplitHostPort(url->host).second);
    case UrlPart::kPath: return Value::String(url->path);
    case UrlPart::kQuery: {
      std::vector<std::pair<std::string, List>> params;
      size_t start = 0;
      while (start <= url->query.size() && !url->query.empty()) {
        size_t amp = url->query.find('&', start);
        std::string_view pair = std::string_view(url->query).substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        start = amp == std::string::npos ? url->query.size() + 1 : amp + 1;
        if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
        size_t eq = pair.find('=');
        std::optional<std::string> key = QueryUnescape(pair.substr(0, eq));
        std::optional<std::string> value = QueryUnescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!key || !value) continue;
        auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == *key; });
        if (it == params.end()) it = params.insert(params.end(), {*key, List{}});
        it->second.push_back(Value::String(*value));
      }
      Map map;
      for (auto& [key, values] : params) map.Insert(Value::String(key), Value::ListOf(std::move(values)));
      return Value::MapOf(std::move(map));
    }
  }
  return NoSuchOverload("url getter", a);
}

struct Ip {
  int family = 4;
  std::array<uint8_t, 16> bytes{};
  int length() const { return family == 4 ? 4 : 16; }
};

std::optional<Ip> ParseIp(std::string_view text) {
  if (text.find('%') != std::string_view::npos) return std::nullopt;  // zones are not allowed
  std::string s(text);
  Ip ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  ip.family = 6;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMappedPrefix, 12) == 0) return std::nullopt;  // IPv4-mapped IPv6
  return ip;
}

std::string IpText(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.bytes.data(), buf, sizeof(buf));
  return buf;
}

struct Cidr {
  Ip ip;
  int prefix = 0;
};

std::optional<Cidr> ParseCidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<Ip> ip = ParseIp(text.substr(0, slash));
  std::string_view bits = text.substr(slash + 1);
  int prefix = 0;
  if (!ip || bits.empty() || bits.size() > 3 || (bits.size() > 1 && bits[0] == '0') ||
      !absl::SimpleAtoi(base::Av(bits), &prefix) || !absl::ascii_isdigit(static_cast<unsigned char>(bits[0])) ||
      prefix > ip->length() * 8) {
    return std::nullopt;
  }
  return Cidr{*ip, prefix};
}

Ip Masked(const Cidr& c) {
  Ip out = c.ip;
  for (int i = 0; i < out.length(); ++i) {
    int keep = std::clamp(c.prefix - i * 8, 0, 8);
    out.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
  }
  return out;
}

bool Contains(const Cidr& c, const Ip& ip) {
  if (ip.family != c.ip.family) return false;
  Cidr probe{ip, c.prefix};
  return Masked(probe).bytes == Masked(c).bytes;
}

std::optional<Ip> IpArg(const Value& v) {
  if (v.is(K::kString)) return ParseIp(v.string_value());
  if (v.is(K::kOpaque) && v.opaque_value().type == kIpType) return ParseIp(v.opaque_value().text);
  return std::nullopt;
}

std::optional<Cidr> CidrArg(const Value& v) {
  if (v.is(K::kString)) return ParseCidr(v.string_value());
  if (v.is(K::kOpaque) && v.opaque_value().type == kCidrType) return ParseCidr(v.opaque_value().text);
  return std::nullopt;
}

absl::StatusOr<Value> IpFn(const Args& a, CallContext&) {
  if (a[0].is(K::kOpaque) && a[0].opaque_value().type == kCidrType) {  // cidr.ip()
    return Value::OpaqueOf(kIpType, IpText(ParseCidr(a[0].opaque_value().text)->ip));
  }
  if (!a[0].is(K::kString)) return NoSuchOverload("ip", a);
  std::optional<Ip> ip = ParseIp(a[0].string_value());
  if (!ip) return EvalError(absl::StrCat("IP Address \"", a[0].string_value(), "\" parse error during conversion from string"));
  return Value::OpaqueOf(kIpType, IpText(*ip));
}

absl::StatusOr<Value> IsIp(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("isIP", a);
  return Value::Bool(ParseIp(a[0].string_value()).has_value());
}

absl::StatusOr<Value> IpIsCanonical(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("ip.isCanonical", a);
  std::optional<Ip> ip = ParseIp(a[0].string_value());
  if (!ip) return EvalError(absl::StrCat("IP Address \"", a[0].string_value(), "\" parse error during conversion from string"));
  return Value::Bool(IpText(*ip) == a[0].string_value());
}

enum class IpTest { kFamily, kUnspecified, kLoopback, kLinkLocalMulticast, kLinkLocalUnicast, kGlobalUnicast };

template <IpTest T>
absl::StatusOr<Value> IpMethod(const Args& a, CallContext&) {
  if (!a[0].is(K::kOpaque) || a[0].opaque_value().type != kIpType) return NoSuchOverload("ip method", a);
  const Ip ip = *ParseIp(a[0].opaque_value().text);
  const auto& b = ip.bytes;
  const bool v4 = ip.family == 4;
  bool unspecified = std::all_of(b.begin(), b.begin() + ip.length(), [](uint8_t x) { return x == 0; });
  bool loopback = v4 ? b[0] == 127 : (std::all_of(b.begin(), b.begin() + 15, [](uint8_t x) { return x == 0; }) && b[15] == 1);
  bool multicast = v4 ? (b[0] & 0xF0) == 0xE0 : b[0] == 0xFF;
  bool link_local_unicast = v4 ? (b[0] == 169 && b[1] == 254) : (b[0] == 0xFE && (b[1] & 0xC0) == 0x80);
  switch (T) {
    case IpTest::kFamily: return Value::Int(ip.family);
    case IpTest::kUnspecified: return Value::Bool(unspecified);
    case IpTest::kLoopback: return Value::Bool(loopback);
    case IpTest::kLinkLocalMulticast:
      return Value::Bool(v4 ? (b[0] == 224 && b[1] == 0 && b[2] == 0) : (b[0] == 0xFF && (b[1] & 0x0F) == 0x02));
    case IpTest::kLinkLocalUnicast: return Value::Bool(link_local_unicast);
    case IpTest::kGlobalUnicast: {
      bool broadcast = v4 && b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
      return Value::Bool(!unspecified && !loopback && !multicast && !link_local_unicast && !broadcast);
    }
  }
  return NoSuchOverload("ip method", a);
}

absl::StatusOr<Value> CidrFn(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("cidr", a);
  std::optional<Cidr> c = ParseCidr(a[0].string_value());
  if (!c) return EvalError(absl::StrCat("network address parse error during conversion from string: ", a[0].string_value()));
  return Value::OpaqueOf(kCidrType, absl::StrCat(IpText(c->ip), "/", c->prefix));
}

absl::StatusOr<Value> IsCidr(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("isCIDR", a);
  return Value::Bool(ParseCidr(a[0].string_value()).has_value());
}

absl::StatusOr<Value> ContainsIp(const Args& a, CallContext&) {
  std::optional<Cidr> c = CidrArg(a[0]);
  if (!a[0].is(K::kOpaque) || !c) return NoSuchOverload("containsIP", a);
  std::optional<Ip> ip = IpArg(a[1]);
  if (!ip) return a[1].is(K::kString) ? EvalError("IP Address parse error") : NoSuchOverload("containsIP", a);
  return Value::Bool(Contains(*c, *ip));
}

absl::StatusOr<Value> ContainsCidr(const Args& a, CallContext&) {
  std::optional<Cidr> c = CidrArg(a[0]);
  if (!a[0].is(K::kOpaque) || !c) return NoSuchOverload("containsCIDR", a);
  std::optional<Cidr> other = CidrArg(a[1]);
  if (!other) return a[1].is(K::kString) ? EvalError("network address parse error") : NoSuchOverload("containsCIDR", a);
  return Value::Bool(other->prefix >= c->prefix && Contains(*c, other->ip));
}

absl::StatusOr<Value> CidrMasked(const Args& a, CallContext&) {
  std::optional<Cidr> c = CidrArg(a[0]);
  if (!a[0].is(K::kOpaque) || !c) return NoSuchOverload("masked", a);
  return Value::OpaqueOf(kCidrType, absl::StrCat(IpText(Masked(*c)), "/", c->prefix));
}

absl::StatusOr<Value> CidrPrefixLength(const Args& a, CallContext&) {
  std::optional<Cidr> c = CidrArg(a[0]);
  if (!a[0].is(K::kOpaque) || !c) return NoSuchOverload("prefixLength", a);
  return Value::Int(c->prefix);
}

}  // namespace

void RegisterNetFunctions(FunctionRegistry& r) {
  r.Add({"url", false, 1, 1, Url});
  r.Add({"isURL", false, 1, 1, IsUrl});
  r.Add({"getScheme", true, 0, 0, UrlGetter<UrlPart::kScheme>});
  r.Add({"getHost", true, 0, 0, UrlGetter<UrlPart::kHost>});
  r.Add({"getHostname", true, 0, 0, UrlGetter<UrlPart::kHostname>});
  r.Add({"getPort", true, 0, 0, UrlGetter<UrlPart::kPort>});
  r.Add({"getEscapedPath", true, 0, 0, UrlGetter<UrlPart::kPath>});
  r.Add({"getQuery", true, 0, 0, UrlGetter<UrlPart::kQuery>});
  r.Add({"ip", false, 1, 1, IpFn});
  r.Add({"ip", true, 0, 0, IpFn});
  r.Add({"isIP", false, 1, 1, IsIp});
  r.Add({"ip.isCanonical", false, 1, 1, IpIsCanonical});
  r.Add({"family", true, 0, 0, IpMethod<IpTest::kFamily>});
  r.Add({"isUnspecified", true, 0, 0, IpMethod<IpTest::kUnspecified>});
  r.Add({"isLoopback", true, 0, 0, IpMethod<IpTest::kLoopback>});
  r.Add({"isLinkLocalMulticast", true, 0, 0, IpMethod<IpTest::kLinkLocalMulticast>});
  r.Add({"isLinkLocalUnicast", true, 0, 0, IpMethod<IpTest::kLinkLocalUnicast>});
  r.Add({"isGlobalUnicast", true, 0, 0, IpMethod<IpTest::kGlobalUnicast>});
  r.Add({"cidr", false, 1, 1, CidrFn});
  r.Add({"isCIDR", false, 1, 1, IsCidr});
  r.Add({"containsIP", true, 1, 1, ContainsIp});
  r.Add({"containsCIDR", true, 1, 1, ContainsCidr});
  r.Add({"masked", true, 0, 0, CidrMasked});
  r.Add({"prefixLength", true, 0, 0, CidrPrefixLength});
}

}  // namespace skiff::api::cel
