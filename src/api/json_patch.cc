#include "api/json_patch.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/json/serialize.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

// Copies may not add more than this many JSON nodes in total: a patch of a few hundred `copy`
// operations doubling the document would otherwise exhaust memory.
constexpr size_t kMaxCopiedNodes = 200000;

bool IsNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    auto as_double = [](const json::value& v) {
      if (v.is_double()) return v.get_double();
      if (v.is_int64()) return static_cast<double>(v.get_int64());
      return static_cast<double>(v.get_uint64());
    };
    return as_double(a) == as_double(b);
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;  // one signed, one unsigned
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
}

// Counts nodes up to `limit` (stops early: only "is it too big" matters).
size_t CountNodes(const json::value& v, size_t limit) {
  size_t n = 1;
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (n >= limit) break;
      n += CountNodes(kv.value(), limit - n);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a) {
      if (n >= limit) break;
      n += CountNodes(e, limit - n);
    }
  }
  return n;
}

// Parses an array index token: decimal digits without leading zeros.
bool ParseIndex(std::string_view token, size_t* index) {
  if (token.empty() || token.size() > 18) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  *index = n;
  return true;
}

// Applies one operation at a time to `doc_`.
class Patcher {
 public:
  explicit Patcher(json::value doc) : doc_(std::move(doc)) {}

  absl::Status Apply(const json::value& op_value, size_t op_index);
  json::value Release() { return std::move(doc_); }

 private:
  // The container holding the last token of `path`, or nullptr when an intermediate step is
  // missing or not a container.
  json::value* Parent(const std::vector<std::string>& path);
  // The value at `path`, or nullptr.
  json::value* Find(const std::vector<std::string>& path);

  absl::Status Add(const std::string& op, const std::string& pointer, const std::vector<std::string>& path,
                   json::value value);
  absl::Status Remove(const std::string& op, const std::string& pointer,
                      const std::vector<std::string>& path);
  absl::Status Replace(const std::string& pointer, const std::vector<std::string>& path, json::value value);

  json::value doc_;
  size_t copied_nodes_ = 0;
};

absl::Status MissingError(const std::string& op, const std::string& what, const std::string& pointer) {
  return absl::InvalidArgumentError(
      absl::StrCat("jsonpatch ", op, " operation does not apply: doc is missing ", what, ": ", pointer));
}

