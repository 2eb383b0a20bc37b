// The string formats kube-apiserver validates in CRD schemas (apiextensions' supported formats,
// checked as kube-openapi's strfmt registry checks them) and the format stripping kube applies
// per type before validating.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <unordered_map>
#include <set>
#include <string>
#include <vector>

#include "api/structural/internal.h"
#include "re2/re2.h"

namespace skiff::api::structural::internal {
namespace {

bool Match(std::string_view value, const char* pattern) {
  // Patterns are the literals below; each thread compiles each once (no lock on this hot path).
  thread_local std::unordered_map<const char*, std::unique_ptr<re2::RE2>> cache;
  std::unique_ptr<re2::RE2>& re = cache[pattern];
  if (!re) re = std::make_unique<re2::RE2>(pattern);
  return re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re);
}

bool IsIPv4(std::string_view s) {
  // Go's ParseIPSloppy: four decimal octets (leading zeros allowed), or an IPv6 form holding one.
  if (s.find(':') != s.npos) {
    std::string str(s);
    in6_addr a6;
    return inet_pton(AF_INET6, str.c_str(), &a6) == 1 && s.find('.') != s.npos;
  }
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == s.npos) j = s.size();
    std::string_view part = s.substr(i, j - i);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), ::isdigit)) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    i = j + 1;
    if (j == s.size()) break;
  }
  return parts == 4;
}

bool IsIP(std::string_view s) {
  if (IsIPv4(s)) return true;
  std::string str(s);
  in6_addr a6;
  return inet_pton(AF_INET6, str.c_str(), &a6) == 1;
}

bool IsCidr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == s.npos) return false;
  std::string_view addr = s.substr(0, slash), bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) return false;
  int n = std::stoi(std::string(bits));
  if (IsIPv4(addr) && addr.find(':') == addr.npos) return n <= 32;
  std::string str(addr);
  in6_addr a6;
  return inet_pton(AF_INET6, str.c_str(), &a6) == 1 && n <= 128;
}

bool IsDate(std::string_view s) {
  if (!Match(s, R"(\d{4}-\d{2}-\d{2})")) return false;
  int y = std::stoi(std::string(s.substr(0, 4)));
  int m = std::stoi(std::string(s.substr(5, 2)));
  int d = std::stoi(std::string(s.substr(8, 2)));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool IsDateTime(std::string_view s) {
  if (s.size() < 11 || !IsDate(s.substr(0, 10))) return false;
  return Match(s.substr(10), R"([Tt ]([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?)");
}

bool IsIsbn10(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c != ' ' && c != '-') d.push_back(c);
  }
  if (!Match(d, R"(\d{9}[\dX])")) return false;
  int sum = 0;
  for (int i = 0; i < 10; ++i) sum += (10 - i) * (d[i] == 'X' ? 10 : d[i] - '0');
  return sum % 11 == 0;
}

bool IsIsbn13(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c != ' ' && c != '-') d.push_back(c);
  }
  if (!Match(d, R"(\d{13})")) return false;
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (i % 2 ? 3 : 1) * (d[i] - '0');
  return (10 - sum % 10) % 10 == d[12] - '0';
}

bool IsCreditCard(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  if (!Match(d, R"((?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})")) {
    return false;
  }
  int sum = 0;
  bool dbl = false;
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    int x = *it - '0';
    if (dbl) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

// strfmt's hostname pattern, written out (as a regex, its \p{L}{0,62} repetitions exceed RE2's
// DFA budget):
//   ^( A(-?A{0,62})? | (A([A-]{0,61}A)?\.)+ L{2,63} )$
// where A is a letter, digit or symbol and L a letter; non-ASCII characters count as letters.
// Labels are at most 63 bytes and the name 255.
struct Rune {
  bool a = false, l = false, hyphen = false, dot = false;
};

std::vector<Rune> Runes(std::string_view s) {
  std::vector<Rune> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    Rune r;
    if (c >= 0x80) {
      r.a = r.l = true;
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    } else {
      r.l = std::isalpha(c) != 0;
      r.a = std::isalnum(c) != 0 || std::string_view("$+<=>^`|~").find(static_cast<char>(c)) != std::string_view::npos;
      r.hyphen = c == '-';
      r.dot = c == '.';
      ++i;
    }
    out.push_back(r);
  }
  return out;
}

