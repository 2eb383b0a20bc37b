#include "api/strategic_merge_patch.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/json_patch.h"
#include "boost/json/serialize.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";

bool IsDirectiveKey(std::string_view key) {
  return key == kPatchDirective || key == kRetainKeys || key.starts_with(kSetElementOrder) ||
         key.starts_with(kDeleteFromPrimitiveList);
}

// "$setElementOrder/containers" -> "containers"; nullopt if the "/" is missing.
std::optional<std::string_view> DirectiveField(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() || key[prefix.size()] != '/') return std::nullopt;
  return key.substr(prefix.size() + 1);
}

absl::Status BadSetElementOrder() {
  return absl::InvalidArgumentError("invalid patch format of setElementOrder list");
}

absl::Status NoMergeKey(const json::value& element, std::string_view merge_key) {
  return absl::InvalidArgumentError(absl::StrCat(
      "map: ", json::serialize(element), " does not contain declared merge key: ", std::string(merge_key)));
}

// How list elements are compared: by the merge key for lists of objects, by value otherwise.
const json::value* Identity(const json::value& v, std::string_view merge_key) {
  if (merge_key.empty()) return &v;
  const auto* o = v.if_object();
  return o == nullptr ? nullptr : o->if_contains(merge_key);
}

int IndexOf(const std::vector<json::value>& list, const json::value& v, std::string_view merge_key) {
  const json::value* id = Identity(v, merge_key);
  if (id == nullptr) return -1;
  for (size_t i = 0; i < list.size(); ++i) {
    const json::value* other = Identity(list[i], merge_key);
    if (other != nullptr && JsonEqual(*id, *other)) return static_cast<int>(i);
  }
  return -1;
}

absl::Status RequireMergeKey(const std::vector<json::value>& list, std::string_view merge_key) {
  for (const auto& v : list) {
    if (!v.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a map, but received ", json::serialize(v), " in a list merged by key"));
    }
    if (!v.get_object().contains(merge_key)) return NoMergeKey(v, merge_key);
  }
  return absl::OkStatus();
}

// Kubernetes' normalizeElementOrder: sorts `patch_items` by `patch_order` and `server_only` by
// `server_order`, then interleaves them. A server-only element goes before a patch element only
// when both appear in `server_order` and it came first there; so new elements lead.
absl::StatusOr<std::vector<json::value>> NormalizeElementOrder(std::vector<json::value> patch_items,
                                                               std::vector<json::value> server_only,
                                                               const std::vector<json::value>& patch_order,
                                                               const std::vector<json::value>& server_order,
                                                               std::string_view merge_key) {
  if (!merge_key.empty()) {
    for (const auto& list : {std::cref(patch_items), std::cref(server_only), std::cref(patch_order)}) {
      if (auto st = RequireMergeKey(list.get(), merge_key); !st.ok()) return st;
    }
  }
  auto sort_by = [&](std::vector<json::value>& items, const std::vector<json::value>& order) {
    std::vector<std::pair<int, json::value>> keyed;
    keyed.reserve(items.size());
    for (auto& item : items) {
      int index = IndexOf(order, item, merge_key);
      keyed.emplace_back(index < 0 ? static_cast<int>(order.size()) : index, std::move(item));
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    items.clear();
    for (auto& [index, item] : keyed) items.push_back(std::move(item));
  };
  sort_by(patch_items, patch_order);
  sort_by(server_only, server_order);

  std::vector<json::value> out;
  out.reserve(patch_items.size() + server_only.size());
  size_t i = 0, j = 0;
  while (i < server_only.size() || j < patch_items.size()) {
    bool take_server = j >= patch_items.size();
    if (!take_server && i < server_only.size()) {
      int li = IndexOf(server_order, server_only[i], merge_key);
      int ri = IndexOf(server_order, patch_items[j], merge_key);
      take_server = li >= 0 && ri >= 0 && li < ri;
    }
    if (take_server) {
      out.push_back(std::move(server_only[i++]));
    } else {
      out.push_back(std::move(patch_items[j++]));
    }
  }
  return out;
}

// Splits `merged` into elements named in `names` and the rest, keeping their order.
void Partition(std::vector<json::value> merged, const std::vector<json::value>& names,
               std::string_view merge_key, std::vector<json::value>* named, std::vector<json::value>* rest) {
  for (auto& v : merged) {
    if (IndexOf(names, v, merge_key) >= 0) {
      named->push_back(std::move(v));
    } else {
      rest->push_back(std::move(v));
    }
  }
}

std::vector<json::value> ToVector(const json::array& a) {
  return std::vector<json::value>(a.begin(), a.end());
}

json::array ToArray(std::vector<json::value> v) {
  json::array out;
  out.reserve(v.size());
  for (auto& e : v) out.push_back(std::move(e));
  return out;
}

// The kind that must be uniform across a merged list.
enum class ElementKind { kNone, kObject, kString, kNumber, kBool, kNull, kArray };

ElementKind KindOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return ElementKind::kObject;
    case json::kind::array:
      return ElementKind::kArray;
    case json::kind::string:
      return ElementKind::kString;
    case json::kind::bool_:
      return ElementKind::kBool;
    case json::kind::null:
      return ElementKind::kNull;
    default:
      return ElementKind::kNumber;
  }
}

