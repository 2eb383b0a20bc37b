#include "api/openapi_v2.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "api/openapi.h"
#include "api/openapi_schemas.h"
#include "api/schema_strings.h"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace skiff::api {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using schema_internal::Cat;

// Field numbers of gnostic openapiv2/OpenAPIv2.proto (package openapi.v2).
namespace doc_field {
constexpr int kSwagger = 1, kInfo = 2, kPaths = 8, kDefinitions = 9;
}
namespace info_field {
constexpr int kTitle = 1, kVersion = 2;
}
// Definitions, Properties: `repeated NamedSchema additional_properties = 1`;
// NamedSchema / NamedAny: name = 1, value = 2; Any: yaml = 2; TypeItem: repeated string value = 1;
// ItemsItem: repeated Schema schema = 1; AdditionalPropertiesItem: oneof {schema = 1, boolean = 2}.
constexpr int kNamedListEntry = 1, kName = 1, kValue = 2, kAnyYaml = 2, kTypeValue = 1, kItemsSchema = 1,
              kAdditionalSchema = 1, kAdditionalBoolean = 2;
namespace schema_field {
constexpr int kRef = 1, kFormat = 2, kTitle = 3, kDescription = 4, kDefault = 5, kMaximum = 7, kMinimum = 9,
              kMaxLength = 11, kMinLength = 12, kPattern = 13, kMaxItems = 14, kMinItems = 15, kRequired = 19,
              kEnum = 20, kAdditionalProperties = 21, kType = 22, kItems = 23, kAllOf = 24, kProperties = 25,
              kVendorExtension = 31;
}

std::string_view View(boost::json::string_view s) { return std::string_view(s.data(), s.size()); }

constexpr std::string_view kV3RefPrefix = "#/components/schemas/";
constexpr std::string_view kV2RefPrefix = "#/definitions/";

// Appends protobuf fields to a byte string. Nested messages are encoded into their own writer
// first; the document is small (well under a few MB), so the copies are cheap.
class ProtoWriter {
 public:
  void Bytes(int field, std::string_view bytes) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      out.WriteTag(Tag(field, kLengthDelimited));
      out.WriteVarint32(static_cast<uint32_t>(bytes.size()));
      out.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
    });
  }
  void String(int field, std::string_view s) {
    if (!s.empty()) Bytes(field, s);  // proto3: empty strings are not written
  }
  void Message(int field, const ProtoWriter& m) { Bytes(field, m.bytes_); }
  void Bool(int field, bool b) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      out.WriteTag(Tag(field, kVarint));
      out.WriteVarint32(b ? 1 : 0);
    });
  }
  void Int64(int field, int64_t n) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      out.WriteTag(Tag(field, kVarint));
      out.WriteVarint64(static_cast<uint64_t>(n));
    });
  }
  void Double(int field, double d) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      uint64_t bits;
      static_assert(sizeof(bits) == sizeof(d));
      std::memcpy(&bits, &d, sizeof(bits));
      out.WriteTag(Tag(field, kFixed64));
      out.WriteLittleEndian64(bits);
    });
  }

  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  static constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2;
  static uint32_t Tag(int field, uint32_t wire_type) {
    return (static_cast<uint32_t>(field) << 3) | wire_type;
  }

  template <typename F>
  void Write(F&& f) {
    google::protobuf::io::StringOutputStream raw(&bytes_);  // appends to bytes_
    google::protobuf::io::CodedOutputStream out(&raw);
    f(out);
  }  // `out` is destroyed first and trims the unused tail of bytes_

  std::string bytes_;
};

// gnostic Any: the value as YAML text. JSON is valid YAML, and kubectl's reader (yaml.v2) turns
// JSON objects into the same maps as block-style YAML.
ProtoWriter AnyOf(const value& v) {
  ProtoWriter any;
  any.Bytes(kAnyYaml, Cat(boost::json::serialize(v), "\n"));
  return any;
}

ProtoWriter NamedMessage(std::string_view name, const ProtoWriter& message) {
  ProtoWriter named;
  named.String(kName, name);
  named.Message(kValue, message);
  return named;
}

std::string V2Ref(std::string_view v3_ref) {
  std::string_view ref = v3_ref;
  if (schema_internal::ConsumePrefix(ref, kV3RefPrefix)) return Cat(kV2RefPrefix, ref);
  return std::string(v3_ref);
}

// `allOf: [{$ref: X}]` (how OpenAPI v3 gives a reference siblings) -> X, else "".
std::string WrappedRef(const object& s) {
  const value* all_of = s.if_contains("allOf");
  if (all_of == nullptr || !all_of->is_array() || all_of->as_array().size() != 1) return "";
  const value& only = all_of->as_array().front();
  if (!only.is_object() || only.as_object().size() != 1) return "";
  const value* ref = only.as_object().if_contains("$ref");
  return ref != nullptr && ref->is_string() ? std::string(View(ref->as_string())) : "";
}

