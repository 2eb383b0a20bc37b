#include "api/quantity.h"

#include "base/strings.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/go_format.h"

namespace skiff::api {
namespace {

using base::Av;

using int128 = __int128;
using uint128 = unsigned __int128;

constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kSuffixWrong = "unable to parse quantity's suffix";
constexpr int64_t kNanosPerUnit = 1'000'000'000;

constexpr uint128 Pow10(int n) {
  uint128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}
// Largest magnitude held: 10^38 - 1 nano-units (just under 10^29 units); sums of two stay in int128.
constexpr uint128 kMaxNanos = Pow10(38) - 1;
// Kubernetes caps binary-SI input at 2^63-1 units.
constexpr uint128 kBinaryCapNanos = static_cast<uint128>(std::numeric_limits<int64_t>::max()) * kNanosPerUnit;

// ---- A minimal unsigned big integer, only for exact parsing of long inputs. ----
class BigUint {
 public:
  static BigUint FromDigits(std::string_view digits) {
    BigUint b;
    for (char c : digits) {
      b.MulSmall(10);
      b.AddSmall(static_cast<uint32_t>(c - '0'));
    }
    return b;
  }
  bool IsZero() const { return limbs_.empty(); }
  void MulSmall(uint32_t m) {
    uint64_t carry = 0;
    for (uint32_t& limb : limbs_) {
      uint64_t x = static_cast<uint64_t>(limb) * m + carry;
      limb = static_cast<uint32_t>(x);
      carry = x >> 32;
    }
    if (carry) limbs_.push_back(static_cast<uint32_t>(carry));
    Trim();
  }
  void AddSmall(uint32_t a) {
    uint64_t carry = a;
    for (std::size_t i = 0; carry && i < limbs_.size(); ++i) {
      uint64_t x = static_cast<uint64_t>(limbs_[i]) + carry;
      limbs_[i] = static_cast<uint32_t>(x);
      carry = x >> 32;
    }
    if (carry) limbs_.push_back(static_cast<uint32_t>(carry));
  }
  // Divides in place; returns the remainder.
  uint32_t DivSmall(uint32_t d) {
    uint64_t rem = 0;
    for (std::size_t i = limbs_.size(); i-- > 0;) {
      uint64_t x = (rem << 32) | limbs_[i];
      limbs_[i] = static_cast<uint32_t>(x / d);
      rem = x % d;
    }
    Trim();
    return static_cast<uint32_t>(rem);
  }
  // The value if it fits in 128 bits.
  std::optional<uint128> ToU128() const {
    if (limbs_.size() > 4) return std::nullopt;
    uint128 r = 0;
    for (std::size_t i = limbs_.size(); i-- > 0;) r = (r << 32) | limbs_[i];
    return r;
  }

 private:
  void Trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  }
  std::vector<uint32_t> limbs_;  // little-endian base 2^32
};

// ---- Kubernetes' quantity scanner (parseQuantityString), same acceptance rules. ----
struct Scanned {
  bool positive = true;
  std::string_view num;  // integer digits without leading zeros; "0" when none
  std::string_view denom;
  std::string_view suffix;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSuffixLetter(char c) { return std::string_view("eEinumkKMGTP").find(c) != std::string_view::npos; }

std::optional<Scanned> Scan(std::string_view s) {
  Scanned out;
  std::size_t pos = 0;
  const std::size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    out.positive = s[0] == '+';
    ++pos;
  }
  while (pos < end && s[pos] == '0') ++pos;
  if (pos >= end) {  // only zeros (or nothing) after the sign
    out.num = "0";
    return out;
  }
  std::size_t i = pos;
  while (i < end && IsDigit(s[i])) ++i;
  out.num = s.substr(pos, i - pos);
  if (out.num.empty()) out.num = "0";
  pos = i;
  if (pos >= end) return out;
  if (s[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && IsDigit(s[i])) ++i;
    out.denom = s.substr(pos, i - pos);
    pos = i;
    if (pos >= end) return out;
  }
  const std::size_t suffix_start = pos;
  while (pos < end && IsSuffixLetter(s[pos])) ++pos;
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos < end) return std::nullopt;
  out.suffix = s.substr(suffix_start);
  return out;
}

struct Suffix {
  int base;
  int64_t exponent;
  Quantity::Format format;
};

std::optional<Suffix> InterpretSuffix(std::string_view s) {
  using F = Quantity::Format;
  static constexpr std::pair<std::string_view, int> kDecimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},
                                                                  {"k", 3},  {"M", 6},  {"G", 9},  {"T", 12},
                                                                  {"P", 15}, {"E", 18}};
  static constexpr std::pair<std::string_view, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                                 {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& [name, exp] : kDecimal) {
    if (s == name) return Suffix{10, exp, F::kDecimalSI};
  }
  for (const auto& [name, exp] : kBinary) {
    if (s == name) return Suffix{2, exp, F::kBinarySI};
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    std::optional<int64_t> exp = ParseGoInt64(s.substr(1));
    if (exp) return Suffix{10, *exp, F::kDecimalExponent};
  }
  return std::nullopt;
}

