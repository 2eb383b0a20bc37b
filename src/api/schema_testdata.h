// Test-only: a small self-contained schema (apps Deployment + the core and meta types it needs)
// used by the schema machinery's unit tests, independent of the real schema files.
// Thread-safety: constants only. Ownership: static storage. Never fails (CHECKs in tests).
#ifndef SKIFF_API_SCHEMA_TESTDATA_H_
#define SKIFF_API_SCHEMA_TESTDATA_H_

#include <memory>
#include <string_view>

#include "api/schema.h"

namespace skiff::api::testdata {

inline constexpr std::string_view kTestSchema = R"(
package io.k8s.apimachinery.pkg.apis.meta.v1
type ObjectMeta "Metadata."
  name string "Name."
  generateName string "Prefix."
  namespace string "Namespace."
  labels map[string] "Labels."
  annotations map[string] "Annotations."
  ownerReferences []OwnerReference merge=uid "Owners."
type OwnerReference "Owner."
  apiVersion string required "API version."
  kind string required "Kind."
  name string required "Name."
  uid string required "UID."
type LabelSelector mapType=atomic "Selector."
  matchLabels map[string] "Labels."
type ListMeta "List metadata."
  resourceVersion string "Version."
type Status "Status."
  message string "Message."
type DeleteOptions "Delete options."
  propagationPolicy string "Policy."
type Patch "A patch."

package io.k8s.api.core.v1
kind Service group="" version=v1 type=Service
type Service "A service."
  apiVersion string "Version."
  kind string "Kind."
  metadata ObjectMeta "Metadata."
  spec ServiceSpec "Spec."
type ServiceSpec "Service spec."
  type string enum=ClusterIP|NodePort|LoadBalancer|ExternalName "Type."
  ports []ServicePort merge=port listType=map listMapKeys=port,protocol "Ports."
  ipFamilies []string enum=IPv4|IPv6 "Families."
type ServicePort "Port."
  port int32 required min=1 max=65535 "Port."
  targetPort intorstring "Target."
  protocol string "Protocol."
type PodTemplateSpec "Template."
  metadata ObjectMeta "Metadata."
  spec PodSpec "Spec."
type PodSpec "Pod spec."
  containers []Container required minlen=1 merge=name "Containers."
  restartPolicy string default=Always enum=Always|OnFailure|Never "Restart policy."
  terminationGracePeriodSeconds int64 "Grace."
  nodeSelector map[string] mapType=atomic "Node selector."
  overhead map[quantity] "Overhead."
type Container "Container."
  name string required maxlen=63 "Name."
  image string "Image."
  imagePullPolicy string enum=Always|IfNotPresent|Never "Pull policy."
  ports []ContainerPort merge=containerPort "Ports."
  env []EnvVar merge=name "Env."
  args []string "Args."
  privileged bool "Privileged."
type ContainerPort "Container port."
  containerPort int32 required min=1 max=65535 "Port."
  protocol string default=TCP "Protocol."
type EnvVar "Env var."
  name string required "Name."
  value string "Value."
type Secret "Secret."
  data map[bytes] "Data."

package io.k8s.api.apps.v1
kind Deployment group=apps version=v1 type=Deployment
type Deployment "A Deployment declares a replicated set of pods."
  apiVersion string "Version."
  kind string "Kind."
  metadata ObjectMeta "Metadata."
  spec DeploymentSpec "Spec."
type DeploymentSpec "Deployment spec."
  replicas int32 default=1 min=0 "Replicas."
  selector LabelSelector required "Selector."
  template PodTemplateSpec required "Template."
  strategy DeploymentStrategy retainKeys "Strategy."
  revisionHistoryLimit int32 min=0 "History."
type DeploymentStrategy "Strategy."
  type string default=RollingUpdate enum=Recreate|RollingUpdate "Type."
  rollingUpdate RollingUpdateDeployment "Rolling update."
type RollingUpdateDeployment "Rolling update."
  maxSurge intorstring "Surge."
  maxUnavailable intorstring "Unavailable."
)";

inline const SchemaRegistry& TestRegistry() {
  static const SchemaRegistry* reg = [] {
    auto r = SchemaRegistry::Load({{"test.schema", kTestSchema}});
    if (!r.ok()) std::abort();
    return r->release();
  }();
  return *reg;
}

inline const TypeSchema& TestType(std::string_view full_name) {
  const TypeSchema* t = TestRegistry().FindType(full_name);
  if (t == nullptr) std::abort();
  return *t;
}

}  // namespace skiff::api::testdata

#endif  // SKIFF_API_SCHEMA_TESTDATA_H_
