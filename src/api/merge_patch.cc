#include "api/merge_patch.h"

#include <utility>

#include "api/json_patch.h"
#include "boost/json/object.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

// A patch value placed where the target has nothing to merge with: nulls inside it mean
// "absent", so they are dropped (RFC 7386 applies the patch to an empty object).
json::value WithoutNulls(const json::value& patch) {
  const auto* obj = patch.if_object();
  if (obj == nullptr) return patch;
  json::object out;
  for (const auto& kv : *obj) {
    if (kv.value().is_null()) continue;
    out[kv.key()] = WithoutNulls(kv.value());
  }
  return out;
}

void MergeInto(json::value& target, const json::value& patch) {
  const auto* patch_obj = patch.if_object();
  if (patch_obj == nullptr) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  auto& target_obj = target.get_object();
  for (const auto& kv : *patch_obj) {
    if (kv.value().is_null()) {
      target_obj.erase(kv.key());
      continue;
    }
    auto* existing = target_obj.if_contains(kv.key());
    if (existing == nullptr) {
      target_obj[kv.key()] = WithoutNulls(kv.value());
    } else {
      MergeInto(*existing, kv.value());
    }
  }
}

}  // namespace

json::value ApplyMergePatch(const json::value& doc, const json::value& patch) {
  json::value result = doc;
  MergeInto(result, patch);
  return result;
}

json::value CreateMergePatch(const json::value& original, const json::value& modified) {
  const auto* orig_obj = original.if_object();
  const auto* mod_obj = modified.if_object();
  if (orig_obj == nullptr || mod_obj == nullptr) {
    if (JsonEqual(original, modified)) return json::object();
    return modified;
  }
  json::object patch;
  for (const auto& kv : *orig_obj) {
    if (!mod_obj->contains(kv.key())) patch[kv.key()] = nullptr;
  }
  for (const auto& kv : *mod_obj) {
    const auto* before = orig_obj->if_contains(kv.key());
    if (before == nullptr) {
      patch[kv.key()] = kv.value();
    } else if (before->is_object() && kv.value().is_object()) {
      json::value sub = CreateMergePatch(*before, kv.value());
      if (!sub.get_object().empty()) patch[kv.key()] = std::move(sub);
    } else if (!JsonEqual(*before, kv.value())) {
      patch[kv.key()] = kv.value();
    }
  }
  return patch;
}

}  // namespace skiff::api