// Whether Kubernetes' fast path would keep the input text as the serialized form.
bool KeepsVerbatim(const Scanned& sc, const Suffix& suffix) {
  const int64_t digits = static_cast<int64_t>(sc.num.size() + sc.denom.size());
  if (suffix.format == Quantity::Format::kBinarySI) {
    if (!sc.denom.empty()) return false;
    int64_t precision = 15 - static_cast<int64_t>(sc.num.size()) -
                        static_cast<int64_t>(static_cast<float>(suffix.exponent) * 3 / 10) - 1;
    if (precision < 0) return false;
    std::optional<int64_t> value = ParseGoInt64(sc.num);
    if (!value) return false;
    if (*value != 0 && (std::numeric_limits<int64_t>::max() >> suffix.exponent) < *value) return false;
    return suffix.exponent % 10 == 0 && (*value & 0x07) != 0;
  }
  if (18 - digits < 0) return false;
  // Go narrows the exponent to int32 first; anything that large is out of our range anyway.
  if (suffix.exponent > std::numeric_limits<int32_t>::max() ||
      suffix.exponent < std::numeric_limits<int32_t>::min()) {
    return false;
  }
  int64_t scale = suffix.exponent - static_cast<int64_t>(sc.denom.size());
  if (scale < -9) return false;
  std::string shifted = absl::StrCat(Av(sc.num), Av(sc.denom));
  return scale % 3 == 0 && !absl::EndsWith(shifted, "000") && shifted[0] != '0';
}

// Exact magnitude in nano-units, rounded up (away from zero) below nano; nullopt if too large.
std::optional<uint128> MagnitudeNanos(const Scanned& sc, const Suffix& suffix) {
  std::string digits = absl::StrCat(Av(sc.num), Av(sc.denom));
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  const int64_t significant = static_cast<int64_t>(digits.size() - first);
  // value = digits * base^exponent * 10^(9 - len(denom)) nano-units.
  int64_t ten_power = 9 - static_cast<int64_t>(sc.denom.size());
  int binary_power = 0;
  if (suffix.base == 10) {
    if (suffix.exponent > 100) return std::nullopt;  // at least 10^100: far out of range
    if (suffix.exponent < -1'000'000'000) return 1;  // a positive sliver: rounds up to 1n
    ten_power += suffix.exponent;
  } else {
    binary_power = static_cast<int>(suffix.exponent);
  }
  if (ten_power >= 0 && significant + ten_power > 40) {
    // At least 10^39 nano-units: too large for decimal; binary input is capped instead.
    return suffix.base == 2 ? std::optional<uint128>(kBinaryCapNanos) : std::nullopt;
  }
  // digits * 2^60 < 10^(significant + 19): dividing by more than that leaves a sliver.
  if (ten_power < 0 && -ten_power > significant + 20) return 1;
  BigUint n = BigUint::FromDigits(std::string_view(digits).substr(first));
  for (int i = 0; i < binary_power; ++i) n.MulSmall(2);
  bool remainder = false;
  for (int64_t i = 0; i < ten_power; ++i) n.MulSmall(10);
  for (int64_t i = 0; i < -ten_power; ++i) remainder |= n.DivSmall(10) != 0;
  if (remainder) n.AddSmall(1);
  std::optional<uint128> result = n.ToU128();
  if (suffix.base == 2 && (!result || *result > kBinaryCapNanos)) return kBinaryCapNanos;
  if (!result || *result > kMaxNanos) return std::nullopt;
  return result;
}

std::string U128ToString(uint128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Divides |nanos| by `divisor`, rounding away from zero, saturating to int64.
int64_t ScaledCeil(int128 nanos, int64_t divisor) {
  uint128 magnitude = nanos < 0 ? static_cast<uint128>(-nanos) : static_cast<uint128>(nanos);
  uint128 q = magnitude / static_cast<uint128>(divisor);
  if (magnitude % static_cast<uint128>(divisor) != 0) ++q;
  if (q > static_cast<uint128>(std::numeric_limits<int64_t>::max())) {
    return nanos < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return nanos < 0 ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
}

std::string DecimalSuffix(int exponent, Quantity::Format format) {
  if (format == Quantity::Format::kDecimalSI) {
    switch (exponent) {
      case -9:
        return "n";
      case -6:
        return "u";
      case -3:
        return "m";
      case 0:
        return "";
      case 3:
        return "k";
      case 6:
        return "M";
      case 9:
        return "G";
      case 12:
        return "T";
      case 15:
        return "P";
      case 18:
        return "E";
      default:
        break;  // beyond "E": fall back to exponent notation, as Kubernetes does
    }
  }
  return exponent == 0 ? "" : absl::StrCat("e", exponent);
}

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError(Av(kFormatWrong));
  Quantity q;
  if (text == "0") {
    q.verbatim_ = "0";
    return q;
  }
  std::optional<Scanned> sc = Scan(text);
  if (!sc) return absl::InvalidArgumentError(Av(kFormatWrong));
  std::optional<Suffix> suffix = InterpretSuffix(sc->suffix);
  if (!suffix) return absl::InvalidArgumentError(Av(kSuffixWrong));
  std::optional<uint128> magnitude = MagnitudeNanos(*sc, *suffix);
  if (!magnitude) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantity ", GoQuote(text), " is too large: skiff supports magnitudes below 1e29"));
  }
  q.format_ = suffix->format;
  // A binary value strictly between 0 and 1 is shown as decimal, as Kubernetes does.
  if (q.format_ == Format::kBinarySI && *magnitude > 0 && *magnitude < static_cast<uint128>(kNanosPerUnit)) {
    q.format_ = Format::kDecimalSI;
  }
  q.nanos_ = sc->positive ? static_cast<int128>(*magnitude) : -static_cast<int128>(*magnitude);
  if (KeepsVerbatim(*sc, *suffix)) q.verbatim_ = std::string(text);
  return q;
}

absl::StatusOr<Quantity> Quantity::FromJson(const boost::json::value& v) {
  if (v.is_null()) return Quantity();
  if (v.is_string()) {
    std::string_view s(v.get_string().data(), v.get_string().size());
    absl::string_view trimmed = absl::StripAsciiWhitespace(Av(s));
    return Parse(std::string_view(trimmed.data(), trimmed.size()));
  }
  if (v.is_int64()) return Parse(std::to_string(v.get_int64()));
  if (v.is_uint64()) return Parse(std::to_string(v.get_uint64()));
  if (v.is_double()) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v.get_double());
    if (ec != std::errc()) return absl::InvalidArgumentError(Av(kFormatWrong));
    return Parse(std::string_view(buf, ptr - buf));
  }
  return absl::InvalidArgumentError(Av(kFormatWrong));
}

