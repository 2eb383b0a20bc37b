#include "api/apply.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/json_patch.h"
#include "base/json.h"
#include "boost/json/serialize.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

// A path of encoded elements: "f:spec", "k:{\"name\":\"nginx\"}", "v:\"x\"".
using FieldPath = std::vector<std::string>;
// Field names only (list elements transparent): what PatchMeta is asked about.
using SchemaPath = std::vector<std::string>;

constexpr char kConflictsPayloadUrl[] = "type.googleapis.com/skiff.api.ApplyConflicts";

// metadata fields the server owns: never tracked, never taken from an applied configuration.
const std::set<std::string, std::less<>>& ServerMetadataFields() {
  static const auto* fields = new std::set<std::string, std::less<>>{
      "managedFields",     "resourceVersion",           "uid", "creationTimestamp", "generation", "selfLink",
      "deletionTimestamp", "deletionGracePeriodSeconds"};
  return *fields;
}

// ---------------------------------------------------------------------------------------------
// FieldSet: a set of paths stored as a trie (structured-merge-diff's fieldpath.Set).

struct FieldSet {
  bool member = false;
  std::map<std::string, FieldSet> children;

  bool Empty() const { return !member && children.empty(); }

  void Insert(const FieldPath& path) {
    FieldSet* node = this;
    for (const auto& e : path) node = &node->children[e];
    node->member = true;
  }

  const FieldSet* Find(const FieldPath& path) const {
    const FieldSet* node = this;
    for (const auto& e : path) {
      auto it = node->children.find(e);
      if (it == node->children.end()) return nullptr;
      node = &it->second;
    }
    return node;
  }

  bool Has(const FieldPath& path) const {
    const FieldSet* node = Find(path);
    return node != nullptr && node->member;
  }

  // True if `path` or anything below it is a member.
  bool HasAtOrUnder(const FieldPath& path) const {
    const FieldSet* node = Find(path);
    return node != nullptr && !node->Empty();
  }

  void Union(const FieldSet& other) {
    member = member || other.member;
    for (const auto& [k, child] : other.children) children[k].Union(child);
  }

  // Removes every member of `other` (descendants that `other` does not name stay).
  void Subtract(const FieldSet& other) {
    if (other.member) member = false;
    for (auto it = children.begin(); it != children.end();) {
      auto o = other.children.find(it->first);
      if (o != other.children.end()) it->second.Subtract(o->second);
      it = it->second.Empty() ? children.erase(it) : std::next(it);
    }
  }

  // Removes `path` together with everything below it.
  void RemoveSubtree(const FieldPath& path, size_t depth = 0) {
    if (depth == path.size()) {
      member = false;
      children.clear();
      return;
    }
    auto it = children.find(path[depth]);
    if (it == children.end()) return;
    it->second.RemoveSubtree(path, depth + 1);
    if (it->second.Empty()) children.erase(it);
  }

  void Members(FieldPath& prefix, std::vector<FieldPath>* out) const {
    if (member) out->push_back(prefix);
    for (const auto& [k, child] : children) {
      prefix.push_back(k);
      child.Members(prefix, out);
      prefix.pop_back();
    }
  }

  std::vector<FieldPath> Members() const {
    FieldPath prefix;
    std::vector<FieldPath> out;
    Members(prefix, &out);
    return out;
  }

  // fieldsV1 encoding: a member leaf is {}, a member with children also has ".": {}.
  json::value ToJson() const {
    json::object out;
    if (member && !children.empty()) out["."] = json::object();
    for (const auto& [k, child] : children) out[k] = child.ToJson();
    return out;
  }

  static std::optional<FieldSet> FromJson(const json::value& v) {
    const auto* obj = v.if_object();
    if (obj == nullptr) return std::nullopt;
    FieldSet set;
    for (const auto& kv : *obj) {
      std::string_view key = kv.key();
      if (key == ".") {
        set.member = true;
        continue;
      }
      auto child = FromJson(kv.value());
      if (!child.has_value()) return std::nullopt;
      if (child->Empty()) child->member = true;
      set.children[std::string(key)].Union(*child);
    }
    return set;
  }
};

