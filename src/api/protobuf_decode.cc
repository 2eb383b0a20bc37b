#include "api/protobuf_decode.h"

#include "base/strings.h"

#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/protobuf_schema.h"
#include "base/json.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "google/protobuf/io/coded_stream.h"

namespace skiff::api {
namespace {

using google::protobuf::io::CodedInputStream;

constexpr std::string_view kMagic{"k8s\0", 4};

using base::Av;
// Generous: the described types nest about 15 deep; this only bounds hostile input.
constexpr int kMaxDepth = 64;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range Go's Time can marshal.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

struct Envelope {
  std::string api_version;
  std::string kind;
  std::string raw;
  std::string content_encoding;
};

// Walks one protobuf payload. Length-delimited children are entered with PushLimit so every
// read is bounded by its enclosing message; each child must be consumed exactly.
class Decoder {
 public:
  Decoder(std::string_view bytes, std::string_view root_name)
      : input_(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size())) {
    input_.PushLimit(static_cast<int>(bytes.size()));
    path_.push_back(root_name);
  }

  // Decodes the whole payload as `spec`, adding its fields to `out`.
  absl::Status DecodeMessage(const ProtoMessage& spec, boost::json::object& out) {
    return DecodeFields(spec, out);
  }

  absl::Status DecodeEnvelope(Envelope& env);

 private:
  // Pushes a JSON name onto the error path for the lifetime of the scope.
  class PathScope {
   public:
    PathScope(std::vector<std::string_view>& path, std::string_view name)
        : path_(path), pushed_(!name.empty()) {
      if (pushed_) path_.push_back(name);
    }
    ~PathScope() {
      if (pushed_) path_.pop_back();
    }
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;

   private:
    std::vector<std::string_view>& path_;
    bool pushed_;
  };

  std::string Path() const {
    std::string path;
    for (std::string_view part : path_) {
      if (!path.empty()) path += '.';
      path.append(part);
    }
    return path;
  }

  absl::Status Malformed(std::string_view detail) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid protobuf body at ", Path(), ": ", Av(detail)));
  }

  absl::Status WrongWireType(uint32_t wire) const {
    return Malformed(absl::StrCat("unexpected wire type ", wire));
  }

