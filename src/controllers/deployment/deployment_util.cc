#include "controllers/deployment/deployment_util.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/json_patch.h"
#include "api/object_meta.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json/serialize.hpp"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

constexpr size_t kMaxRevisionHistoryChars = 2000;

boost::json::value DropNulls(const boost::json::value& v) {
  if (v.is_object()) {
    boost::json::object out;
    for (const auto& [k, child] : v.get_object()) {
      if (!child.is_null()) out[k] = DropNulls(child);
    }
    return out;
  }
  if (v.is_array()) {
    boost::json::array out;
    for (const auto& child : v.get_array()) out.push_back(DropNulls(child));
    return out;
  }
  return v;
}

void Canonical(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::string_view> keys;
    for (const auto& kv : v.get_object()) keys.push_back(std::string_view(kv.key().data(), kv.key().size()));
    std::sort(keys.begin(), keys.end());
    out.push_back('{');
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += boost::json::serialize(
          boost::json::value(boost::json::string_view(keys[i].data(), keys[i].size())));
      out.push_back(':');
      Canonical(*v.get_object().if_contains(boost::json::string_view(keys[i].data(), keys[i].size())), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& child : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      Canonical(child, out);
    }
    out.push_back(']');
  } else if (v.is_double() && std::floor(v.get_double()) == v.get_double() &&
             std::abs(v.get_double()) < 1e15) {
    out += std::to_string(static_cast<int64_t>(v.get_double()));  // 1.0 and 1 hash alike
  } else {
    out += boost::json::serialize(v);
  }
}

// Annotations the controller manages itself and never copies from a Deployment to its RS.
bool SkipCopy(const std::string& key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" || key == kRevisionAnnotation ||
         key == kRevisionHistoryAnnotation || key == kDesiredReplicasAnnotation ||
         key == kMaxReplicasAnnotation || key == "deprecated.deployment.rollback.to";
}

const boost::json::value* RollingParam(const boost::json::value& d, const char* name) {
  return base::FindPath(d, {"spec", "strategy", "rollingUpdate", name});
}

}  // namespace

boost::json::value NormalizeTemplate(const boost::json::value& tmpl) {
  boost::json::value t = DropNulls(tmpl);
  if (!t.is_object()) return t;
  if (boost::json::value* meta = t.as_object().if_contains("metadata"); meta && meta->is_object()) {
    boost::json::object& m = meta->as_object();
    m.erase("creationTimestamp");
    if (boost::json::value* labels = m.if_contains("labels"); labels && labels->is_object()) {
      labels->as_object().erase(kPodTemplateHashLabel);
    }
    for (const char* field : {"labels", "annotations"}) {
      if (boost::json::value* f = m.if_contains(field); f && f->is_object() && f->as_object().empty())
        m.erase(field);
    }
    if (m.empty()) t.as_object().erase("metadata");
  }
  return t;
}

bool TemplatesEqualIgnoringHash(const boost::json::value& a, const boost::json::value& b) {
  return api::JsonEqual(NormalizeTemplate(a), NormalizeTemplate(b));
}

std::string PodTemplateHash(const boost::json::value& tmpl, int64_t collision_count) {
  std::string text;
  Canonical(NormalizeTemplate(tmpl), text);
  uint32_t h = 2166136261u;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (unsigned char c : text) mix(c);
  if (collision_count > 0) {
    uint32_t n = static_cast<uint32_t>(collision_count);
    for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(n >> (8 * i)));
  }
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out.push_back(kAlphabet[static_cast<unsigned char>(c) % 27]);
  return out;
}