json::value* Patcher::Parent(const std::vector<std::string>& path) {
  json::value* cur = &doc_;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (auto* o = cur->if_object()) {
      cur = o->if_contains(path[i]);
    } else if (auto* a = cur->if_array()) {
      size_t index;
      if (!ParseIndex(path[i], &index) || index >= a->size()) return nullptr;
      cur = &(*a)[index];
    } else {
      return nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

json::value* Patcher::Find(const std::vector<std::string>& path) {
  if (path.empty()) return &doc_;
  json::value* parent = Parent(path);
  if (parent == nullptr) return nullptr;
  if (auto* o = parent->if_object()) return o->if_contains(path.back());
  if (auto* a = parent->if_array()) {
    size_t index;
    if (!ParseIndex(path.back(), &index) || index >= a->size()) return nullptr;
    return &(*a)[index];
  }
  return nullptr;
}

absl::Status Patcher::Add(const std::string& op, const std::string& pointer,
                          const std::vector<std::string>& path, json::value value) {
  if (path.empty()) {
    doc_ = std::move(value);
    return absl::OkStatus();
  }
  json::value* parent = Parent(path);
  if (parent == nullptr) return MissingError(op, "path", pointer);
  if (auto* o = parent->if_object()) {
    (*o)[path.back()] = std::move(value);
    return absl::OkStatus();
  }
  if (auto* a = parent->if_array()) {
    if (path.back() == "-") {
      a->push_back(std::move(value));
      return absl::OkStatus();
    }
    size_t index;
    if (!ParseIndex(path.back(), &index)) {
      return absl::InvalidArgumentError(
          absl::StrCat("jsonpatch ", op, " operation does not apply: invalid array index in ", pointer));
    }
    if (index > a->size()) {
      return absl::InvalidArgumentError(absl::StrCat("jsonpatch ", op, " operation does not apply: index ",
                                                     index, " out of bounds for ", pointer, " (length ",
                                                     a->size(), ")"));
    }
    a->insert(a->begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
    return absl::OkStatus();
  }
  return MissingError(op, "path", pointer);
}

absl::Status Patcher::Remove(const std::string& op, const std::string& pointer,
                             const std::vector<std::string>& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jsonpatch ", op, " operation does not apply: cannot remove the whole document"));
  }
  json::value* parent = Parent(path);
  if (parent == nullptr) return MissingError(op, "path", pointer);
  if (auto* o = parent->if_object()) {
    if (o->erase(path.back()) == 0) return MissingError(op, "path", pointer);
    return absl::OkStatus();
  }
  if (auto* a = parent->if_array()) {
    size_t index;
    if (!ParseIndex(path.back(), &index) || index >= a->size()) return MissingError(op, "path", pointer);
    a->erase(a->begin() + static_cast<std::ptrdiff_t>(index));
    return absl::OkStatus();
  }
  return MissingError(op, "path", pointer);
}

absl::Status Patcher::Replace(const std::string& pointer, const std::vector<std::string>& path,
                              json::value value) {
  json::value* target = Find(path);
  if (target == nullptr) return MissingError("replace", "key", pointer);
  *target = std::move(value);
  return absl::OkStatus();
}

absl::Status Patcher::Apply(const json::value& op_value, size_t op_index) {
  const auto* op_obj = op_value.if_object();
  if (op_obj == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("jsonpatch operation ", op_index, " is not an object"));
  }
  const auto* op_field = op_obj->if_contains("op");
  if (op_field == nullptr || !op_field->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jsonpatch operation ", op_index, " has no \"op\" string"));
  }
  const std::string op(op_field->get_string());
  const auto* path_field = op_obj->if_contains("path");
  if (path_field == nullptr || !path_field->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jsonpatch ", op, " operation ", op_index, " has no \"path\" string"));
  }
  const std::string pointer(path_field->get_string());
  auto path = ParseJsonPointer(pointer);
  if (!path.ok())
    return absl::InvalidArgumentError(absl::StrCat("jsonpatch ", op, ": ", path.status().message()));

  auto value_field = [&]() -> absl::StatusOr<const json::value*> {
    const auto* v = op_obj->if_contains("value");
    if (v == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("jsonpatch ", op, " operation does not apply: missing \"value\" for ", pointer));
    }
    return v;
  };
  auto from_path = [&](std::string* from_pointer) -> absl::StatusOr<std::vector<std::string>> {
    const auto* f = op_obj->if_contains("from");
    if (f == nullptr || !f->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("jsonpatch ", op, " operation does not apply: missing \"from\" for ", pointer));
    }
    *from_pointer = std::string(f->get_string());
    auto parsed = ParseJsonPointer(*from_pointer);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("jsonpatch ", op, ": ", parsed.status().message()));
    }
    return parsed;
  };

  if (op == "add") {
    auto v = value_field();
    if (!v.ok()) return v.status();
    return Add(op, pointer, *path, **v);
  }
  if (op == "remove") return Remove(op, pointer, *path);
  if (op == "replace") {
    auto v = value_field();
    if (!v.ok()) return v.status();
    return Replace(pointer, *path, **v);
  }
  if (op == "move" || op == "copy") {
    std::string from_pointer;
    auto from = from_path(&from_pointer);
    if (!from.ok()) return from.status();
    json::value* source = Find(*from);
    if (source == nullptr) return MissingError(op, "from path", from_pointer);
    if (op == "move") {
      if (*from == *path) return absl::OkStatus();
      // A value cannot move into its own child.
      if (from->size() < path->size() && std::equal(from->begin(), from->end(), path->begin())) {
        return absl::InvalidArgumentError(
            absl::StrCat("jsonpatch move operation does not apply: cannot move ", from_pointer,
                         " into its own child ", pointer));
      }
      json::value moved = std::move(*source);
      if (auto st = Remove(op, from_pointer, *from); !st.ok()) return st;
      return Add(op, pointer, *path, std::move(moved));
    }
    copied_nodes_ += CountNodes(*source, kMaxCopiedNodes + 1);
    if (copied_nodes_ > kMaxCopiedNodes) {
      return absl::InvalidArgumentError(
          "jsonpatch copy operation does not apply: the copied values exceed the size limit");
    }
    json::value copy = *source;
    return Add(op, pointer, *path, std::move(copy));
  }
  if (op == "test") {
    auto v = value_field();
    if (!v.ok()) return v.status();
    const json::value* target = Find(*path);
    if (target == nullptr) {
      // RFC 6902: testing an absent member against null is a failure, like any mismatch.
      return absl::InvalidArgumentError(
          absl::StrCat("jsonpatch test operation does not apply: doc is missing path: ", pointer));
    }
    if (!JsonEqual(*target, **v)) {
      return absl::InvalidArgumentError(absl::StrCat("jsonpatch testing value ", pointer,
                                                     " failed: expected ", json::serialize(**v), ", found ",
                                                     json::serialize(*target)));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("jsonpatch unexpected kind: ", op));
}

}  // namespace