Quantity Quantity::FromInt64(int64_t value, Format format) {
  Quantity q;
  q.nanos_ = static_cast<int128>(value) * kNanosPerUnit;
  q.format_ = format;
  return q;
}

Quantity Quantity::FromMilli(int64_t milli_value, Format format) {
  Quantity q;
  q.nanos_ = static_cast<int128>(milli_value) * 1'000'000;
  q.format_ = format;
  return q;
}

std::string Quantity::String() const {
  if (!verbatim_.empty()) return verbatim_;
  if (nanos_ == 0) return "0";
  const bool negative = nanos_ < 0;
  uint128 magnitude = negative ? static_cast<uint128>(-nanos_) : static_cast<uint128>(nanos_);
  Format format = format_;
  if (format == Format::kBinarySI &&
      (magnitude < static_cast<uint128>(1024) * kNanosPerUnit || magnitude % kNanosPerUnit != 0)) {
    format = Format::kDecimalSI;  // small or fractional binary values print exactly as decimal
  }
  std::string sign = negative ? "-" : "";
  if (format == Format::kBinarySI) {
    uint128 units = magnitude / kNanosPerUnit;
    int power = 0;
    static constexpr std::string_view kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    while (power < 6 && units % 1024 == 0) {
      units /= 1024;
      ++power;
    }
    return absl::StrCat(sign, U128ToString(units), Av(kBinary[power]));
  }
  int exponent = -9;
  while (magnitude % 10 == 0) {
    magnitude /= 10;
    ++exponent;
  }
  // Lower the exponent to a multiple of three (Kubernetes' rule: 1500 -> "1500", 15e3 -> "15k").
  int adjust = ((exponent % 3) + 3) % 3;
  for (int i = 0; i < adjust; ++i) magnitude *= 10;
  exponent -= adjust;
  return absl::StrCat(sign, U128ToString(magnitude), DecimalSuffix(exponent, format));
}

boost::json::value Quantity::ToJson() const { return boost::json::value(String()); }

absl::Status Quantity::Add(const Quantity& other) {
  int128 sum;
  if (__builtin_add_overflow(nanos_, other.nanos_, &sum) || sum > static_cast<int128>(kMaxNanos) ||
      sum < -static_cast<int128>(kMaxNanos)) {
    return absl::OutOfRangeError(absl::StrCat("quantity overflow: ", String(), " + ", other.String()));
  }
  if (nanos_ == 0) format_ = other.format_;
  nanos_ = sum;
  verbatim_.clear();
  return absl::OkStatus();
}

absl::Status Quantity::Sub(const Quantity& other) {
  int128 diff;
  if (__builtin_sub_overflow(nanos_, other.nanos_, &diff) || diff > static_cast<int128>(kMaxNanos) ||
      diff < -static_cast<int128>(kMaxNanos)) {
    return absl::OutOfRangeError(absl::StrCat("quantity overflow: ", String(), " - ", other.String()));
  }
  if (nanos_ == 0) format_ = other.format_;
  nanos_ = diff;
  verbatim_.clear();
  return absl::OkStatus();
}

void Quantity::Neg() {
  nanos_ = -nanos_;
  verbatim_.clear();
}

int64_t Quantity::Value() const { return ScaledCeil(nanos_, kNanosPerUnit); }

int64_t Quantity::MilliValue() const { return ScaledCeil(nanos_, 1'000'000); }

}  // namespace skiff::api