int64_t ScaledValue(const boost::json::value* v, int64_t total, bool round_up, int64_t fallback_percent) {
  if (v != nullptr && v->is_int64()) return v->get_int64();
  if (v != nullptr && v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v != nullptr && v->is_double()) return static_cast<int64_t>(v->get_double());
  int64_t percent = fallback_percent;
  if (v != nullptr && v->is_string()) {
    std::string s(v->get_string().c_str());
    int64_t parsed = 0;
    if (!s.empty() && s.back() == '%' && absl::SimpleAtoi(s.substr(0, s.size() - 1), &parsed)) {
      percent = parsed;
    } else if (absl::SimpleAtoi(s, &parsed)) {
      return parsed;
    }
  }
  int64_t scaled = percent * total;
  return round_up ? (scaled + 99) / 100 : scaled / 100;
}

int64_t DesiredReplicas(const boost::json::value& d) { return IntAt(d, {"spec", "replicas"}, 1); }

bool IsRollingUpdate(const boost::json::value& d) {
  std::string type = base::GetString(d, {"spec", "strategy", "type"});
  return type.empty() || type == "RollingUpdate";
}

void ResolveFenceposts(const boost::json::value& d, int64_t* surge, int64_t* unavailable) {
  int64_t desired = DesiredReplicas(d);
  *surge = ScaledValue(RollingParam(d, "maxSurge"), desired, true, 25);
  *unavailable = ScaledValue(RollingParam(d, "maxUnavailable"), desired, false, 25);
  if (*surge == 0 && *unavailable == 0) *unavailable = 1;  // a rollout must make progress
}

int64_t MaxSurge(const boost::json::value& d) {
  if (!IsRollingUpdate(d)) return 0;
  int64_t surge, unavailable;
  ResolveFenceposts(d, &surge, &unavailable);
  return surge;
}

int64_t MaxUnavailable(const boost::json::value& d) {
  int64_t desired = DesiredReplicas(d);
  if (!IsRollingUpdate(d) || desired == 0) return 0;
  int64_t surge, unavailable;
  ResolveFenceposts(d, &surge, &unavailable);
  return std::min(unavailable, desired);
}

bool HasProgressDeadline(const boost::json::value& d) {
  const boost::json::value* v = base::FindPath(d, {"spec", "progressDeadlineSeconds"});
  return v != nullptr && !v->is_null() && base::GetInt(d, {"spec", "progressDeadlineSeconds"}) != INT32_MAX;
}

int64_t AnnotationInt(const boost::json::value& obj, const char* annotation, bool* found) {
  int64_t n = 0;
  bool ok = absl::SimpleAtoi(api::Annotation(obj, annotation), &n);
  if (found != nullptr) *found = ok;
  return ok ? n : 0;
}

int64_t Revision(const boost::json::value& obj) { return AnnotationInt(obj, kRevisionAnnotation, nullptr); }

int64_t SpecReplicas(const boost::json::value& rs) { return IntAt(rs, {"spec", "replicas"}, 1); }

int64_t SumSpecReplicas(const std::vector<client::Object>& rss) {
  int64_t n = 0;
  for (const auto& rs : rss) {
    if (rs) n += SpecReplicas(*rs);
  }
  return n;
}

int64_t SumStatus(const std::vector<client::Object>& rss, const char* field) {
  int64_t n = 0;
  for (const auto& rs : rss) {
    if (rs) n += base::GetInt(*rs, {"status", field});
  }
  return n;
}

std::vector<client::Object> ActiveReplicaSets(const std::vector<client::Object>& rss) {
  std::vector<client::Object> out;
  for (const auto& rs : rss) {
    if (rs && SpecReplicas(*rs) > 0) out.push_back(rs);
  }
  return out;
}