bool JsonEqual(const json::value& a, const json::value& b) {
  if (IsNumber(a) && IsNumber(b)) return NumbersEqual(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::object: {
      const auto& oa = a.get_object();
      const auto& ob = b.get_object();
      if (oa.size() != ob.size()) return false;
      for (const auto& kv : oa) {
        const auto* other = ob.if_contains(kv.key());
        if (other == nullptr || !JsonEqual(kv.value(), *other)) return false;
      }
      return true;
    }
    case json::kind::array: {
      const auto& aa = a.get_array();
      const auto& ab = b.get_array();
      if (aa.size() != ab.size()) return false;
      for (size_t i = 0; i < aa.size(); ++i) {
        if (!JsonEqual(aa[i], ab[i])) return false;
      }
      return true;
    }
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    default:
      return true;  // null
  }
}

absl::StatusOr<std::vector<std::string>> ParseJsonPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON pointer \"", std::string(pointer),
                                                   "\": it must be empty or start with \"/\""));
  }
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return absl::InvalidArgumentError(absl::StrCat("invalid JSON pointer \"", std::string(pointer),
                                                       "\": \"~\" must be followed by 0 or 1"));
      }
      token.push_back(next == '0' ? '~' : '/');
      ++i;
      continue;
    }
    token.push_back(c);
  }
  return tokens;
}

std::string EscapeJsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string MakeJsonPointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) absl::StrAppend(&out, "/", EscapeJsonPointerToken(t));
  return out;
}

const json::value* ResolveJsonPointer(const json::value& doc, std::string_view pointer) {
  auto tokens = ParseJsonPointer(pointer);
  if (!tokens.ok()) return nullptr;
  const json::value* cur = &doc;
  for (const auto& t : *tokens) {
    if (const auto* o = cur->if_object()) {
      cur = o->if_contains(t);
    } else if (const auto* a = cur->if_array()) {
      size_t index;
      if (!ParseIndex(t, &index) || index >= a->size()) return nullptr;
      cur = &(*a)[index];
    } else {
      return nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

absl::StatusOr<json::value> ApplyJsonPatch(const json::value& doc, const json::value& patch) {
  const auto* ops = patch.if_array();
  if (ops == nullptr) {
    return absl::InvalidArgumentError("a JSON patch must be a JSON array of operations");
  }
  Patcher patcher(doc);
  for (size_t i = 0; i < ops->size(); ++i) {
    if (auto st = patcher.Apply((*ops)[i], i); !st.ok()) return st;
  }
  return patcher.Release();
}

}  // namespace skiff::api
