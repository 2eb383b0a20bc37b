#include "api/cel/value.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/cel/time_util.h"
#include "api/go_format.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

// Compares an int with a uint exactly.
int CompareIntUint(int64_t i, uint64_t u) {
  if (i < 0) return -1;
  uint64_t ui = static_cast<uint64_t>(i);
  return ui < u ? -1 : (ui > u ? 1 : 0);
}

// Compares a double with an int64 exactly (no rounding of the int); nullopt for NaN.
std::optional<int> CompareDoubleInt(double d, int64_t i) {
  if (std::isnan(d)) return std::nullopt;
  if (d < -9223372036854775808.0) return -1;
  if (d >= 9223372036854775808.0) return 1;
  double whole = std::trunc(d);
  int64_t w = static_cast<int64_t>(whole);
  if (w != i) return w < i ? -1 : 1;
  double frac = d - whole;
  return frac < 0 ? -1 : (frac > 0 ? 1 : 0);
}

std::optional<int> CompareDoubleUint(double d, uint64_t u) {
  if (std::isnan(d)) return std::nullopt;
  if (d < 0) return -1;
  if (d >= 18446744073709551616.0) return 1;
  double whole = std::trunc(d);
  uint64_t w = static_cast<uint64_t>(whole);
  if (w != u) return w < u ? -1 : 1;
  double frac = d - whole;
  return frac > 0 ? 1 : 0;
}

template <typename T>
int Three(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

std::optional<int> CompareNumbers(const Value& a, const Value& b) {
  using K = Value::Kind;
  switch (a.kind()) {
    case K::kInt:
      if (b.is(K::kInt)) return Three(a.int_value(), b.int_value());
      if (b.is(K::kUint)) return CompareIntUint(a.int_value(), b.uint_value());
      if (auto c = CompareDoubleInt(b.double_value(), a.int_value())) return -*c;
      return std::nullopt;
    case K::kUint:
      if (b.is(K::kUint)) return Three(a.uint_value(), b.uint_value());
      if (b.is(K::kInt)) return -CompareIntUint(b.int_value(), a.uint_value());
      if (auto c = CompareDoubleUint(b.double_value(), a.uint_value())) return -*c;
      return std::nullopt;
    default: {
      double d = a.double_value();
      if (b.is(K::kInt)) return CompareDoubleInt(d, b.int_value());
      if (b.is(K::kUint)) return CompareDoubleUint(d, b.uint_value());
      double e = b.double_value();
      if (std::isnan(d) || std::isnan(e)) return std::nullopt;
      return Three(d, e);
    }
  }
}

// Numeric map keys are normalized so that 1 and 1u are the same key.
std::optional<std::string> StringKey(const Value& key) {
  if (key.is(Value::Kind::kString)) return key.string_value();
  return std::nullopt;
}

}  // namespace

Value Value::ListOf(List items) { return Value(Rep(std::make_shared<const List>(std::move(items)))); }

Value Value::MapOf(Map map) { return Value(Rep(MapRef{std::make_shared<const Map>(std::move(map)), nullptr})); }

Value Value::ObjectOf(Map map, std::string object_type) {
  return Value(Rep(MapRef{std::make_shared<const Map>(std::move(map)),
                          std::make_shared<const std::string>(std::move(object_type))}));
}

std::string Value::TypeNameOf() const {
  switch (kind()) {
    case Kind::kNull: return "null_type";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kUint: return "uint";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kMap: {
      const auto& ref = std::get<MapRef>(rep_);
      return ref.object_type ? *ref.object_type : "map";
    }
    case Kind::kTimestamp: return "google.protobuf.Timestamp";
    case Kind::kDuration: return "google.protobuf.Duration";
    case Kind::kType: return "type";
    case Kind::kOptional: return "optional_type";
    case Kind::kQuantity: return "kubernetes.Quantity";
    case Kind::kOpaque: return opaque_value().type;
  }
  return "dyn";
}