absl::StatusOr<ElementKind> UniformKind(const json::array& a, const json::array& b) {
  ElementKind kind = ElementKind::kNone;
  for (const auto* list : {&a, &b}) {
    for (const auto& v : *list) {
      ElementKind k = KindOf(v);
      if (k == ElementKind::kArray) return absl::InvalidArgumentError("lists of lists are not supported");
      if (kind != ElementKind::kNone && k != kind) {
        return absl::InvalidArgumentError(absl::StrCat(
            "list element types are not identical: ", json::serialize(a), " and ", json::serialize(b)));
      }
      kind = k;
    }
  }
  return kind;
}

class Merger {
 public:
  explicit Merger(const PatchMeta& meta) : meta_(meta) {}

  // Merges `patch` into `target`. Sets *deleted when the patch says `$patch: delete`.
  absl::Status MergeObject(json::object& target, const json::object& patch, bool* deleted);

 private:
  // Keeps path_ in step with the recursion.
  class PathScope {
   public:
    PathScope(std::vector<std::string>& path, std::string_view field) : path_(path) {
      path_.emplace_back(field);
    }
    ~PathScope() { path_.pop_back(); }

   private:
    std::vector<std::string>& path_;
  };

  FieldPatchInfo Info() const {
    std::vector<std::string_view> view(path_.begin(), path_.end());
    return meta_.Lookup(view);
  }
  std::string PathString() const { return absl::StrJoin(path_, "."); }

  // Merges a list at path_ according to its patch strategy.
  absl::StatusOr<json::array> MergeList(const json::array& original, const json::array& patch);
  absl::StatusOr<json::array> MergeScalarList(const json::array& original, const json::array& patch);
  absl::StatusOr<json::array> MergeObjectList(const json::array& original, const json::array& patch,
                                              const std::string& merge_key);
  // A patch value that has nothing to merge with; nullopt when it deletes itself.
  absl::StatusOr<std::optional<json::value>> Fresh(const json::value& patch);
  // A replacing list: elements are taken from the patch with their directives resolved.
  absl::StatusOr<json::array> FreshList(const json::array& patch);

  absl::Status ApplyRetainKeys(json::object& target, const json::object& patch, const json::value& keys);
  absl::Status ApplySetElementOrder(json::object& target, const json::object& patch, std::string_view field,
                                    const json::value& order);

  const PatchMeta& meta_;
  std::vector<std::string> path_;
};

absl::StatusOr<std::optional<json::value>> Merger::Fresh(const json::value& patch) {
  if (const auto* o = patch.if_object()) {
    json::object out;
    bool deleted = false;
    if (auto st = MergeObject(out, *o, &deleted); !st.ok()) return st;
    if (deleted) return std::nullopt;
    return json::value(std::move(out));
  }
  if (const auto* a = patch.if_array()) {
    auto merged = MergeList(json::array(), *a);
    if (!merged.ok()) return merged.status();
    return json::value(std::move(*merged));
  }
  return patch;
}