bool IsTrue(const object& s, std::string_view key) {
  const value* v = s.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

std::optional<double> Number(const value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return std::nullopt;
}

std::optional<int64_t> Count(const value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

// Converts one OpenAPI v3 schema (as openapi_schemas.cc builds them) to a gnostic v2 Schema.
ProtoWriter SchemaOf(const object& s) {
  namespace f = schema_field;
  ProtoWriter out;
  std::string ref;
  if (const value* r = s.if_contains("$ref"); r != nullptr && r->is_string()) ref = View(r->as_string());
  const bool unwrapped = ref.empty() && !(ref = WrappedRef(s)).empty();
  if (!ref.empty()) out.String(f::kRef, V2Ref(ref));
  auto string_field = [&](int field, std::string_view key) {
    if (const value* v = s.if_contains(key); v != nullptr && v->is_string())
      out.String(field, View(v->as_string()));
  };
  string_field(f::kFormat, "format");
  string_field(f::kTitle, "title");
  string_field(f::kDescription, "description");
  if (const value* d = s.if_contains("default")) out.Message(f::kDefault, AnyOf(*d));
  if (auto n = Number(s.if_contains("maximum"))) out.Double(f::kMaximum, *n);
  if (auto n = Number(s.if_contains("minimum"))) out.Double(f::kMinimum, *n);
  if (auto n = Count(s.if_contains("maxLength"))) out.Int64(f::kMaxLength, *n);
  if (auto n = Count(s.if_contains("minLength"))) out.Int64(f::kMinLength, *n);
  string_field(f::kPattern, "pattern");
  if (auto n = Count(s.if_contains("maxItems"))) out.Int64(f::kMaxItems, *n);
  if (auto n = Count(s.if_contains("minItems"))) out.Int64(f::kMinItems, *n);
  if (const value* req = s.if_contains("required"); req != nullptr && req->is_array()) {
    for (const value& name : req->as_array()) {
      if (name.is_string()) out.Bytes(f::kRequired, View(name.as_string()));
    }
  }
  if (const value* e = s.if_contains("enum"); e != nullptr && e->is_array()) {
    for (const value& v : e->as_array()) out.Message(f::kEnum, AnyOf(v));
  }
  const value* additional = s.if_contains("additionalProperties");
  if (additional != nullptr) {
    ProtoWriter item;
    if (additional->is_object()) item.Message(kAdditionalSchema, SchemaOf(additional->as_object()));
    if (additional->is_bool()) item.Bool(kAdditionalBoolean, additional->as_bool());
    out.Message(f::kAdditionalProperties, item);
  }
  const value* properties = s.if_contains("properties");
  const value* items = s.if_contains("items");
  // kubectl's validator reads `type: object` without properties as a map whose values must be
  // objects; free-form values (RawExtension, FieldsV1, JSON) may be anything, so they get no
  // type (as in the real v2 document for apiextensions JSON).
  const bool free_form = IsTrue(s, "x-kubernetes-preserve-unknown-fields") && properties == nullptr &&
                         additional == nullptr && items == nullptr;
  if (const value* t = s.if_contains("type"); t != nullptr && t->is_string() && ref.empty() && !free_form) {
    ProtoWriter type;
    type.String(kTypeValue, View(t->as_string()));
    out.Message(f::kType, type);
  }
  if (items != nullptr && items->is_object()) {
    ProtoWriter item;
    item.Message(kItemsSchema, SchemaOf(items->as_object()));
    out.Message(f::kItems, item);
  }
  if (const value* all_of = s.if_contains("allOf"); all_of != nullptr && all_of->is_array() && !unwrapped) {
    for (const value& sub : all_of->as_array()) {
      if (sub.is_object()) out.Message(f::kAllOf, SchemaOf(sub.as_object()));
    }
  }
  if (properties != nullptr && properties->is_object() && !properties->as_object().empty()) {
    ProtoWriter props;
    for (const auto& [name, sub] : properties->as_object()) {
      if (sub.is_object())
        props.Message(kNamedListEntry, NamedMessage(View(name), SchemaOf(sub.as_object())));
    }
    out.Message(f::kProperties, props);
  }
  for (const auto& [key, v] : s) {
    if (View(key).starts_with("x-")) out.Message(f::kVendorExtension, NamedMessage(View(key), AnyOf(v)));
  }
  return out;
}

}  // namespace

namespace {

std::string Document(const SchemaRegistry& registry, const object* extra) {
  openapi_internal::ComponentsBuilder components(registry);
  for (const KindSchema* kind : registry.Kinds()) {
    components.AddType(*kind->type);
    components.AddList(*kind->type, kind->gvk);
  }
  for (const TypeSchema* type : registry.Types()) components.AddType(*type);
  object schemas = components.Take();
  if (extra != nullptr) {
    for (const auto& [name, schema] : *extra) schemas[name] = schema;
  }
  std::vector<std::string_view> names;
  for (const auto& entry : schemas) names.push_back(View(entry.key()));
  std::sort(names.begin(), names.end());

  ProtoWriter definitions;
  for (std::string_view name : names) {
    const value& schema = schemas.at(name);
    if (!schema.is_object()) continue;
    definitions.Message(kNamedListEntry, NamedMessage(name, SchemaOf(schema.as_object())));
  }
  ProtoWriter info;
  info.String(info_field::kTitle, "Kubernetes");
  info.String(info_field::kVersion, "v1.32.4");

  ProtoWriter doc;
  doc.String(doc_field::kSwagger, "2.0");
  doc.Message(doc_field::kInfo, info);
  doc.Message(doc_field::kPaths, ProtoWriter());  // kubectl reads only the definitions
  doc.Message(doc_field::kDefinitions, definitions);
  return doc.Take();
}

}  // namespace

std::string OpenApiV2Protobuf(const SchemaRegistry& registry) { return Document(registry, nullptr); }

std::string OpenApiV2Protobuf(const object& extra) { return Document(BuiltinSchemas(), &extra); }

std::string OpenApiV2Protobuf() { return OpenApiV2Protobuf(BuiltinSchemas()); }

const std::string& BuiltinOpenApiV2Protobuf() {
  static const std::string* const kDocument = new std::string(OpenApiV2Protobuf());
  return *kDocument;
}

const std::string& BuiltinOpenApiV2ETag() {
  static const std::string* const kETag =
      new std::string(Cat("\"", ContentHash(BuiltinOpenApiV2Protobuf()), "\""));
  return *kETag;
}

}  // namespace skiff::api
