// Value: a CEL runtime value (int, uint, double, bool, string, bytes, null, list, map, timestamp,
// duration, type, optional, and Kubernetes' quantity, URL, IP and CIDR), with CEL's equality (heterogeneous numeric:
// 1 == 1u == 1.0) and ordering (numbers across types, strings, bytes, bools, timestamps, durations).
// Lists and maps are immutable and shared, so copying a Value is cheap.
// Thread-safety: a Value is immutable; const access from many threads is safe.
// Ownership: containers hold their elements through shared_ptr<const ...>.
// Failure: none here; Compare returns nullopt for operands CEL cannot order.
#ifndef SKIFF_API_CEL_VALUE_H_
#define SKIFF_API_CEL_VALUE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "api/quantity.h"

namespace skiff::api::cel {

class Value;
class Map;
using List = std::vector<Value>;

class Value {
 public:
  enum class Kind {
    kNull, kBool, kInt, kUint, kDouble, kString, kBytes, kList, kMap,
    kTimestamp, kDuration, kType, kOptional, kQuantity, kOpaque,
  };
  struct Bytes { std::string data; };
  struct TypeName { std::string name; };
  struct Optional { std::shared_ptr<const Value> value; };  // null: optional.none()
  // A library type held as its canonical text (Kubernetes' URL, IP and CIDR): equal when the
  // type and text are equal.
  struct Opaque {
    std::string type;
    std::string text;
  };

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b) { return Value(Rep(b)); }
  static Value Int(int64_t i) { return Value(Rep(i)); }
  static Value Uint(uint64_t u) { return Value(Rep(u)); }
  static Value Double(double d) { return Value(Rep(d)); }
  static Value String(std::string s) { return Value(Rep(std::move(s))); }
  static Value BytesOf(std::string data) { return Value(Rep(Bytes{std::move(data)})); }
  static Value ListOf(List items);
  static Value MapOf(Map map);
  // An object of a schema type: a map with string keys whose type() is `object_type`.
  static Value ObjectOf(Map map, std::string object_type);
  static Value Timestamp(absl::Time t) { return Value(Rep(t)); }
  static Value Duration(absl::Duration d) { return Value(Rep(d)); }
  static Value Type(std::string name) { return Value(Rep(TypeName{std::move(name)})); }
  static Value OptionalOf(Value v) { return Value(Rep(Optional{std::make_shared<const Value>(std::move(v))})); }
  static Value OptionalNone() { return Value(Rep(Optional{})); }
  static Value QuantityOf(Quantity q) { return Value(Rep(std::move(q))); }
  static Value OpaqueOf(std::string type, std::string text) { return Value(Rep(Opaque{std::move(type), std::move(text)})); }

  Kind kind() const { return static_cast<Kind>(rep_.index()); }
  bool is(Kind k) const { return kind() == k; }
  bool is_number() const { return is(Kind::kInt) || is(Kind::kUint) || is(Kind::kDouble); }

  bool bool_value() const { return std::get<bool>(rep_); }
  int64_t int_value() const { return std::get<int64_t>(rep_); }
  uint64_t uint_value() const { return std::get<uint64_t>(rep_); }
  double double_value() const { return std::get<double>(rep_); }
  const std::string& string_value() const { return std::get<std::string>(rep_); }
  const std::string& bytes_value() const { return std::get<Bytes>(rep_).data; }
  const List& list_value() const { return *std::get<std::shared_ptr<const List>>(rep_); }
  const Map& map_value() const { return *std::get<MapRef>(rep_).map; }
  absl::Time timestamp_value() const { return std::get<absl::Time>(rep_); }
  absl::Duration duration_value() const { return std::get<absl::Duration>(rep_); }
  const std::string& type_value() const { return std::get<TypeName>(rep_).name; }
  // For kOptional: the contained value, or null for optional.none().
  const Value* optional_value() const { return std::get<Optional>(rep_).value.get(); }
  const Quantity& quantity_value() const { return std::get<Quantity>(rep_); }
  const Opaque& opaque_value() const { return std::get<Opaque>(rep_); }

  // The CEL type name: "int", "list", "google.protobuf.Timestamp", "optional_type", an object's
  // schema type name...
  std::string TypeNameOf() const;
  // CEL-like text for messages and tests: 1, 2u, 1.5, "s", b"x", [1, 2], {"a": 1}, ...
  std::string DebugString() const;

 private:
  struct MapRef {
    std::shared_ptr<const Map> map;
    std::shared_ptr<const std::string> object_type;  // null for a plain map
  };
  using Rep = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Bytes,
                           std::shared_ptr<const List>, MapRef, absl::Time, absl::Duration,
                           TypeName, Optional, Quantity, Opaque>;
  explicit Value(Rep rep) : rep_(std::move(rep)) {}
  Rep rep_;
};

// A CEL map: keys are bool, int, uint or string; int and uint keys of equal value are the same
// key. Entries keep insertion order (JSON order for objects).
class Map {
 public:
  // False (and no change) when an equal key is already present.
  bool Insert(Value key, Value value);
  const Value* Find(const Value& key) const;
  const Value* FindString(std::string_view key) const;
  void Reserve(size_t entries) { entries_.reserve(entries); }
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  static bool IsValidKey(const Value& key);

 private:
  std::vector<std::pair<Value, Value>> entries_;
  // Small maps (most JSON objects) are searched in order; larger ones get a hash index of their
  // string keys, built when they grow past kLinearSearchMax entries.
  static constexpr size_t kLinearSearchMax = 8;
  bool indexed_ = false;
  absl::flat_hash_map<std::string, size_t> string_index_;
};

// CEL equality: heterogeneous numeric comparison, element-wise lists and maps; values of
// different types are unequal; NaN equals nothing.
bool Equal(const Value& a, const Value& b);
// <0, 0, >0; nullopt when CEL defines no ordering for the pair (also for NaN operands).
std::optional<int> Compare(const Value& a, const Value& b);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_VALUE_H_