absl::StatusOr<json::array> Merger::FreshList(const json::array& patch) {
  json::array out;
  for (const auto& element : patch) {
    if (element.is_array()) {
      auto inner = FreshList(element.get_array());
      if (!inner.ok()) return inner.status();
      out.push_back(std::move(*inner));
      continue;
    }
    auto fresh = Fresh(element);
    if (!fresh.ok()) return fresh.status();
    if (fresh->has_value()) out.push_back(std::move(**fresh));
  }
  return out;
}

absl::StatusOr<json::array> Merger::MergeList(const json::array& original, const json::array& patch) {
  FieldPatchInfo info = Info();
  if (!info.merge) return FreshList(patch);
  if (original.empty() && patch.empty()) return original;
  auto kind = UniformKind(original, patch);
  if (!kind.ok()) return kind.status();
  if (*kind != ElementKind::kObject) return MergeScalarList(original, patch);
  if (info.merge_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge lists of objects without a merge key at ", PathString()));
  }
  return MergeObjectList(original, patch, info.merge_key);
}

absl::StatusOr<json::array> Merger::MergeScalarList(const json::array& original, const json::array& patch) {
  std::vector<json::value> merged;
  for (const auto* list : {&original, &patch}) {
    for (const auto& v : *list) {
      if (IndexOf(merged, v, "") < 0) merged.push_back(v);
    }
  }
  std::vector<json::value> patch_order = ToVector(patch);
  std::vector<json::value> named, rest;
  Partition(std::move(merged), patch_order, "", &named, &rest);
  auto ordered =
      NormalizeElementOrder(std::move(named), std::move(rest), patch_order, ToVector(original), "");
  if (!ordered.ok()) return ordered.status();
  return ToArray(std::move(*ordered));
}

absl::StatusOr<json::array> Merger::MergeObjectList(const json::array& original, const json::array& patch,
                                                    const std::string& merge_key) {
  std::vector<json::value> work = ToVector(original);
  std::vector<const json::object*> regular;
  bool replace = false;
  for (const auto& element : patch) {
    const auto& obj = element.get_object();
    const auto* directive = obj.if_contains(kPatchDirective);
    if (directive == nullptr) {
      regular.push_back(&obj);
      continue;
    }
    if (directive->is_string() && directive->get_string() == "delete") {
      const auto* key = obj.if_contains(merge_key);
      if (key == nullptr) return NoMergeKey(element, merge_key);
      std::erase_if(work, [&](const json::value& v) {
        const json::value* id = Identity(v, merge_key);
        return id != nullptr && JsonEqual(*id, *key);
      });
    } else if (directive->is_string() && directive->get_string() == "replace") {
      replace = true;
    } else if (directive->is_string() && directive->get_string() == "merge") {
      return absl::InvalidArgumentError("merging lists cannot yet be specified in the patch");
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown patch type: ", json::serialize(*directive),
                                                     " in map: ", json::serialize(element)));
    }
  }
  if (replace) {
    json::array out;
    for (const auto* obj : regular) {
      auto fresh = Fresh(*obj);
      if (!fresh.ok()) return fresh.status();
      if (fresh->has_value()) out.push_back(std::move(**fresh));
    }
    return out;
  }

  std::vector<json::value> patch_order;
  for (const auto* obj : regular) {
    const auto* key = obj->if_contains(merge_key);
    if (key == nullptr) return NoMergeKey(*obj, merge_key);
    patch_order.emplace_back(*obj);
    int index = IndexOf(work, patch_order.back(), merge_key);
    if (index >= 0) {
      bool deleted = false;
      if (!work[index].is_object()) return NoMergeKey(work[index], merge_key);
      if (auto st = MergeObject(work[index].get_object(), *obj, &deleted); !st.ok()) return st;
    } else {
      auto fresh = Fresh(*obj);
      if (!fresh.ok()) return fresh.status();
      if (fresh->has_value()) work.push_back(std::move(**fresh));
    }
  }
  std::vector<json::value> named, rest;
  Partition(std::move(work), patch_order, merge_key, &named, &rest);
  auto ordered =
      NormalizeElementOrder(std::move(named), std::move(rest), patch_order, ToVector(original), merge_key);
  if (!ordered.ok()) return ordered.status();
  return ToArray(std::move(*ordered));
}