  // Calls on_field(number, wire) for each field until the current limit.
  template <typename F>
  absl::Status ForEachField(F&& on_field) {
    while (input_.BytesUntilLimit() > 0) {
      const uint32_t tag = input_.ReadTag();
      if (tag == 0) return Malformed("invalid or truncated field tag");
      const int number = static_cast<int>(tag >> 3);
      if (number == 0) return Malformed("field number 0");
      if (absl::Status s = on_field(number, tag & 7); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Runs body() over the next length-delimited payload.
  template <typename F>
  absl::Status Nested(F&& body) {
    uint64_t length = 0;
    if (!input_.ReadVarint64(&length)) return Malformed("truncated length");
    if (length > static_cast<uint64_t>(input_.BytesUntilLimit())) {
      return Malformed("length exceeds the enclosing message");
    }
    if (depth_ >= kMaxDepth) return Malformed("messages nested too deeply");
    ++depth_;
    const CodedInputStream::Limit limit = input_.PushLimit(static_cast<int>(length));
    absl::Status status = body();
    if (status.ok() && input_.BytesUntilLimit() != 0) status = Malformed("trailing bytes");
    input_.PopLimit(limit);
    --depth_;
    return status;
  }

  absl::StatusOr<uint64_t> ReadVarint() {
    uint64_t value = 0;
    if (!input_.ReadVarint64(&value)) return Malformed("truncated varint");
    return value;
  }

  absl::StatusOr<std::string> ReadBytes() {
    uint64_t length = 0;
    if (!input_.ReadVarint64(&length)) return Malformed("truncated length");
    if (length > static_cast<uint64_t>(input_.BytesUntilLimit())) {
      return Malformed("length exceeds the enclosing message");
    }
    std::string bytes;
    if (!input_.ReadString(&bytes, static_cast<int>(length))) return Malformed("truncated bytes");
    return bytes;
  }

  absl::StatusOr<std::string> ReadString(uint32_t wire) {
    if (wire != kLengthDelimited) return WrongWireType(wire);
    return ReadBytes();
  }

  // Skips a field skiff does not describe. Zero values are what Go writes for every unset
  // non-pointer field, so they are harmless; anything else would be silently lost.
  absl::Status SkipUnknown(std::string_view message, int number, uint32_t wire);

  absl::Status DecodeFields(const ProtoMessage& spec, boost::json::object& out) {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      const ProtoField* field = spec.Find(number);
      if (field == nullptr) return SkipUnknown(spec.name, number, wire);
      return DecodeField(*field, wire, out);
    });
  }

  absl::Status DecodeField(const ProtoField& field, uint32_t wire, boost::json::object& out);
  absl::Status DecodeVarintField(const ProtoField& field, uint32_t wire, boost::json::object& out);
  absl::Status DecodeMessageField(const ProtoField& field, uint32_t wire, boost::json::object& out);
  absl::Status DecodeMapEntry(const ProtoField& field, boost::json::object& out);
  absl::StatusOr<boost::json::value> ReadTime(bool micro);
  absl::StatusOr<std::string> ReadQuantity();
  absl::StatusOr<boost::json::value> ReadIntOrString(bool keep_zero, bool& present);
  absl::StatusOr<boost::json::value> ReadFieldsV1();

  CodedInputStream input_;
  std::vector<std::string_view> path_;
  int depth_ = 0;
};

void Append(boost::json::object& out, std::string_view name, boost::json::value value) {
  boost::json::value& slot = out[name];
  if (!slot.is_array()) slot.emplace_array();
  slot.as_array().push_back(std::move(value));
}

absl::Status Decoder::SkipUnknown(std::string_view message, int number, uint32_t wire) {
  bool empty = false;
  switch (wire) {
    case kVarint: {
      absl::StatusOr<uint64_t> v = ReadVarint();
      if (!v.ok()) return v.status();
      empty = *v == 0;
      break;
    }
    case kFixed64: {
      uint64_t v = 0;
      if (!input_.ReadLittleEndian64(&v)) return Malformed("truncated fixed64");
      empty = v == 0;
      break;
    }
    case kFixed32: {
      uint32_t v = 0;
      if (!input_.ReadLittleEndian32(&v)) return Malformed("truncated fixed32");
      empty = v == 0;
      break;
    }
    case kLengthDelimited: {
      uint64_t length = 0;
      if (!input_.ReadVarint64(&length)) return Malformed("truncated length");
      if (length > static_cast<uint64_t>(input_.BytesUntilLimit())) {
        return Malformed("length exceeds the enclosing message");
      }
      if (!input_.Skip(static_cast<int>(length))) return Malformed("truncated bytes");
      empty = length == 0;
      break;
    }
    default:
      return WrongWireType(wire);
  }
  if (empty) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat("protobuf field ", number, " of ", Av(message), " (at ", Path(),
                   ") is not supported by skiff; send this object as JSON instead"));
}