bool HostnameShape(const std::vector<Rune>& r) {
  if (r.empty() || !r[0].a) return false;
  // One label: A, optional '-', then up to 62 A.
  size_t i = 1;
  if (i < r.size() && r[i].hyphen) ++i;
  size_t rest = r.size() - i;
  bool single = rest <= 62;
  for (size_t j = i; j < r.size() && single; ++j) single = r[j].a;
  if (single) return true;
  // Dotted: labels of A([A-]{0,61}A)? each followed by '.', then 2..63 letters.
  size_t last_dot = r.size();
  for (size_t j = r.size(); j-- > 0;) {
    if (r[j].dot) {
      last_dot = j;
      break;
    }
  }
  if (last_dot == r.size()) return false;
  size_t tld = r.size() - last_dot - 1;
  if (tld < 2 || tld > 63) return false;
  for (size_t j = last_dot + 1; j < r.size(); ++j) {
    if (!r[j].l) return false;
  }
  size_t start = 0;
  while (start < last_dot) {
    size_t end = start;
    while (end < last_dot && !r[end].dot) ++end;
    size_t len = end - start;
    if (len == 0 || len > 63 || !r[start].a || !r[end - 1].a) return false;
    for (size_t j = start; j < end; ++j) {
      if (!r[j].a && !r[j].hyphen) return false;
    }
    start = end + 1;
  }
  return true;
}

bool IsHostname(std::string_view s) {
  if (s.size() > 255 || !HostnameShape(Runes(s))) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if ((dot == s.npos ? s.size() : dot) - start > 63) return false;
    if (dot == s.npos) return true;
    start = dot + 1;
  }
}

}  // namespace

namespace {

// The supported string formats, normalized as kube normalizes them ("date-time" -> "datetime").
constexpr std::string_view kStringFormats[] = {
    "bsonobjectid", "uri",  "email",  "hostname", "ipv4",       "ipv6", "cidr",     "mac",
    "uuid",         "uuid3", "uuid4", "uuid5",    "isbn",       "isbn10", "isbn13", "creditcard",
    "ssn",          "hexcolor", "rgbcolor", "byte", "password", "date", "duration", "datetime"};

}  // namespace

bool IsKnownStringFormat(std::string_view f) {
  return std::find(std::begin(kStringFormats), std::end(kStringFormats), f) != std::end(kStringFormats);
}

std::string_view EffectiveFormat(const Schema& s) {
  if (s.format.empty()) return "";
  std::string_view type = s.int_or_string ? "" : std::string_view(s.type);
  if (type.empty() || type == "string") {
    char buf[32];
    size_t n = 0;
    for (char c : s.format) {
      if (c == '-') continue;
      if (n == sizeof(buf)) return "";
      buf[n++] = c;
    }
    std::string_view normalized(buf, n);
    for (std::string_view f : kStringFormats) {
      if (f == normalized) return f;
    }
    return "";
  }
  if (type == "integer") return s.format == "int32" || s.format == "int64" ? std::string_view(s.format) : "";
  if (type == "number") return s.format == "float" || s.format == "double" ? std::string_view(s.format) : "";
  return "";
}

bool CheckStringFormat(std::string_view f, std::string_view v) {
  if (f == "password") return true;
  if (f == "bsonobjectid") return Match(v, R"([0-9a-fA-F]{24})");
  if (f == "uri") return Match(v, R"(([a-zA-Z][a-zA-Z0-9+.\-]*:|/)[^\s]*)");
  if (f == "email") return Match(v, R"([^@\s<>]+@[^@\s<>]+|[^<>]*<[^@\s<>]+@[^@\s<>]+>)");
  if (f == "hostname") return IsHostname(v);
  if (f == "ipv4") return IsIPv4(v) && v.find('.') != v.npos;
  if (f == "ipv6") return IsIP(v) && v.find(':') != v.npos;
  if (f == "cidr") return IsCidr(v);
  if (f == "mac") {
    return Match(v, R"(([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{2}[:-]){7}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{2}[:-]){19}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}|([0-9A-Fa-f]{4}\.){3}[0-9A-Fa-f]{4}|([0-9A-Fa-f]{4}\.){9}[0-9A-Fa-f]{4})");
  }
  if (f == "uuid") return Match(v, R"((?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})");
  if (f == "uuid3") return Match(v, R"((?i)[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12})");
  if (f == "uuid4") return Match(v, R"((?i)[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12})");
  if (f == "uuid5") return Match(v, R"((?i)[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12})");
  if (f == "isbn") return IsIsbn10(v) || IsIsbn13(v);
  if (f == "isbn10") return IsIsbn10(v);
  if (f == "isbn13") return IsIsbn13(v);
  if (f == "creditcard") return IsCreditCard(v);
  if (f == "ssn") return Match(v, R"(\d{3}[- ]?\d{2}[- ]?\d{4})");
  if (f == "hexcolor") return Match(v, R"(#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}))");
  if (f == "rgbcolor") {
    return Match(v, R"(rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\))");
  }
  if (f == "byte") return Match(v, R"((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})?)");
  if (f == "date") return IsDate(v);
  if (f == "datetime") return IsDateTime(v);
  if (f == "duration") {
    // Go's time.ParseDuration, or strfmt's "<n> <unit>" form.
    return Match(v, R"([-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+|0)") ||
           Match(v, R"(\d+\s?(ns|us|µs|ms|s|m|h|d|w|ns|nanoseconds?|us|microseconds?|ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?|w|wk|weeks?))");
  }
  return true;
}

}  // namespace skiff::api::structural::internal