std::string Value::DebugString() const {
  switch (kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return bool_value() ? "true" : "false";
    case Kind::kInt: return absl::StrCat(int_value());
    case Kind::kUint: return absl::StrCat(uint_value(), "u");
    case Kind::kDouble: return FormatDouble(double_value());
    case Kind::kString: return GoQuote(string_value());
    case Kind::kBytes: return "b" + GoQuote(bytes_value());
    case Kind::kList:
      return absl::StrCat("[", absl::StrJoin(list_value(), ", ", [](std::string* out, const Value& v) {
                            out->append(v.DebugString());
                          }), "]");
    case Kind::kMap:
      return absl::StrCat("{", absl::StrJoin(map_value().entries(), ", ", [](std::string* out, const auto& e) {
                            absl::StrAppend(out, e.first.DebugString(), ": ", e.second.DebugString());
                          }), "}");
    case Kind::kTimestamp: return absl::StrCat("timestamp(\"", FormatCelTimestamp(timestamp_value()), "\")");
    case Kind::kDuration: return absl::StrCat("duration(\"", FormatCelDuration(duration_value()), "\")");
    case Kind::kType: return type_value();
    case Kind::kOptional:
      return optional_value() ? absl::StrCat("optional.of(", optional_value()->DebugString(), ")") : "optional.none()";
    case Kind::kQuantity: return absl::StrCat("quantity(\"", quantity_value().String(), "\")");
    case Kind::kOpaque: return absl::StrCat(opaque_value().type, "(\"", opaque_value().text, "\")");
  }
  return "?";
}

bool Map::IsValidKey(const Value& key) {
  using K = Value::Kind;
  return key.is(K::kString) || key.is(K::kInt) || key.is(K::kUint) || key.is(K::kBool);
}

bool Map::Insert(Value key, Value value) {
  if (Find(key) != nullptr) return false;
  entries_.emplace_back(std::move(key), std::move(value));
  if (indexed_) {
    if (std::optional<std::string> s = StringKey(entries_.back().first)) string_index_.emplace(*s, entries_.size() - 1);
  } else if (entries_.size() > kLinearSearchMax) {
    indexed_ = true;
    string_index_.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (std::optional<std::string> s = StringKey(entries_[i].first)) string_index_.emplace(*s, i);
    }
  }
  return true;
}

const Value* Map::FindString(std::string_view key) const {
  if (!indexed_) {
    for (const auto& [k, v] : entries_) {
      if (k.is(Value::Kind::kString) && k.string_value() == key) return &v;
    }
    return nullptr;
  }
  auto it = string_index_.find(base::Av(key));
  return it == string_index_.end() ? nullptr : &entries_[it->second].second;
}

const Value* Map::Find(const Value& key) const {
  if (key.is(Value::Kind::kString)) return FindString(key.string_value());
  for (const auto& [k, v] : entries_) {
    if (k.is(Value::Kind::kString)) continue;
    // Keys compare with heterogeneous numeric equality, but a double is never a key.
    if ((k.is_number() && key.is_number() && !key.is(Value::Kind::kDouble)) || k.kind() == key.kind()) {
      if (Equal(k, key)) return &v;
    }
  }
  return nullptr;
}

bool Equal(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    std::optional<int> c = CompareNumbers(a, b);
    return c.has_value() && *c == 0;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kNull: return true;
    case K::kBool: return a.bool_value() == b.bool_value();
    case K::kString: return a.string_value() == b.string_value();
    case K::kBytes: return a.bytes_value() == b.bytes_value();
    case K::kList: {
      const List& x = a.list_value();
      const List& y = b.list_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!Equal(x[i], y[i])) return false;
      }
      return true;
    }
    case K::kMap: {
      const Map& x = a.map_value();
      const Map& y = b.map_value();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries()) {
        const Value* other = y.Find(k);
        if (other == nullptr || !Equal(v, *other)) return false;
      }
      return true;
    }
    case K::kTimestamp: return a.timestamp_value() == b.timestamp_value();
    case K::kDuration: return a.duration_value() == b.duration_value();
    case K::kType: return a.type_value() == b.type_value();
    case K::kOptional: {
      const Value* x = a.optional_value();
      const Value* y = b.optional_value();
      if (x == nullptr || y == nullptr) return x == y;
      return Equal(*x, *y);
    }
    case K::kQuantity: return a.quantity_value() == b.quantity_value();
    case K::kOpaque:
      return a.opaque_value().type == b.opaque_value().type && a.opaque_value().text == b.opaque_value().text;
    default: return false;
  }
}

std::optional<int> Compare(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.kind() != b.kind()) return std::nullopt;
  switch (a.kind()) {
    case K::kBool: return Three(a.bool_value(), b.bool_value());
    case K::kString: return Three(a.string_value(), b.string_value());
    case K::kBytes: return Three(a.bytes_value(), b.bytes_value());
    case K::kTimestamp: return Three(a.timestamp_value(), b.timestamp_value());
    case K::kDuration: return Three(a.duration_value(), b.duration_value());
    default: return std::nullopt;
  }
}

}  // namespace skiff::api::cel