absl::Status Decoder::DecodeField(const ProtoField& field, uint32_t wire, boost::json::object& out) {
  PathScope scope(path_, field.json_name);
  const bool repeated = (field.flags & kProtoRepeated) != 0;
  const bool keep_zero = (field.flags & kProtoKeepZero) != 0;
  switch (field.kind) {
    case ProtoKind::kInt32:
    case ProtoKind::kInt64:
    case ProtoKind::kBool:
      return DecodeVarintField(field, wire, out);
    case ProtoKind::kString:
    case ProtoKind::kBytes: {
      absl::StatusOr<std::string> bytes = ReadString(wire);
      if (!bytes.ok()) return bytes.status();
      boost::json::value value = field.kind == ProtoKind::kBytes
                                     ? boost::json::value(absl::Base64Escape(*bytes))
                                     : boost::json::value(*bytes);
      if (repeated) {
        Append(out, field.json_name, std::move(value));
      } else if (!bytes->empty() || keep_zero) {
        out[field.json_name] = std::move(value);
      }
      return absl::OkStatus();
    }
    case ProtoKind::kMessage:
    case ProtoKind::kInline:
      return DecodeMessageField(field, wire, out);
    case ProtoKind::kTime:
    case ProtoKind::kMicroTime: {
      if (wire != kLengthDelimited) return WrongWireType(wire);
      absl::StatusOr<boost::json::value> time = ReadTime(field.kind == ProtoKind::kMicroTime);
      if (!time.ok()) return time.status();
      out[field.json_name] = std::move(*time);
      return absl::OkStatus();
    }
    case ProtoKind::kQuantity: {
      if (wire != kLengthDelimited) return WrongWireType(wire);
      absl::StatusOr<std::string> quantity = ReadQuantity();
      if (!quantity.ok()) return quantity.status();
      out[field.json_name] = *quantity;
      return absl::OkStatus();
    }
    case ProtoKind::kIntOrString: {
      if (wire != kLengthDelimited) return WrongWireType(wire);
      bool present = false;
      absl::StatusOr<boost::json::value> value = ReadIntOrString(keep_zero, present);
      if (!value.ok()) return value.status();
      if (present) out[field.json_name] = std::move(*value);
      return absl::OkStatus();
    }
    case ProtoKind::kFieldsV1: {
      if (wire != kLengthDelimited) return WrongWireType(wire);
      absl::StatusOr<boost::json::value> fields = ReadFieldsV1();
      if (!fields.ok()) return fields.status();
      out[field.json_name] = std::move(*fields);
      return absl::OkStatus();
    }
    case ProtoKind::kStringMap:
    case ProtoKind::kBytesMap:
    case ProtoKind::kQuantityMap:
      if (wire != kLengthDelimited) return WrongWireType(wire);
      return DecodeMapEntry(field, out);
  }
  return Malformed("unknown field kind");
}

absl::Status Decoder::DecodeVarintField(const ProtoField& field, uint32_t wire, boost::json::object& out) {
  const bool repeated = (field.flags & kProtoRepeated) != 0;
  const bool keep_zero = (field.flags & kProtoKeepZero) != 0;
  // Go's generated code truncates int32 fields: int32(v).
  auto to_json = [&](uint64_t raw, bool& zero) -> boost::json::value {
    switch (field.kind) {
      case ProtoKind::kInt32: {
        const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(raw));
        zero = v == 0;
        return boost::json::value(static_cast<int64_t>(v));
      }
      case ProtoKind::kBool:
        zero = raw == 0;
        return boost::json::value(raw != 0);
      default:
        zero = raw == 0;
        return boost::json::value(static_cast<int64_t>(raw));
    }
  };
  if (repeated && wire == kLengthDelimited) {  // packed encoding
    return Nested([&]() -> absl::Status {
      while (input_.BytesUntilLimit() > 0) {
        absl::StatusOr<uint64_t> raw = ReadVarint();
        if (!raw.ok()) return raw.status();
        bool zero = false;
        Append(out, field.json_name, to_json(*raw, zero));
      }
      return absl::OkStatus();
    });
  }
  if (wire != kVarint) return WrongWireType(wire);
  absl::StatusOr<uint64_t> raw = ReadVarint();
  if (!raw.ok()) return raw.status();
  bool zero = false;
  boost::json::value value = to_json(*raw, zero);
  if (repeated) {
    Append(out, field.json_name, std::move(value));
  } else if (!zero || keep_zero) {
    out[field.json_name] = std::move(value);
  }
  return absl::OkStatus();
}

