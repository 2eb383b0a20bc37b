// PodSecurityPlugin: Kubernetes' built-in PodSecurity admission on skiff's admission chain
// (apiserver/admission.h). Each namespace chooses its policy with the labels
// pod-security.kubernetes.io/{enforce,audit,warn}[-version] (policy.h); unlabelled modes take the
// cluster defaults (privileged:latest unless configured).
//  * Pods (create, and updates that change a container image or add an ephemeral container):
//    the enforce level refuses violating pods with 403 `pods "p" is forbidden: violates
//    PodSecurity "restricted:latest": ...`; the warn level adds `would violate PodSecurity ...`
//    client warnings.
//  * Workloads with a pod template (pod_template.h): warnings only, never refused.
//  * Namespaces: bad label values are refused (422); raising the enforce level warns about the
//    existing pods that would violate it (at most 3000 pods are checked).
// Audit annotations (AdmissionRequest::AddAuditAnnotation), as the real plug-in adds them:
// pod-security.kubernetes.io/enforce-policy (the level and version a pod was checked against),
// .../audit-violations (`would violate PodSecurity "LEVEL:VERSION": ...` under the audit level,
// for pods and workloads, refused or not) and .../exempt (namespace, user or runtimeClass).
// Exempt usernames, namespaces and runtime classes skip evaluation, as in
// PodSecurityConfiguration.
// Thread-safety: Validate may run concurrently; the plug-in is immutable after construction.
// Ownership: borrows the Sources, which must outlive it.
// Failure: refusals are Kubernetes API errors (403 Forbidden, 422 Invalid, 500 when the pod's
// namespace cannot be read).
#ifndef SKIFF_APISERVER_PODSECURITY_PLUGIN_H_
#define SKIFF_APISERVER_PODSECURITY_PLUGIN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/admission.h"
#include "apiserver/podsecurity/policy.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::podsecurity {

inline constexpr std::string_view kEnforcePolicyAnnotation = "pod-security.kubernetes.io/enforce-policy";
inline constexpr std::string_view kAuditViolationsAnnotation = "pod-security.kubernetes.io/audit-violations";
inline constexpr std::string_view kExemptAnnotation = "pod-security.kubernetes.io/exempt";

// What the plug-in reads of the cluster (the API server serves it from its watch cache).
class Sources {
 public:
  virtual ~Sources() = default;
  // metadata.labels of namespace `ns` (an object, or null without labels); NotFound when absent.
  virtual absl::StatusOr<boost::json::value> NamespaceLabels(std::string_view ns) const = 0;
  // Every pod of namespace `ns`.
  virtual std::vector<boost::json::value> Pods(std::string_view ns) const = 0;
};

struct Options {
  Policy defaults;  // every mode privileged:latest
  std::vector<std::string> exempt_usernames;
  std::vector<std::string> exempt_namespaces;
  std::vector<std::string> exempt_runtime_classes;
};

class PodSecurityPlugin : public AdmissionPlugin {
 public:
  explicit PodSecurityPlugin(const Sources* sources, Options options = {});

  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

  // The namespace-update warnings for raising namespace `ns` to `enforce` (public for tests).
  std::vector<std::string> EvaluatePodsInNamespace(const std::string& ns, const LevelVersion& enforce) const;

 private:
  absl::Status ValidateNamespace(const AdmissionRequest& request, const boost::json::value& obj,
                                 const boost::json::value* old) const;
  absl::Status ValidatePod(const AdmissionRequest& request, const boost::json::value& obj,
                           const boost::json::value* old) const;
  absl::Status ValidatePodController(const AdmissionRequest& request, const boost::json::value& obj) const;
  // Checks a pod (or template) against the namespace policy: refuses under enforce (pods only),
  // annotates under audit, else warns under warn.
  absl::Status EvaluatePod(const AdmissionRequest& request, const Policy& policy,
                           const boost::json::value* meta, const boost::json::value* spec,
                           bool enforce) const;
  // Whether the request's namespace or user is exempt (then annotated so).
  bool Exempt(const AdmissionRequest& request) const;
  bool ExemptNamespace(std::string_view ns) const;
  bool ExemptUser(const AdmissionRequest& request) const;
  bool ExemptRuntimeClass(const boost::json::value* spec) const;
  // The warning for labelling an exempt namespace with a policy that will not apply, or "".
  std::string ExemptNamespaceWarning(std::string_view ns, const Policy& policy,
                                     const boost::json::value& labels) const;

  const Sources* sources_;
  Options options_;
};

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_PLUGIN_H_