absl::Status Merger::ApplyRetainKeys(json::object& target, const json::object& patch,
                                     const json::value& keys) {
  const auto* list = keys.if_array();
  if (list == nullptr) return absl::InvalidArgumentError("invalid patch format of retainKeys");
  std::set<std::string, std::less<>> retained;
  for (const auto& k : *list) {
    if (k.is_string()) retained.emplace(k.get_string());
  }
  for (const auto& kv : patch) {
    if (kv.value().is_null() || IsDirectiveKey(kv.key())) continue;
    if (!retained.contains(std::string_view(kv.key()))) {
      return absl::InvalidArgumentError(absl::StrCat("invalid patch format of retainKeys: field \"",
                                                     std::string(kv.key()), "\" is not in $retainKeys"));
    }
  }
  std::vector<std::string> drop;
  for (const auto& kv : target) {
    if (!retained.contains(std::string_view(kv.key()))) drop.emplace_back(kv.key());
  }
  for (const auto& k : drop) target.erase(k);
  return absl::OkStatus();
}

// Checks that the patch list's elements (deletions aside) appear in the same relative order as
// in the $setElementOrder list, then merges the list and orders the result by that list.
absl::Status Merger::ApplySetElementOrder(json::object& target, const json::object& patch,
                                          std::string_view field, const json::value& order_value) {
  const auto* order_list = order_value.if_array();
  if (order_list == nullptr) return BadSetElementOrder();
  PathScope scope(path_, field);
  const std::string merge_key = Info().merge_key;

  const json::array* original = nullptr;
  if (const auto* v = target.if_contains(field)) {
    original = v->if_array();
    if (original == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("expected a list at ", PathString(),
                                                     " for $setElementOrder, found ", json::serialize(*v)));
    }
  }
  const json::array* patch_list = nullptr;
  if (const auto* v = patch.if_contains(field)) {
    patch_list = v->if_array();
    if (patch_list == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("expected a list in the patch at ", PathString(),
                                                     " for $setElementOrder, found ", json::serialize(*v)));
    }
  }

  std::vector<json::value> order = ToVector(*order_list);
  if (patch_list != nullptr && !order.empty()) {
    size_t pi = 0, oi = 0;
    std::vector<const json::value*> items;
    for (const auto& v : *patch_list) {
      const auto* o = v.if_object();
      if (!merge_key.empty() && o != nullptr && o->contains(kPatchDirective)) continue;
      items.push_back(&v);
    }
    while (pi < items.size() && oi < order.size()) {
      if (!merge_key.empty()) {
        if (Identity(*items[pi], merge_key) == nullptr) return NoMergeKey(*items[pi], merge_key);
        if (Identity(order[oi], merge_key) == nullptr) return NoMergeKey(order[oi], merge_key);
      }
      const json::value* a = Identity(*items[pi], merge_key);
      const json::value* b = Identity(order[oi], merge_key);
      if (JsonEqual(*a, *b)) ++pi;
      ++oi;
    }
    if (pi < items.size()) {
      return absl::InvalidArgumentError(absl::StrCat("the order in patch list ", json::serialize(*patch_list),
                                                     " doesn't match $setElementOrder list ",
                                                     json::serialize(*order_list)));
    }
  }

  json::array merged;
  if (original != nullptr && patch_list == nullptr) {
    merged = *original;
  } else if (patch_list != nullptr) {
    auto m = MergeList(original != nullptr ? *original : json::array(), *patch_list);
    if (!m.ok()) return m.status();
    merged = std::move(*m);
  } else {
    return absl::OkStatus();
  }

  std::vector<json::value> named, rest;
  Partition(ToVector(merged), order, merge_key, &named, &rest);
  auto ordered = NormalizeElementOrder(std::move(named), std::move(rest), order,
                                       original != nullptr ? ToVector(*original) : std::vector<json::value>{},
                                       merge_key);
  if (!ordered.ok()) return ordered.status();
  target[field] = ToArray(std::move(*ordered));
  return absl::OkStatus();
}