absl::Status Decoder::DecodeMessageField(const ProtoField& field, uint32_t wire, boost::json::object& out) {
  if (wire != kLengthDelimited) return WrongWireType(wire);
  const ProtoMessage& spec = *field.message;
  if (field.kind == ProtoKind::kInline) {
    return Nested([&] { return DecodeFields(spec, out); });
  }
  if ((field.flags & kProtoRepeated) != 0) {
    boost::json::object child;
    absl::Status status = Nested([&] { return DecodeFields(spec, child); });
    if (status.ok()) Append(out, field.json_name, std::move(child));
    return status;
  }
  // A repeated occurrence of a singular message merges into the first, as protobuf does.
  boost::json::value& slot = out[field.json_name];
  if (!slot.is_object()) slot.emplace_object();
  boost::json::object& child = slot.as_object();
  return Nested([&] { return DecodeFields(spec, child); });
}

absl::Status Decoder::DecodeMapEntry(const ProtoField& field, boost::json::object& out) {
  std::string key;
  boost::json::value value;
  absl::Status status = Nested([&] {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      if (number == 1) {
        absl::StatusOr<std::string> k = ReadString(wire);
        if (!k.ok()) return k.status();
        key = std::move(*k);
        return absl::OkStatus();
      }
      if (number != 2) return SkipUnknown("map entry", number, wire);
      if (wire != kLengthDelimited) return WrongWireType(wire);
      if (field.kind == ProtoKind::kQuantityMap) {
        absl::StatusOr<std::string> q = ReadQuantity();
        if (!q.ok()) return q.status();
        value = std::move(*q);
        return absl::OkStatus();
      }
      absl::StatusOr<std::string> v = ReadBytes();
      if (!v.ok()) return v.status();
      value = field.kind == ProtoKind::kBytesMap ? absl::Base64Escape(*v) : std::move(*v);
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  if (value.is_null()) value = field.kind == ProtoKind::kQuantityMap ? "0" : "";
  boost::json::value& slot = out[field.json_name];
  if (!slot.is_object()) slot.emplace_object();
  slot.as_object()[key] = std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<boost::json::value> Decoder::ReadTime(bool micro) {
  int64_t seconds = 0;
  int32_t nanos = 0;
  absl::Status status = Nested([&] {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      if (number != 1 && number != 2) return SkipUnknown("Time", number, wire);
      if (wire != kVarint) return WrongWireType(wire);
      absl::StatusOr<uint64_t> raw = ReadVarint();
      if (!raw.ok()) return raw.status();
      if (number == 1) {
        seconds = static_cast<int64_t>(*raw);
      } else {
        nanos = static_cast<int32_t>(static_cast<uint32_t>(*raw));
      }
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  // Go writes a zero Time as an empty message; JSON shows it as null.
  if (seconds == 0 && nanos == 0) return boost::json::value(nullptr);
  if (seconds < kMinSeconds || seconds > kMaxSeconds) return Malformed("time out of range");
  const absl::Time t = absl::FromUnixSeconds(seconds);
  if (!micro) {  // metav1.Time keeps whole seconds only
    return boost::json::value(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()));
  }
  return boost::json::value(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t + absl::Nanoseconds(nanos), absl::UTCTimeZone()));
}

absl::StatusOr<std::string> Decoder::ReadQuantity() {
  std::string quantity;
  absl::Status status = Nested([&] {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      if (number != 1) return SkipUnknown("Quantity", number, wire);
      absl::StatusOr<std::string> s = ReadString(wire);
      if (!s.ok()) return s.status();
      quantity = std::move(*s);
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  if (quantity.empty()) return Malformed("empty quantity");
  return quantity;
}

absl::StatusOr<boost::json::value> Decoder::ReadIntOrString(bool keep_zero, bool& present) {
  uint64_t type = 0;
  int32_t int_value = 0;
  std::string str_value;
  absl::Status status = Nested([&] {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      if (number == 3) {
        absl::StatusOr<std::string> s = ReadString(wire);
        if (!s.ok()) return s.status();
        str_value = std::move(*s);
        return absl::OkStatus();
      }
      if (number != 1 && number != 2) return SkipUnknown("IntOrString", number, wire);
      if (wire != kVarint) return WrongWireType(wire);
      absl::StatusOr<uint64_t> raw = ReadVarint();
      if (!raw.ok()) return raw.status();
      if (number == 1) {
        type = *raw;
      } else {
        int_value = static_cast<int32_t>(static_cast<uint32_t>(*raw));
      }
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  if (type == 1) {
    present = true;
    return boost::json::value(str_value);
  }
  if (type != 0) return Malformed("IntOrString type must be 0 (int) or 1 (string)");
  // Go always writes value-typed IntOrString fields; an unset one is {type 0, intVal 0}.
  present = int_value != 0 || keep_zero;
  return boost::json::value(static_cast<int64_t>(int_value));
}

absl::StatusOr<boost::json::value> Decoder::ReadFieldsV1() {
  std::string raw;
  absl::Status status = Nested([&] {
    return ForEachField([&](int number, uint32_t wire) -> absl::Status {
      if (number != 1) return SkipUnknown("FieldsV1", number, wire);
      absl::StatusOr<std::string> s = ReadString(wire);
      if (!s.ok()) return s.status();
      raw = std::move(*s);
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  if (raw.empty()) return boost::json::value(nullptr);
  absl::StatusOr<boost::json::value> parsed = base::ParseJson(raw);
  if (!parsed.ok()) return Malformed(absl::StrCat("fieldsV1: ", parsed.status().message()));
  return std::move(*parsed);
}

absl::Status Decoder::DecodeEnvelope(Envelope& env) {
  return ForEachField([&](int number, uint32_t wire) -> absl::Status {
    switch (number) {
      case 1:  // typeMeta
        if (wire != kLengthDelimited) return WrongWireType(wire);
        return Nested([&] {
          return ForEachField([&](int n, uint32_t w) -> absl::Status {
            if (n != 1 && n != 2) return SkipUnknown("TypeMeta", n, w);
            absl::StatusOr<std::string> s = ReadString(w);
            if (!s.ok()) return s.status();
            (n == 1 ? env.api_version : env.kind) = std::move(*s);
            return absl::OkStatus();
          });
        });
      case 2:
      case 3:
      case 4: {
        absl::StatusOr<std::string> s = ReadString(wire);
        if (!s.ok()) return s.status();
        if (number == 2) env.raw = std::move(*s);
        if (number == 3) env.content_encoding = std::move(*s);
        return absl::OkStatus();  // 4, contentType, describes raw: always protobuf here
      }
      default:
        return SkipUnknown("Unknown", number, wire);
    }
  });
}

}  // namespace

absl::StatusOr<boost::json::value> DecodeKubernetesProtobuf(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        "protobuf body does not start with the Kubernetes magic prefix \"k8s\\0\"");
  }
  body.remove_prefix(kMagic.size());
  if (body.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("protobuf body too large");
  }
  Envelope env;
  if (absl::Status s = Decoder(body, "Unknown").DecodeEnvelope(env); !s.ok()) return s;
  if (env.kind.empty()) return absl::InvalidArgumentError("protobuf body names no kind");
  if (!env.content_encoding.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("protobuf content encoding \"", env.content_encoding, "\" is not supported"));
  }
  const ProtoMessage* spec = FindProtoMessageForKind(env.api_version, env.kind);
  if (spec == nullptr) {
    return absl::UnimplementedError(absl::StrCat("skiff cannot decode protobuf bodies of kind ", env.kind,
                                                 " (", env.api_version, "); send it as JSON instead"));
  }
  boost::json::value result(boost::json::object_kind);
  boost::json::object& object = result.as_object();
  object["kind"] = env.kind;
  if (!env.api_version.empty()) object["apiVersion"] = env.api_version;
  if (absl::Status s = Decoder(env.raw, env.kind).DecodeMessage(*spec, object); !s.ok()) return s;
  return result;
}

}  // namespace skiff::api