// Kubernetes' printed form of a path: .spec.containers[name="nginx"].image, .finalizers[="x"].
std::string PathString(const FieldPath& path) {
  std::string out;
  for (const auto& e : path) {
    std::string_view body = std::string_view(e).substr(std::min<size_t>(2, e.size()));
    if (e.starts_with("f:")) {
      absl::StrAppend(&out, ".", std::string(body));
    } else if (e.starts_with("v:")) {
      absl::StrAppend(&out, "[=", std::string(body), "]");
    } else if (e.starts_with("k:")) {
      auto key = base::ParseJson(body);
      std::vector<std::string> parts;
      if (key.ok() && key->is_object()) {
        for (const auto& kv : key->get_object()) {
          parts.push_back(absl::StrCat(std::string(kv.key()), "=", json::serialize(kv.value())));
        }
      }
      absl::StrAppend(&out, "[", absl::StrJoin(parts, ","), "]");
    } else {
      absl::StrAppend(&out, "[", std::string(body), "]");
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// How a value is merged and tracked, from the schema.

enum class Shape { kScalar, kMap, kAtomic, kKeyedList, kSetList };

bool IsScalar(const json::value& v) { return !v.is_object() && !v.is_array(); }

// The key fields of a list element, sorted by name (as structured-merge-diff orders them).
json::object ItemKey(const json::object& item, const std::vector<std::string>& key_names) {
  std::vector<std::string> names = key_names;
  std::sort(names.begin(), names.end());
  json::object key;
  for (const auto& n : names) {
    if (const auto* v = item.if_contains(n)) key[n] = *v;
  }
  return key;
}

std::string KeyElement(const json::object& item, const std::vector<std::string>& key_names) {
  return "k:" + json::serialize(ItemKey(item, key_names));
}

std::string ValueElement(const json::value& v) { return "v:" + json::serialize(v); }

// Finds the element of `list` that `key` (some or all key fields) designates: an element with
// exactly these key fields wins over one that also has others (e.g. a defaulted protocol).
int FindItem(const json::array& list, const json::object& key) {
  int partial = -1;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto* item = list[i].if_object();
    if (item == nullptr) continue;
    bool match = true;
    for (const auto& kv : key) {
      const auto* v = item->if_contains(kv.key());
      if (v == nullptr || !JsonEqual(*v, kv.value())) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    if (partial < 0) partial = static_cast<int>(i);
  }
  return partial;
}

int FindItemExact(const json::array& list, const json::object& key,
                  const std::vector<std::string>& key_names) {
  for (size_t i = 0; i < list.size(); ++i) {
    const auto* item = list[i].if_object();
    if (item != nullptr && JsonEqual(ItemKey(*item, key_names), key)) return static_cast<int>(i);
  }
  return FindItem(list, key);
}

class Schema {
 public:
  explicit Schema(const PatchMeta& meta) : meta_(meta) {}

  FieldPatchInfo Info(const SchemaPath& path) const {
    std::vector<std::string_view> view(path.begin(), path.end());
    return meta_.Lookup(view);
  }

  // The shape of `v` at `path`; for keyed lists also the key field names.
  Shape ShapeOf(const json::value& v, const SchemaPath& path,
                std::vector<std::string>* keys = nullptr) const {
    if (v.is_object()) return Info(path).atomic_map ? Shape::kAtomic : Shape::kMap;
    const auto* list = v.if_array();
    if (list == nullptr) return Shape::kScalar;
    FieldPatchInfo info = Info(path);
    std::vector<std::string> key_names;
    Shape shape = Shape::kAtomic;
    if (info.list_type == "map") {
      key_names = info.list_map_keys;
      shape = key_names.empty() ? Shape::kAtomic : Shape::kKeyedList;
    } else if (info.list_type == "set") {
      shape = Shape::kSetList;
    } else if (info.list_type.empty() && info.merge) {
      if (info.merge_key.empty()) {
        shape = Shape::kSetList;
      } else {
        key_names = {info.merge_key};
        shape = Shape::kKeyedList;
      }
    }
    if (shape == Shape::kKeyedList) {
      // Elements that cannot be keyed make the list atomic rather than an error.
      for (const auto& item : *list) {
        const auto* obj = item.if_object();
        if (obj == nullptr || ItemKey(*obj, key_names).empty()) return Shape::kAtomic;
      }
      if (keys != nullptr) *keys = std::move(key_names);
    } else if (shape == Shape::kSetList) {
      if (!std::all_of(list->begin(), list->end(), IsScalar)) return Shape::kAtomic;
    }
    return shape;
  }

 private:
  const PatchMeta& meta_;
};

// Removes nulls from objects: in an applied configuration they mean "no opinion".
json::value Clean(const json::value& v) {
  if (const auto* obj = v.if_object()) {
    json::object out;
    for (const auto& kv : *obj) {
      if (!kv.value().is_null()) out[kv.key()] = Clean(kv.value());
    }
    return out;
  }
  if (const auto* list = v.if_array()) {
    json::array out;
    for (const auto& e : *list) out.push_back(Clean(e));
    return out;
  }
  return v;
}

bool IsServerMetadata(const SchemaPath& path, std::string_view field) {
  return path.size() == 1 && path[0] == "metadata" && ServerMetadataFields().contains(field);
}

// ---------------------------------------------------------------------------------------------
// Walks over objects: field sets, merging, diffs, canonical keys, removal.

class Walker {
 public:
  explicit Walker(const PatchMeta& meta) : schema_(meta) {}

  // The fields an applied configuration sets (structured-merge-diff's ToFieldSet).
  void CollectFields(const json::value& v, FieldPath& at, SchemaPath& sp, FieldSet* out) const;

  json::value Merge(const json::value* live, const json::value& applied, SchemaPath& sp) const;

  struct Diff {
    FieldSet added, modified, removed;  // removed: roots of removed subtrees
    bool Empty() const { return added.Empty() && modified.Empty() && removed.Empty(); }
  };
  void Compare(const json::value* before, const json::value* after, FieldPath& at, SchemaPath& sp,
               Diff* diff) const;

  // Rewrites `k:` elements to the full key of the element they designate in `v`.
  void Canonicalize(FieldSet& set, const json::value* v, SchemaPath& sp) const;

  // Deletes the node at `path` from `v` if present.
  static void Remove(json::value& v, const FieldPath& path, size_t depth = 0);

 private:
  void MergeFields(json::object& target, const json::object& applied, SchemaPath& sp) const;
  json::array MergeList(const json::array& live, const json::array& applied, Shape shape,
                        const std::vector<std::string>& keys, SchemaPath& sp) const;
  void CompareFields(const json::object& before, const json::object& after, FieldPath& at, SchemaPath& sp,
                     Diff* diff) const;
  void AddSubtree(const json::value& v, FieldPath& at, SchemaPath& sp, FieldSet* out) const;

  Schema schema_;
};

void Walker::CollectFields(const json::value& v, FieldPath& at, SchemaPath& sp, FieldSet* out) const {
  std::vector<std::string> keys;
  switch (schema_.ShapeOf(v, sp, &keys)) {
    case Shape::kScalar:
      if (!v.is_null() && !at.empty()) out->Insert(at);
      return;
    case Shape::kAtomic:
      if (!at.empty()) out->Insert(at);
      return;
    case Shape::kMap:
      for (const auto& kv : v.get_object()) {
        if (kv.value().is_null() || IsServerMetadata(sp, kv.key())) continue;
        at.push_back(absl::StrCat("f:", std::string(kv.key())));
        sp.emplace_back(kv.key());
        CollectFields(kv.value(), at, sp, out);
        at.pop_back();
        sp.pop_back();
      }
      return;
    case Shape::kKeyedList:
      for (const auto& item : v.get_array()) {
        at.push_back(KeyElement(item.get_object(), keys));
        out->Insert(at);
        for (const auto& kv : item.get_object()) {
          if (kv.value().is_null()) continue;
          at.push_back(absl::StrCat("f:", std::string(kv.key())));
          sp.emplace_back(kv.key());
          CollectFields(kv.value(), at, sp, out);
          at.pop_back();
          sp.pop_back();
        }
        at.pop_back();
      }
      return;
    case Shape::kSetList:
      for (const auto& item : v.get_array()) {
        at.push_back(ValueElement(item));
        out->Insert(at);
        at.pop_back();
      }
      return;
  }
}

json::value Walker::Merge(const json::value* live, const json::value& applied, SchemaPath& sp) const {
  if (live == nullptr || live->is_null()) return Clean(applied);
  std::vector<std::string> applied_keys, live_keys;
  Shape shape = schema_.ShapeOf(applied, sp, &applied_keys);
  if (shape != schema_.ShapeOf(*live, sp, &live_keys)) return Clean(applied);
  switch (shape) {
    case Shape::kMap: {
      json::value out = *live;
      MergeFields(out.get_object(), applied.get_object(), sp);
      return out;
    }
    case Shape::kKeyedList:
    case Shape::kSetList:
      return MergeList(live->get_array(), applied.get_array(), shape, applied_keys, sp);
    default:
      return Clean(applied);
  }
}

void Walker::MergeFields(json::object& target, const json::object& applied, SchemaPath& sp) const {
  for (const auto& kv : applied) {
    if (kv.value().is_null() || IsServerMetadata(sp, kv.key())) continue;
    sp.emplace_back(kv.key());
    json::value merged = Merge(target.if_contains(kv.key()), kv.value(), sp);
    sp.pop_back();
    target[kv.key()] = std::move(merged);
  }
}

// Shared elements are merged and follow the applied order; live-only elements keep their place;
// new elements come where the applied list has them (structured-merge-diff's list merge).
json::array Walker::MergeList(const json::array& live, const json::array& applied, Shape shape,
                              const std::vector<std::string>& keys, SchemaPath& sp) const {
  std::vector<int> live_of_applied(applied.size(), -1);
  std::vector<bool> live_shared(live.size(), false), live_done(live.size(), false);
  for (size_t j = 0; j < applied.size(); ++j) {
    int i = -1;
    if (shape == Shape::kKeyedList) {
      i = FindItemExact(live, ItemKey(applied[j].get_object(), keys), keys);
    } else {
      for (size_t k = 0; k < live.size(); ++k) {
        if (JsonEqual(live[k], applied[j])) {
          i = static_cast<int>(k);
          break;
        }
      }
    }
    if (i >= 0 && live_shared[i]) continue;  // a duplicate in the applied list: first one wins
    live_of_applied[j] = i;
    if (i >= 0) live_shared[i] = true;
  }
  std::vector<bool> applied_dup(applied.size(), false);
  for (size_t j = 0; j < applied.size(); ++j) {
    if (live_of_applied[j] >= 0) continue;
    for (size_t k = 0; k < j; ++k) {
      bool same = shape == Shape::kKeyedList ? JsonEqual(ItemKey(applied[k].get_object(), keys),
                                                         ItemKey(applied[j].get_object(), keys))
                                             : JsonEqual(applied[k], applied[j]);
      if (same) applied_dup[j] = true;
    }
  }

  json::array out;
  size_t i = 0, j = 0;
  auto emit_applied = [&](size_t index) {
    int l = live_of_applied[index];
    if (l >= 0) {
      live_done[l] = true;
      if (shape == Shape::kKeyedList) {
        json::value item = live[l];
        MergeFields(item.get_object(), applied[index].get_object(), sp);
        out.push_back(std::move(item));
      } else {
        out.push_back(live[l]);
      }
    } else if (!applied_dup[index]) {
      out.push_back(Clean(applied[index]));
    }
  };
  while (i < live.size() || j < applied.size()) {
    if (i < live.size() && (!live_shared[i] || live_done[i])) {
      if (!live_shared[i]) out.push_back(live[i]);
      ++i;
      continue;
    }
    if (j < applied.size()) {
      emit_applied(j++);
      continue;
    }
    out.push_back(live[i++]);  // unreachable in practice: shared elements are emitted via `applied`
  }
  return out;
}

void Walker::AddSubtree(const json::value& v, FieldPath& at, SchemaPath& sp, FieldSet* out) const {
  if (v.is_null()) return;
  if (!at.empty()) out->Insert(at);
  std::vector<std::string> keys;
  switch (schema_.ShapeOf(v, sp, &keys)) {
    case Shape::kMap:
      for (const auto& kv : v.get_object()) {
        if (IsServerMetadata(sp, kv.key())) continue;
        at.push_back(absl::StrCat("f:", std::string(kv.key())));
        sp.emplace_back(kv.key());
        AddSubtree(kv.value(), at, sp, out);
        at.pop_back();
        sp.pop_back();
      }
      return;
    case Shape::kKeyedList:
      for (const auto& item : v.get_array()) {
        at.push_back(KeyElement(item.get_object(), keys));
        out->Insert(at);
        for (const auto& kv : item.get_object()) {
          at.push_back(absl::StrCat("f:", std::string(kv.key())));
          sp.emplace_back(kv.key());
          AddSubtree(kv.value(), at, sp, out);
          at.pop_back();
          sp.pop_back();
        }
        at.pop_back();
      }
      return;
    case Shape::kSetList:
      for (const auto& item : v.get_array()) {
        at.push_back(ValueElement(item));
        out->Insert(at);
        at.pop_back();
      }
      return;
    default:
      return;
  }
}

void Walker::CompareFields(const json::object& before, const json::object& after, FieldPath& at,
                           SchemaPath& sp, Diff* diff) const {
  auto visit = [&](std::string_view key, const json::value* b, const json::value* a) {
    if (sp.size() == 1 && sp[0] == "metadata" && key == "managedFields") return;
    at.push_back(absl::StrCat("f:", std::string(key)));
    sp.emplace_back(key);
    Compare(b, a, at, sp, diff);
    at.pop_back();
    sp.pop_back();
  };
  for (const auto& kv : after) visit(kv.key(), before.if_contains(kv.key()), &kv.value());
  for (const auto& kv : before) {
    if (!after.contains(kv.key())) visit(kv.key(), &kv.value(), nullptr);
  }
}

void Walker::Compare(const json::value* before, const json::value* after, FieldPath& at, SchemaPath& sp,
                     Diff* diff) const {
  if (before != nullptr && before->is_null()) before = nullptr;
  if (after != nullptr && after->is_null()) after = nullptr;
  if (before == nullptr && after == nullptr) return;
  if (before == nullptr) {
    AddSubtree(*after, at, sp, &diff->added);
    return;
  }
  if (after == nullptr) {
    if (!at.empty()) diff->removed.Insert(at);
    return;
  }
  std::vector<std::string> keys_before, keys_after;
  Shape shape = schema_.ShapeOf(*after, sp, &keys_after);
  if (shape != schema_.ShapeOf(*before, sp, &keys_before) ||
      (shape == Shape::kKeyedList && keys_before != keys_after)) {
    if (JsonEqual(*before, *after)) return;
    // The value changed kind: the path is modified and whatever hung below it is replaced.
    if (!at.empty()) diff->modified.Insert(at);
    AddSubtree(*after, at, sp, &diff->added);
    FieldSet old;
    AddSubtree(*before, at, sp, &old);
    if (const FieldSet* node = old.Find(at)) {
      for (const auto& [element, child] : node->children) {
        at.push_back(element);
        diff->removed.Insert(at);
        at.pop_back();
      }
    }
    return;
  }
  switch (shape) {
    case Shape::kMap:
      CompareFields(before->get_object(), after->get_object(), at, sp, diff);
      return;
    case Shape::kKeyedList: {
      const auto& b = before->get_array();
      const auto& a = after->get_array();
      std::vector<bool> matched(b.size(), false);
      for (const auto& item : a) {
        json::object key = ItemKey(item.get_object(), keys_after);
        int index = FindItemExact(b, key, keys_after);
        at.push_back("k:" + json::serialize(key));
        if (index >= 0 && !matched[index]) {
          matched[index] = true;
          CompareFields(b[index].get_object(), item.get_object(), at, sp, diff);
        } else {
          AddSubtree(item, at, sp, &diff->added);
        }
        at.pop_back();
      }
      for (size_t i = 0; i < b.size(); ++i) {
        if (matched[i]) continue;
        at.push_back(KeyElement(b[i].get_object(), keys_before));
        diff->removed.Insert(at);
        at.pop_back();
      }
      return;
    }
    case Shape::kSetList: {
      const auto& b = before->get_array();
      const auto& a = after->get_array();
      auto contains = [](const json::array& list, const json::value& v) {
        return std::any_of(list.begin(), list.end(), [&](const json::value& e) { return JsonEqual(e, v); });
      };
      for (const auto& v : a) {
        if (contains(b, v)) continue;
        at.push_back(ValueElement(v));
        diff->added.Insert(at);
        at.pop_back();
      }
      for (const auto& v : b) {
        if (contains(a, v)) continue;
        at.push_back(ValueElement(v));
        diff->removed.Insert(at);
        at.pop_back();
      }
      return;
    }
    default:
      if (!JsonEqual(*before, *after) && !at.empty()) diff->modified.Insert(at);
      return;
  }
}

void Walker::Canonicalize(FieldSet& set, const json::value* v, SchemaPath& sp) const {
  std::map<std::string, FieldSet> rebuilt;
  for (auto& [element, child] : set.children) {
    std::string name = element;
    const json::value* next = nullptr;
    bool pushed = false;
    if (element.starts_with("f:")) {
      std::string field = element.substr(2);
      if (v != nullptr && v->is_object()) next = v->get_object().if_contains(field);
      sp.push_back(field);
      pushed = true;
    } else if (element.starts_with("k:") && v != nullptr && v->is_array()) {
      auto key = base::ParseJson(std::string_view(element).substr(2));
      if (key.ok() && key->is_object()) {
        std::vector<std::string> keys;
        if (schema_.ShapeOf(*v, sp, &keys) != Shape::kKeyedList) {
          for (const auto& kv : key->get_object()) keys.emplace_back(kv.key());
        }
        int index = FindItemExact(v->get_array(), key->get_object(), keys);
        if (index >= 0) {
          next = &v->get_array()[index];
          name = KeyElement(next->get_object(), keys);
        }
      }
    }
    Canonicalize(child, next, sp);
    if (pushed) sp.pop_back();
    rebuilt[name].Union(child);
  }
  set.children = std::move(rebuilt);
}

void Walker::Remove(json::value& v, const FieldPath& path, size_t depth) {
  if (depth >= path.size()) return;
  const std::string& e = path[depth];
  bool last = depth + 1 == path.size();
  if (e.starts_with("f:")) {
    auto* obj = v.if_object();
    if (obj == nullptr) return;
    std::string field = e.substr(2);
    if (last) {
      obj->erase(field);
    } else if (auto* child = obj->if_contains(field)) {
      Remove(*child, path, depth + 1);
    }
    return;
  }
  auto* list = v.if_array();
  if (list == nullptr) return;
  int index = -1;
  if (e.starts_with("k:")) {
    auto key = base::ParseJson(std::string_view(e).substr(2));
    if (!key.ok() || !key->is_object()) return;
    std::vector<std::string> names;
    for (const auto& kv : key->get_object()) names.emplace_back(kv.key());
    index = FindItemExact(*list, key->get_object(), names);
  } else if (e.starts_with("v:")) {
    auto value = base::ParseJson(std::string_view(e).substr(2));
    if (!value.ok()) return;
    for (size_t i = 0; i < list->size(); ++i) {
      if (JsonEqual((*list)[i], *value)) {
        index = static_cast<int>(i);
        break;
      }
    }
  }
  if (index < 0) return;
  if (last) {
    list->erase(list->begin() + index);
  } else {
    Remove((*list)[index], path, depth + 1);
  }
}

// Fields whose ownership is never tracked (structured-merge-diff's ignored/stripped set).
void StripIgnored(FieldSet& set) {
  for (const char* top : {"f:apiVersion", "f:kind"}) set.RemoveSubtree({top});
  auto it = set.children.find("f:metadata");
  if (it == set.children.end()) return;
  it->second.member = false;
  for (const char* field : {"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                            "generation", "managedFields", "resourceVersion"}) {
    it->second.RemoveSubtree({absl::StrCat("f:", field)});
  }
  if (it->second.Empty()) set.children.erase(it);
}

// ---------------------------------------------------------------------------------------------
// managedFields entries.

struct ManagerEntry {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;

  // Appliers are one manager whatever version they used; updaters are one per version.
  bool SameManager(const ManagerEntry& o) const {
    return manager == o.manager && operation == o.operation && subresource == o.subresource &&
           (operation == "Apply" || api_version == o.api_version);
  }

  // How Kubernetes names a manager in conflict messages.
  std::string Describe() const {
    std::string out = json::serialize(json::value(manager));
    if (!subresource.empty())
      absl::StrAppend(&out, " with subresource ", json::serialize(json::value(subresource)));
    if (operation == "Update") absl::StrAppend(&out, " using ", api_version);
    return out;
  }
};

std::vector<ManagerEntry> DecodeManagedFields(const json::value& obj) {
  std::vector<ManagerEntry> entries;
  const auto* list = base::FindPath(obj, {"metadata", "managedFields"});
  if (list == nullptr || !list->is_array()) return entries;
  for (const auto& raw : list->get_array()) {
    if (!raw.is_object()) continue;
    ManagerEntry e;
    e.manager = base::GetString(raw, {"manager"});
    e.operation = base::GetString(raw, {"operation"});
    e.api_version = base::GetString(raw, {"apiVersion"});
    e.time = base::GetString(raw, {"time"});
    e.subresource = base::GetString(raw, {"subresource"});
    const auto* fields = base::Find(raw, "fieldsV1");
    if (fields == nullptr) continue;
    auto set = FieldSet::FromJson(*fields);
    if (!set.has_value()) continue;
    e.fields = std::move(*set);
    auto same =
        std::find_if(entries.begin(), entries.end(), [&](const ManagerEntry& o) { return o.SameManager(e); });
    if (same != entries.end()) {
      same->fields.Union(e.fields);
    } else {
      entries.push_back(std::move(e));
    }
  }
  return entries;
}

// Writes the non-empty entries in Kubernetes' order (operation, time, manager, apiVersion).
void EncodeManagedFields(std::vector<ManagerEntry> entries, json::value& obj) {
  std::erase_if(entries, [](const ManagerEntry& e) { return e.fields.Empty(); });
  std::sort(entries.begin(), entries.end(), [](const ManagerEntry& a, const ManagerEntry& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  json::object& metadata = base::EnsureObject(obj, {"metadata"});
  if (entries.empty()) {
    metadata.erase("managedFields");
    return;
  }
  json::array list;
  for (const auto& e : entries) {
    json::object entry;
    entry["manager"] = e.manager;
    entry["operation"] = e.operation;
    entry["apiVersion"] = e.api_version;
    if (!e.time.empty()) entry["time"] = e.time;
    entry["fieldsType"] = "FieldsV1";
    entry["fieldsV1"] = e.fields.ToJson();
    if (!e.subresource.empty()) entry["subresource"] = e.subresource;
    list.push_back(std::move(entry));
  }
  metadata["managedFields"] = std::move(list);
}

void CanonicalizeAll(const Walker& walker, std::vector<ManagerEntry>& entries, const json::value& obj) {
  for (auto& e : entries) {
    SchemaPath sp;
    walker.Canonicalize(e.fields, &obj, sp);
  }
}

absl::Status ConflictError(const std::vector<ApplyConflict>& conflicts) {
  std::string message;
  if (conflicts.size() == 1) {
    message = absl::StrCat("Apply failed with 1 conflict: ", conflicts[0].message, ": ", conflicts[0].field);
  } else {
    std::map<std::string, std::vector<std::string>> by_manager;
    for (const auto& c : conflicts) by_manager[c.message].push_back(c.field);
    std::vector<std::string> lines;
    for (const auto& [who, fields] : by_manager) {
      // "conflict with X" -> "conflicts with X:" as Kubernetes prints the grouped form.
      lines.push_back(absl::StrCat("conflicts", who.substr(std::string_view("conflict").size()), ":"));
      for (const auto& f : fields) lines.push_back(absl::StrCat("- ", f));
    }
    message =
        absl::StrCat("Apply failed with ", conflicts.size(), " conflicts: ", absl::StrJoin(lines, "\n"));
  }
  json::array payload;
  for (const auto& c : conflicts) payload.push_back(json::object{{"message", c.message}, {"field", c.field}});
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kConflictsPayloadUrl, absl::Cord(json::serialize(payload)));
  return status;
}

}  // namespace

absl::StatusOr<json::value> ServerSideApply(const json::value* live, const json::value& applied,
                                            const std::string& manager, bool force, const PatchMeta& meta,
                                            std::string_view api_version, std::string_view now_rfc3339) {
  if (!applied.is_object()) {
    return absl::InvalidArgumentError("the applied configuration must be a JSON object");
  }
  if (const auto* mf = base::FindPath(applied, {"metadata", "managedFields"});
      mf != nullptr && !mf->is_null()) {
    return absl::InvalidArgumentError("metadata.managedFields must be nil");
  }
  if (live != nullptr && !live->is_object()) {
    return absl::InvalidArgumentError("the live object is not a JSON object");
  }
  Walker walker(meta);
  const json::value empty = json::object();
  const json::value& before = live != nullptr ? *live : empty;

  std::vector<ManagerEntry> entries = DecodeManagedFields(before);
  CanonicalizeAll(walker, entries, before);
  ManagerEntry self{manager, "Apply", std::string(api_version), std::string(now_rfc3339), "", {}};
  auto self_it = std::find_if(entries.begin(), entries.end(),
                              [&](const ManagerEntry& e) { return e.SameManager(self); });
  FieldSet last_applied;
  bool had_entry = self_it != entries.end();
  std::string old_time;
  if (had_entry) {
    last_applied = std::move(self_it->fields);
    old_time = self_it->time;
    entries.erase(self_it);
  }

  SchemaPath sp;
  json::value merged = walker.Merge(&before, applied, sp);

  FieldSet applied_set;
  FieldPath at;
  walker.CollectFields(applied, at, sp, &applied_set);
  walker.Canonicalize(applied_set, &merged, sp);
  StripIgnored(applied_set);

  // Fields applied last time and not now go away unless someone still owns them.
  for (const auto& path : last_applied.Members()) {
    if (applied_set.HasAtOrUnder(path)) continue;
    bool owned = std::any_of(entries.begin(), entries.end(),
                             [&](const ManagerEntry& e) { return e.fields.HasAtOrUnder(path); });
    if (!owned) Walker::Remove(merged, path);
  }

  Walker::Diff diff;
  walker.Compare(&before, &merged, at, sp, &diff);
  bool object_changed = !diff.Empty();
  StripIgnored(diff.added);
  StripIgnored(diff.modified);
  StripIgnored(diff.removed);
  FieldSet changed = diff.added;
  changed.Union(diff.modified);

  std::vector<std::pair<std::string, std::string>> found;  // (manager description, path)
  for (auto& e : entries) {
    for (const auto& path : e.fields.Members()) {
      if (changed.Has(path)) found.emplace_back(e.Describe(), PathString(path));
    }
  }
  if (!found.empty() && !force) {
    std::sort(found.begin(), found.end());
    std::vector<ApplyConflict> conflicts;
    for (auto& [who, field] : found) conflicts.push_back({absl::StrCat("conflict with ", who), field});
    return ConflictError(conflicts);
  }
  for (auto& e : entries) {
    e.fields.Subtract(changed);
    for (const auto& path : diff.removed.Members()) e.fields.RemoveSubtree(path);
  }
  self.fields = std::move(applied_set);
  if (had_entry && !object_changed && !old_time.empty()) self.time = old_time;
  entries.push_back(std::move(self));
  EncodeManagedFields(std::move(entries), merged);
  return merged;
}

void UpdateManagedFields(const json::value* old_obj, json::value& new_obj, const std::string& manager,
                         std::string_view operation, std::string_view api_version,
                         std::string_view now_rfc3339, const PatchMeta& meta, std::string_view subresource) {
  if (!new_obj.is_object()) return;
  Walker walker(meta);
  const json::value empty = json::object();
  const json::value& before = old_obj != nullptr && old_obj->is_object() ? *old_obj : empty;

  // managedFields sent with the write replace the stored ones; [{}] clears them.
  std::vector<ManagerEntry> entries;
  const auto* sent = base::FindPath(new_obj, {"metadata", "managedFields"});
  bool reset = sent != nullptr && sent->is_array() && sent->get_array().size() == 1 &&
               sent->get_array()[0].is_object() && sent->get_array()[0].get_object().empty();
  if (!reset) {
    entries = DecodeManagedFields(new_obj);
    if (entries.empty()) entries = DecodeManagedFields(before);
  }
  CanonicalizeAll(walker, entries, before);

  Walker::Diff diff;
  FieldPath at;
  SchemaPath sp;
  walker.Compare(&before, &new_obj, at, sp, &diff);
  StripIgnored(diff.added);
  StripIgnored(diff.modified);
  StripIgnored(diff.removed);
  FieldSet changed = diff.added;
  changed.Union(diff.modified);
  std::vector<FieldPath> removed = diff.removed.Members();

  ManagerEntry self{manager,
                    std::string(operation),
                    std::string(api_version),
                    std::string(now_rfc3339),
                    std::string(subresource),
                    {}};
  auto self_it = std::find_if(entries.begin(), entries.end(),
                              [&](const ManagerEntry& e) { return e.SameManager(self); });
  if (self_it != entries.end()) {
    self.fields = std::move(self_it->fields);
    if (changed.Empty()) self.time = self_it->time;
    entries.erase(self_it);
  }
  for (auto& e : entries) {
    e.fields.Subtract(changed);
    for (const auto& path : removed) e.fields.RemoveSubtree(path);
  }
  for (const auto& path : removed) self.fields.RemoveSubtree(path);
  self.fields.Union(changed);
  entries.push_back(std::move(self));
  EncodeManagedFields(std::move(entries), new_obj);
}

std::vector<ApplyConflict> ApplyConflictsFromStatus(const absl::Status& status) {
  std::vector<ApplyConflict> out;
  auto payload = status.GetPayload(kConflictsPayloadUrl);
  if (!payload.has_value()) return out;
  auto parsed = base::ParseJson(std::string(*payload));
  if (!parsed.ok() || !parsed->is_array()) return out;
  for (const auto& c : parsed->get_array()) {
    out.push_back({base::GetString(c, {"message"}), base::GetString(c, {"field"})});
  }
  return out;
}

}  // namespace skiff::api
