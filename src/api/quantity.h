// Quantity: Kubernetes' resource.Quantity ("100m", "1.5Gi", "2e3"), exact fixed-point.
// The value is held as a signed count of nano-units (10^-9) in 128 bits, so every parsed value
// (Kubernetes keeps nothing finer than nano) and their sums are exact: 100m + 900m == 1.
// Canonical text follows Kubernetes' serializer: the suffix family of the input is kept
// (decimal SI, binary SI, or decimal exponent), the mantissa is an integer and the exponent as
// large as possible: "1000m" -> "1", "0.5" -> "500m", "1.5Gi" -> "1536Mi", "1024Mi" -> "1Gi";
// binary values below 1024 or with fractions print as decimal SI ("512Mi"/1024 -> "512Ki"...).
// Like Kubernetes, an input already in canonical form is echoed verbatim (even "+1" or "1.500").
// Range: magnitude below 10^29 units (binary-SI input is capped at 2^63-1 as Kubernetes does);
// larger inputs are rejected rather than approximated.
// Thread-safety: value type; const methods are safe to call concurrently.
// Failure: Parse -> InvalidArgument with Kubernetes' messages ("quantities must match the regular
// expression '...'", "unable to parse quantity's suffix"); Add/Sub -> OutOfRange on overflow.
#ifndef SKIFF_API_QUANTITY_H_
#define SKIFF_API_QUANTITY_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::api {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Zero, decimal SI.
  Quantity() = default;
  static absl::StatusOr<Quantity> Parse(std::string_view text);
  // A JSON string (surrounding whitespace ignored), integer or floating number; null is zero.
  static absl::StatusOr<Quantity> FromJson(const boost::json::value& v);
  static Quantity FromInt64(int64_t value, Format format = Format::kDecimalSI);
  static Quantity FromMilli(int64_t milli_value, Format format = Format::kDecimalSI);

  // Canonical (or verbatim canonical input) text.
  std::string String() const;
  boost::json::value ToJson() const;

  Format format() const { return format_; }
  bool IsZero() const { return nanos_ == 0; }
  int Sign() const { return nanos_ > 0 ? 1 : (nanos_ < 0 ? -1 : 0); }

  // this += / -= other. A zero left side takes the other's format (as Kubernetes). On overflow
  // returns OutOfRange and leaves this unchanged.
  absl::Status Add(const Quantity& other);
  absl::Status Sub(const Quantity& other);
  void Neg();

  // ceil(value), rounding away from zero; saturates at the int64 limits.
  int64_t Value() const;
  // ceil(value * 1000), rounding away from zero; saturates at the int64 limits.
  int64_t MilliValue() const;
  // The nearest double (Kubernetes' AsApproximateFloat64).
  double AsApproximateDouble() const { return static_cast<double>(nanos_) / 1e9; }

  // Compares values only (format and text are ignored), like Kubernetes' Cmp/Equal.
  int Compare(const Quantity& other) const {
    return nanos_ < other.nanos_ ? -1 : (nanos_ > other.nanos_ ? 1 : 0);
  }
  bool operator==(const Quantity& other) const { return nanos_ == other.nanos_; }
  std::strong_ordering operator<=>(const Quantity& other) const { return Compare(other) <=> 0; }

 private:
  __int128 nanos_ = 0;
  Format format_ = Format::kDecimalSI;
  std::string verbatim_;  // the input text when Kubernetes would re-emit it unchanged
};

}  // namespace skiff::api

#endif  // SKIFF_API_QUANTITY_H_
