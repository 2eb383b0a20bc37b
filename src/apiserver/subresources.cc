#include "apiserver/subresources.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/apply.h"
#include "api/go_format.h"
#include "api/json_patch.h"
#include "api/merge_patch.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/schema.h"
#include "api/strategic_merge_patch.h"
#include "api/validation.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/eviction_budget.h"
#include "apiserver/schema_admission.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

std::string SelectorString(const json::value& labels) {
  std::vector<std::string> parts;
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.get_object()) {
      if (v.is_string()) parts.push_back(absl::StrCat(std::string(k), "=", std::string(v.get_string())));
    }
  }
  return absl::StrJoin(parts, ",");
}

// Kubernetes decodes the result of a JSON, merge or strategic merge patch into the typed object
// before anything else: a value of the wrong JSON type (`{"metadata":"x"}`, `{"spec":5}`) fails
// that decoding (422 Invalid on field "patch"), and a result without a name (`$patch: delete` at
// the root, `{"metadata":null}`) fails the name check against the URL (400).
absl::Status CheckPatchedObject(const api::ResourceInfo& r, const std::string& name, const json::value& patched) {
  auto invalid = [&](const std::string& decode_error) {
    return api::InvalidError("", "", "",
                        {{std::string(api::kFieldValueInvalid),
                          absl::StrCat("Invalid value: ", api::GoQuote(base::ToJson(patched)), ": ", decode_error),
                          "patch"}});
  };
  if (!patched.is_object()) {
    api::FieldError e{std::string(api::kFieldValueTypeInvalid), "", patched, "", "", r.version + "." + r.kind};
    return invalid(api::DecodeErrorMessage(e));
  }
  if (const api::TypeSchema* type = TypeFor(api::BuiltinSchemas(), r)) {
    for (const api::FieldError& e : api::ValidateObject(*type, patched)) {
      if (e.type == api::kFieldValueTypeInvalid) return invalid(api::DecodeErrorMessage(e));
    }
  }
  if (api::Name(patched).empty()) {
    return api::BadRequestError(
        absl::StrCat("the name of the object (", name, " based on URL) was undeterminable: name must be provided"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json::value> ComputePatch(const api::ResourceInfo& r, const std::string& ns,
                                         const std::string& name, const json::value* live,
                                         const std::string& type, const json::value& patch,
                                         const std::string& manager, bool force, const std::string& now) {
  const api::PatchMeta& meta = api::PatchMetaFor(r);
  absl::StatusOr<json::value> next;
  if (type == kApplyPatch) {
    json::value applied = patch;
    if (live == nullptr) {
      auto& m = base::EnsureObject(applied, {"metadata"});
      m["name"] = name;
      if (r.namespaced) m["namespace"] = ns;
    }
    next = api::ServerSideApply(live, applied, manager, force, meta, r.GroupVersion(), now);
    if (!next.ok() && absl::IsAborted(next.status())) {
      api::ApiError e{409, "Conflict", std::string(next.status().message()), name, r.group, r.plural};
      for (const auto& c : api::ApplyConflictsFromStatus(next.status())) {
        e.causes.push_back({"FieldManagerConflict", c.message, c.field});
      }
      return api::ToStatus(e);
    }
    return next;
  }
  const json::value empty;
  const json::value& base = live ? *live : empty;
  if (type == kJsonPatch) {
    next = api::ApplyJsonPatch(base, patch);
    if (!next.ok())
      return api::ToStatus({422, "Invalid", std::string(next.status().message()), name, r.group, r.plural});
  } else if (type == kMergePatch) {
    next = api::ApplyMergePatch(base, patch);
    if (!next.ok()) return next.status();
  } else {
    next = api::ApplyStrategicMergePatch(base, patch, meta);
    if (!next.ok()) return api::BadRequestError(std::string(next.status().message()));
  }
  if (auto s = CheckPatchedObject(r, name, *next); !s.ok()) return s;
  return next;
}

namespace {

// The value at a custom resource's scale path (".spec.replicas"), or nullptr.
const json::value* AtFieldPath(const json::value& obj, const std::string& path) {
  const json::value* cur = &obj;
  for (const auto& part : crd::SplitFieldPath(path)) {
    const auto* o = cur->if_object();
    cur = o ? o->if_contains(part) : nullptr;
    if (!cur) return nullptr;
  }
  return path.empty() ? nullptr : cur;
}

// Sets the value at a custom resource's scale path, creating objects on the way.
void SetFieldPath(json::value& obj, const std::string& path, json::value v) {
  auto parts = crd::SplitFieldPath(path);
  if (parts.empty()) return;
  json::value* cur = &obj;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!cur->is_object()) *cur = json::object();
    cur = &cur->as_object()[parts[i]];
  }
  if (!cur->is_object()) *cur = json::object();
  cur->as_object()[parts.back()] = std::move(v);
}

int64_t IntAt(const json::value& obj, const std::string& path, int64_t fallback) {
  const json::value* v = AtFieldPath(obj, path);
  if (v && (v->is_int64() || v->is_uint64())) return v->to_number<int64_t>();
  return fallback;
}

}  // namespace

json::value ScaleOf(const api::ResourceInfo& r, const ObjectPtr& obj) {
  const json::value o = obj->Parse();
  if (r.custom) {
    const api::CustomResourceInfo& c = *r.custom;
    json::object meta{{"name", obj->name},
                      {"uid", api::Uid(o)},
                      {"resourceVersion", std::to_string(obj->revision)},
                      {"creationTimestamp", base::GetString(o, {"metadata", "creationTimestamp"})}};
    if (!obj->namespace_name.empty()) meta["namespace"] = obj->namespace_name;
    json::object status{{"replicas", IntAt(o, c.status_replicas_path, 0)}};
    if (const auto* sel = AtFieldPath(o, c.label_selector_path); sel && sel->is_string()) status["selector"] = *sel;
    return json::object{{"kind", "Scale"},
                        {"apiVersion", "autoscaling/v1"},
                        {"metadata", std::move(meta)},
                        {"spec", json::object{{"replicas", IntAt(o, c.spec_replicas_path, 0)}}},
                        {"status", std::move(status)}};
  }
  json::object meta{{"name", obj->name},
                    {"namespace", obj->namespace_name},
                    {"uid", api::Uid(o)},
                    {"resourceVersion", std::to_string(obj->revision)},
                    {"creationTimestamp", base::GetString(o, {"metadata", "creationTimestamp"})}};
  std::string selector;
  if (const auto* sel = base::FindPath(o, {"spec", "selector"})) {
    if (r.group.empty()) {
      selector = SelectorString(*sel);  // ReplicationController: a plain label map
    } else if (const auto* ml = base::FindPath(*sel, {"matchLabels"}); ml && ml->is_object()) {
      selector = SelectorString(*ml);
    }
  }
  return json::object{{"kind", "Scale"},
                      {"apiVersion", "autoscaling/v1"},
                      {"metadata", std::move(meta)},
                      {"spec", json::object{{"replicas", base::GetInt(o, {"spec", "replicas"}, 1)}}},
                      {"status", json::object{{"replicas", base::GetInt(o, {"status", "replicas"}, 0)},
                                              {"selector", selector}}}};
}

absl::StatusOr<json::value> ApplyScale(const api::ResourceInfo& r, const ObjectPtr& current,
                                       const std::string& name, bool update, const std::string& type,
                                       const json::value& body) {
  json::value scale = ScaleOf(r, current);
  absl::StatusOr<json::value> next;
  if (update) {
    next = body;
    std::string rv = api::ResourceVersion(body);
    if (!rv.empty() && rv != std::to_string(current->revision)) {
      return api::ConflictError(
          r.group, r.plural, name,
          "the object has been modified; please apply your changes to the latest version and "
          "try again");
    }
  } else if (type == kJsonPatch) {
    next = api::ApplyJsonPatch(scale, body);
  } else if (type == kStrategicMergePatch || type == kMergePatch) {
    next = api::ApplyMergePatch(scale, body);
  } else {
    return api::UnsupportedMediaTypeError(absl::StrCat("unsupported patch type for scale: ", type));
  }
  if (!next.ok()) return api::BadRequestError(std::string(next.status().message()));
  const auto* replicas = base::FindPath(*next, {"spec", "replicas"});
  if (!replicas || !(replicas->is_int64() || replicas->is_uint64())) {
    return api::InvalidError("autoscaling", "Scale", name,
                        {{"FieldValueRequired", "Required value", "spec.replicas"}});
  }
  int64_t n = replicas->to_number<int64_t>();
  if (n < 0) {
    return api::InvalidError(
        "autoscaling", "Scale", name,
        {{"FieldValueInvalid", absl::StrCat("Invalid value: ", n, ": must be greater than or equal to 0"),
          "spec.replicas"}});
  }
  json::value obj = current->Parse();
  if (r.custom) {
    SetFieldPath(obj, r.custom->spec_replicas_path, n);
    base::EnsureObject(obj, {"metadata"}).erase("resourceVersion");
    return obj;
  }
  base::EnsureObject(obj, {"spec"})["replicas"] = n;
  base::EnsureObject(obj, {"metadata"}).erase("resourceVersion");
  return obj;
}

absl::StatusOr<ObjectPtr> BindPod(ResourceStorage* storage, const std::string& ns, const std::string& pod,
                                  const std::string& node, absl::Time now, WriteOptions options) {
  if (node.empty()) {
    return api::InvalidError("", "Binding", pod, {{"FieldValueRequired", "Required value", "target.name"}});
  }
  const api::ResourceInfo* pods = api::FindResource("", "v1", "pods");
  options.subresource = "binding";  // may set spec.nodeName and status together
  // As kube's BindingREST, which sets the fields in storage directly: the field manager applies to
  // the Binding (never stored), not to the pod, so the pod's managedFields stay as they were.
  options.field_manager.clear();
  return storage->Update(
      *pods, ns, pod,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value obj = current->Parse();
        std::string existing = api::NodeName(obj);
        if (!existing.empty()) {
          return api::ConflictError("", "pods", pod,
                               absl::StrCat("pod ", pod, " is already assigned to node \"", existing, "\""));
        }
        if (api::IsBeingDeleted(obj)) {
          return api::ConflictError("", "pods", pod, "pod is being deleted, cannot be assigned to a host");
        }
        base::EnsureObject(obj, {"spec"})["nodeName"] = node;
        // The PodScheduled condition is recorded with the binding, as the real registry does.
        auto& status = base::EnsureObject(obj, {"status"});
        json::array conditions;
        if (auto* c = status.if_contains("conditions"); c && c->is_array()) conditions = c->get_array();
        json::array kept;
        for (auto& c : conditions) {
          if (base::GetString(c, {"type"}) != "PodScheduled") kept.push_back(c);
        }
        kept.push_back(json::object{{"type", "PodScheduled"},
                                    {"status", "True"},
                                    {"lastProbeTime", nullptr},
                                    {"lastTransitionTime", base::FormatRfc3339(now)}});
        status["conditions"] = std::move(kept);
        base::EnsureObject(obj, {"metadata"}).erase("resourceVersion");
        return obj;
      },
      options, /*retry_on_conflict=*/true);
}

absl::StatusOr<ObjectPtr> EvictPod(ResourceStorage* storage, const base::Clock& clock,
                                   const api::ResourceInfo& pods, const std::string& ns,
                                   const std::string& name, const json::value& body, bool dry_run,
                                   const User* user) {
  std::string body_name = api::Name(body);
  if (!body_name.empty() && body_name != name) {
    return api::BadRequestError("name in URL does not match name in Eviction object");
  }
  // PodDisruptionBudgets may refuse the eviction (429) before anything is deleted.
  if (auto s = ChargeDisruptionBudget(storage, clock, ns, name, dry_run); !s.ok()) return s;
  DeleteOptions options;
  options.dry_run = dry_run;
  options.user = user;
  if (const auto* g = base::FindPath(body, {"deleteOptions", "gracePeriodSeconds"}); g && g->is_int64()) {
    options.grace_period_seconds = g->get_int64();
  }
  options.precondition_uid = base::GetString(body, {"deleteOptions", "preconditions", "uid"});
  bool deleted = false;
  return storage->Delete(pods, ns, name, options, &deleted);
}

json::value FinalizeNamespace(const ObjectPtr& current, const json::value& body) {
  json::value next = current->Parse();
  const auto* fin = base::FindPath(body, {"spec", "finalizers"});
  base::EnsureObject(next, {"spec"})["finalizers"] = fin ? *fin : json::array();
  return next;
}

}  // namespace skiff::apiserver