bool SetNewReplicaSetAnnotations(const boost::json::value& d, boost::json::value& rs,
                                 const std::string& new_revision, bool exists) {
  bool changed = false;
  boost::json::object& annotations = base::EnsureObject(rs, {"metadata", "annotations"});
  if (const boost::json::value* from = api::Annotations(d); from && from->is_object()) {
    for (const auto& [k, v] : from->get_object()) {
      std::string key(k.data(), k.size());
      if (SkipCopy(key)) continue;
      const boost::json::value* have = annotations.if_contains(k);
      if (have == nullptr || *have != v) {
        annotations[k] = v;
        changed = true;
      }
    }
  }
  std::string old_revision = base::GetString(annotations, {kRevisionAnnotation});
  int64_t old_n = 0, new_n = 0;
  bool old_ok = absl::SimpleAtoi(old_revision, &old_n);
  absl::SimpleAtoi(new_revision, &new_n);
  if (!old_ok || old_n < new_n) {
    annotations[kRevisionAnnotation] = new_revision;
    changed = true;
    if (!old_revision.empty()) {
      std::string history = base::GetString(annotations, {kRevisionHistoryAnnotation});
      std::vector<std::string> revisions;
      if (!history.empty()) revisions = absl::StrSplit(history, ',');
      revisions.push_back(old_revision);
      while (revisions.size() > 1 && absl::StrJoin(revisions, ",").size() > kMaxRevisionHistoryChars) {
        revisions.erase(revisions.begin());
      }
      annotations[kRevisionHistoryAnnotation] = absl::StrJoin(revisions, ",");
    }
  }
  if (!exists) {
    int64_t desired = DesiredReplicas(d);
    if (SetReplicasAnnotations(rs, desired, desired + MaxSurge(d))) changed = true;
  }
  return changed;
}

bool SetReplicasAnnotations(boost::json::value& rs, int64_t desired, int64_t max) {
  boost::json::object& annotations = base::EnsureObject(rs, {"metadata", "annotations"});
  bool changed = false;
  for (auto [key, value] :
       {std::pair{kDesiredReplicasAnnotation, desired}, std::pair{kMaxReplicasAnnotation, max}}) {
    std::string text = std::to_string(value);
    if (base::GetString(annotations, {key}) != text) {
      annotations[key] = text;
      changed = true;
    }
  }
  return changed;
}

bool DeploymentComplete(const boost::json::value& d, const boost::json::value& status) {
  int64_t desired = DesiredReplicas(d);
  return base::GetInt(status, {"updatedReplicas"}) == desired &&
         base::GetInt(status, {"replicas"}) == desired &&
         base::GetInt(status, {"availableReplicas"}) == desired &&
         base::GetInt(status, {"observedGeneration"}) >= IntAt(d, {"metadata", "generation"}, 1);
}

bool DeploymentProgressing(const boost::json::value& d, const boost::json::value& status) {
  auto old = [&](const char* f) { return base::GetInt(d, {"status", f}); };
  auto now = [&](const char* f) { return base::GetInt(status, {f}); };
  int64_t old_old = old("replicas") - old("updatedReplicas");
  int64_t new_old = now("replicas") - now("updatedReplicas");
  return now("updatedReplicas") > old("updatedReplicas") || new_old < old_old ||
         now("readyReplicas") > old("readyReplicas") || now("availableReplicas") > old("availableReplicas");
}

bool DeploymentTimedOut(const boost::json::value& d, const boost::json::value& status, absl::Time now) {
  if (!HasProgressDeadline(d)) return false;
  const boost::json::object* cond = FindCondition(status, "Progressing");
  if (cond == nullptr) return false;
  std::string reason = base::GetString(*cond, {"reason"});
  if (reason == "NewReplicaSetAvailable") return false;
  if (reason == "ProgressDeadlineExceeded") return true;
  absl::Time from = TimeAt(*cond, {"lastUpdateTime"});
  return from + absl::Seconds(base::GetInt(d, {"spec", "progressDeadlineSeconds"})) < now;
}

boost::json::object MakeCondition(const std::string& type, const std::string& status,
                                  const std::string& reason, const std::string& message, absl::Time now) {
  std::string t = base::FormatRfc3339(now);
  return boost::json::object{{"type", type},        {"status", status},
                             {"lastUpdateTime", t}, {"lastTransitionTime", t},
                             {"reason", reason},    {"message", message}};
}

}  // namespace skiff::controllers
