// Pure helpers of the Deployment controller (k8s pkg/controller/deployment/util): the
// pod-template-hash, template equality ignoring that label, maxSurge/maxUnavailable resolution
// (numbers or percents, rounding like k8s), revision and replica annotations, replica sums over
// ReplicaSets, and the rollout predicates (complete, progressing, timed out).
// Thread-safety: pure functions. Ownership: inputs borrowed, results by value. Never fails:
// malformed values read as k8s' defaults (25%) or zero.
#ifndef SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
#define SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::controllers {

inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";
inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
inline constexpr char kRevisionHistoryAnnotation[] = "deployment.kubernetes.io/revision-history";
inline constexpr char kDesiredReplicasAnnotation[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicasAnnotation[] = "deployment.kubernetes.io/max-replicas";

// The template with the pod-template-hash label, null fields, empty label/annotation maps and
// metadata.creationTimestamp removed: what "same template" means.
boost::json::value NormalizeTemplate(const boost::json::value& tmpl);
bool TemplatesEqualIgnoringHash(const boost::json::value& a, const boost::json::value& b);
// FNV-1a over the normalized template's canonical JSON (sorted keys) and the collision count,
// rendered with k8s' SafeEncodeString alphabet. Stable across unrelated changes.
std::string PodTemplateHash(const boost::json::value& tmpl, int64_t collision_count);

// An int-or-percent ("25%" or 3) scaled to `total`, rounded up or down like k8s.
int64_t ScaledValue(const boost::json::value* int_or_percent, int64_t total, bool round_up,
                    int64_t fallback_percent);

int64_t DesiredReplicas(const boost::json::value& d);
bool IsRollingUpdate(const boost::json::value& d);
// maxSurge rounded up, maxUnavailable down; both zero becomes maxUnavailable 1.
void ResolveFenceposts(const boost::json::value& d, int64_t* surge, int64_t* unavailable);
int64_t MaxSurge(const boost::json::value& d);        // 0 unless RollingUpdate
int64_t MaxUnavailable(const boost::json::value& d);  // 0 unless RollingUpdate; at most replicas
bool HasProgressDeadline(const boost::json::value& d);

int64_t Revision(const boost::json::value& obj);  // the revision annotation, 0 when absent
int64_t AnnotationInt(const boost::json::value& obj, const char* annotation, bool* found);

int64_t SpecReplicas(const boost::json::value& rs);
int64_t SumSpecReplicas(const std::vector<client::Object>& rss);
int64_t SumStatus(const std::vector<client::Object>& rss, const char* field);
std::vector<client::Object> ActiveReplicaSets(const std::vector<client::Object>& rss);  // spec.replicas > 0

// Sets revision (when higher), revision-history, copied deployment annotations and, for a
// replica set about to be created, desired/max-replicas on `rs`. Returns whether anything changed.
bool SetNewReplicaSetAnnotations(const boost::json::value& d, boost::json::value& rs,
                                 const std::string& new_revision, bool exists);
// desired-replicas / max-replicas annotations; returns whether they changed.
bool SetReplicasAnnotations(boost::json::value& rs, int64_t desired, int64_t max);

// `status` is a candidate new status of `d`.
bool DeploymentComplete(const boost::json::value& d, const boost::json::value& status);
bool DeploymentProgressing(const boost::json::value& d, const boost::json::value& status);
bool DeploymentTimedOut(const boost::json::value& d, const boost::json::value& status, absl::Time now);

// A Deployment condition (type, status, lastUpdateTime, lastTransitionTime, reason, message).
boost::json::object MakeCondition(const std::string& type, const std::string& status,
                                  const std::string& reason, const std::string& message, absl::Time now);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
