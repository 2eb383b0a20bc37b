#include "apiserver/crd/crd_status.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

struct UsedNames {
  std::set<std::string> resources;  // plurals, singulars, short names
  std::set<std::string> kinds;      // kinds and list kinds
};

void AddNames(const json::value* names, UsedNames& used) {
  if (!names || !names->is_object()) return;
  for (const char* field : {"plural", "singular"}) {
    std::string v = base::GetString(*names, {field});
    if (!v.empty()) used.resources.insert(v);
  }
  if (const auto* shorts = base::FindPath(*names, {"shortNames"}); shorts && shorts->is_array()) {
    for (const auto& s : shorts->get_array()) {
      if (s.is_string()) used.resources.insert(std::string(s.get_string()));
    }
  }
  for (const char* field : {"kind", "listKind"}) {
    std::string v = base::GetString(*names, {field});
    if (!v.empty()) used.kinds.insert(v);
  }
}

UsedNames NamesInUse(const std::string& group, const std::vector<const json::value*>& others) {
  UsedNames used;
  for (const auto* other : others) {
    if (base::GetString(*other, {"spec", "group"}) != group) continue;
    AddNames(base::FindPath(*other, {"status", "acceptedNames"}), used);
  }
  for (const auto& r : api::AllResources()) {
    if (r.custom || r.group != group) continue;
    used.resources.insert(r.plural);
    used.resources.insert(r.singular);
    for (const auto& s : r.short_names) used.resources.insert(s);
    used.kinds.insert(r.kind);
    used.kinds.insert(r.ListKind());
  }
  return used;
}

std::string Conflict(const std::string& requested, const std::string& accepted, const std::set<std::string>& used) {
  if (requested == accepted || !used.contains(requested)) return "";
  return absl::StrCat("\"", requested, "\" is already in use");
}

const json::value* FindCondition(const json::value& crd, const std::string& type) {
  const auto* conds = base::FindPath(crd, {"status", "conditions"});
  if (!conds || !conds->is_array()) return nullptr;
  for (const auto& c : conds->get_array()) {
    if (base::GetString(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

}  // namespace

bool IsEstablished(const json::value& crd) {
  const auto* c = FindCondition(crd, "Established");
  return c && base::GetString(*c, {"status"}) == "True";
}

void SetCondition(json::value& crd, const std::string& type, const std::string& status, const std::string& reason,
                  const std::string& message, const std::string& now) {
  std::string since = now;
  if (const auto* old = FindCondition(crd, type); old && base::GetString(*old, {"status"}) == status) {
    since = base::GetString(*old, {"lastTransitionTime"}, now);
  }
  json::object cond{{"type", type},     {"status", status},   {"lastTransitionTime", since},
                    {"reason", reason}, {"message", message}};
  json::value& conds = base::EnsureObject(crd, {"status"})["conditions"];
  if (!conds.is_array()) conds = json::array();
  for (auto& c : conds.as_array()) {
    if (base::GetString(c, {"type"}) == type) {
      c = std::move(cond);
      return;
    }
  }
  conds.as_array().push_back(std::move(cond));
}

json::value DesiredStatus(const json::value& crd, const std::vector<const json::value*>& others,
                          const std::string& now) {
  json::value out = crd;
  json::object& status = base::EnsureObject(out, {"status"});
  const json::value* requested = base::FindPath(crd, {"spec", "names"});
  json::object accepted;
  if (const auto* a = base::FindPath(crd, {"status", "acceptedNames"}); a && a->is_object()) accepted = a->get_object();
  json::value accepted_value = accepted;
  UsedNames used = NamesInUse(base::GetString(crd, {"spec", "group"}), others);

  std::string reason, message;
  auto check = [&](const char* field, const std::set<std::string>& pool, const char* conflict_reason) {
    std::string want = requested ? base::GetString(*requested, {field}) : "";
    std::string error = Conflict(want, base::GetString(accepted_value, {field}), pool);
    if (error.empty()) {
      accepted[field] = want;
    } else {
      reason = conflict_reason;
      message = error;
    }
  };
  check("plural", used.resources, "PluralConflict");
  check("singular", used.resources, "SingularConflict");
  // Short names: each must be accepted already or be free.
  {
    std::set<std::string> had;
    if (const auto* s = base::FindPath(accepted_value, {"shortNames"}); s && s->is_array()) {
      for (const auto& n : s->get_array()) {
        if (n.is_string()) had.insert(std::string(n.get_string()));
      }
    }
    std::string error;
    json::array wanted;
    if (const auto* s = requested ? base::FindPath(*requested, {"shortNames"}) : nullptr; s && s->is_array()) {
      for (const auto& n : s->get_array()) {
        if (!n.is_string()) continue;
        std::string name(n.get_string());
        if (!had.contains(name) && used.resources.contains(name)) {
          error = absl::StrCat("\"", name, "\" is already in use");
          break;
        }
        wanted.push_back(n);
      }
    }
    if (error.empty()) {
      if (wanted.empty()) {
        accepted.erase("shortNames");
      } else {
        accepted["shortNames"] = std::move(wanted);
      }
    } else {
      reason = "ShortNamesConflict";
      message = error;
    }
  }
  check("kind", used.kinds, "KindConflict");
  check("listKind", used.kinds, "ListKindConflict");
  if (const auto* cats = requested ? base::FindPath(*requested, {"categories"}) : nullptr;
      cats && cats->is_array() && !cats->get_array().empty()) {
    accepted["categories"] = *cats;
  } else {
    accepted.erase("categories");
  }
  for (const char* field : {"singular", "listKind"}) {
    if (const auto* v = accepted.if_contains(field); v && v->is_string() && v->get_string().empty())
      accepted.erase(field);
  }
  status["acceptedNames"] = std::move(accepted);

  bool names_ok = reason.empty();
  if (names_ok) {
    SetCondition(out, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now);
  } else {
    SetCondition(out, "NamesAccepted", "False", reason, message, now);
  }
  if (!IsEstablished(crd)) {
    if (names_ok) {
      // Installing happens before this status is written, so Established follows at once.
      SetCondition(out, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", now);
    } else {
      SetCondition(out, "Established", "False", "NotAccepted", "not all names are accepted", now);
    }
  }
  // storedVersions: every version ever used for storage (kube only appends).
  json::array stored;
  if (const auto* s = base::FindPath(crd, {"status", "storedVersions"}); s && s->is_array()) stored = s->get_array();
  if (const auto* versions = base::FindPath(crd, {"spec", "versions"}); versions && versions->is_array()) {
    for (const auto& v : versions->get_array()) {
      if (!base::GetBool(v, {"storage"})) continue;
      json::value name = json::string(base::GetString(v, {"name"}));
      if (std::find(stored.begin(), stored.end(), name) == stored.end()) stored.push_back(name);
    }
  }
  base::EnsureObject(out, {"status"})["storedVersions"] = std::move(stored);
  return out.as_object()["status"];
}

}  // namespace skiff::apiserver::crd