absl::Status Merger::MergeObject(json::object& target, const json::object& patch, bool* deleted) {
  if (const auto* directive = patch.if_contains(kPatchDirective)) {
    std::string_view d = directive->is_string() ? std::string_view(directive->get_string()) : "";
    if (d == "delete") {
      *deleted = true;
      return absl::OkStatus();
    }
    if (d == "replace") {
      target.clear();
    } else if (d != "merge") {
      return absl::InvalidArgumentError(absl::StrCat("unknown patch type: ", json::serialize(*directive),
                                                     " in map: ", json::serialize(patch)));
    }
  }
  if (const auto* keys = patch.if_contains(kRetainKeys)) {
    if (auto st = ApplyRetainKeys(target, patch, *keys); !st.ok()) return st;
  }

  std::set<std::string, std::less<>> ordered_fields;
  for (const auto& kv : patch) {
    if (!std::string_view(kv.key()).starts_with(kSetElementOrder)) continue;
    auto field = DirectiveField(kv.key(), kSetElementOrder);
    if (!field.has_value()) return BadSetElementOrder();
    if (auto st = ApplySetElementOrder(target, patch, *field, kv.value()); !st.ok()) return st;
    ordered_fields.emplace(*field);
  }

  std::vector<std::pair<std::string_view, const json::value*>> deletions;
  for (const auto& kv : patch) {
    std::string_view key = kv.key();
    if (key.starts_with(kDeleteFromPrimitiveList)) {
      auto field = DirectiveField(key, kDeleteFromPrimitiveList);
      if (!field.has_value() || !kv.value().is_array()) {
        return absl::InvalidArgumentError("invalid patch format of primitive list");
      }
      deletions.emplace_back(*field, &kv.value());
      continue;
    }
    if (IsDirectiveKey(key) || ordered_fields.contains(key)) continue;
    PathScope scope(path_, key);
    const json::value& value = kv.value();
    if (value.is_null()) {
      target.erase(key);
      continue;
    }
    json::value* existing = target.if_contains(key);
    if (existing != nullptr && existing->is_object() && value.is_object()) {
      bool child_deleted = false;
      if (auto st = MergeObject(existing->get_object(), value.get_object(), &child_deleted); !st.ok()) {
        return st;
      }
      if (child_deleted) target.erase(key);
      continue;
    }
    if (existing != nullptr && existing->is_array() && value.is_array()) {
      auto merged = MergeList(existing->get_array(), value.get_array());
      if (!merged.ok()) return merged.status();
      *existing = std::move(*merged);
      continue;
    }
    auto fresh = Fresh(value);
    if (!fresh.ok()) return fresh.status();
    if (fresh->has_value()) {
      target[key] = std::move(**fresh);
    } else {
      target.erase(key);
    }
  }

  for (const auto& [field, values] : deletions) {
    json::value* existing = target.if_contains(field);
    if (existing == nullptr || !existing->is_array()) continue;
    const auto& remove = values->get_array();
    auto& list = existing->get_array();
    auto end = std::remove_if(list.begin(), list.end(), [&](const json::value& v) {
      return std::any_of(remove.begin(), remove.end(), [&](const json::value& r) { return JsonEqual(v, r); });
    });
    list.erase(end, list.end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json::value> ApplyStrategicMergePatch(const json::value& original, const json::value& patch,
                                                     const PatchMeta& meta) {
  const auto* patch_obj = patch.if_object();
  if (patch_obj == nullptr) {
    return absl::InvalidArgumentError("a strategic merge patch must be a JSON object");
  }
  json::value result = original.is_object() ? original : json::value(json::object());
  bool deleted = false;
  Merger merger(meta);
  if (auto st = merger.MergeObject(result.get_object(), *patch_obj, &deleted); !st.ok()) return st;
  if (deleted) return json::value(json::object());
  return result;
}

}  // namespace skiff::api
