// Protobuf tables for kinds of named API groups that `kubectl create` generates or client-go
// sends in protobuf: apps/v1, batch/v1, rbac/v1, scheduling/v1, policy/v1 and autoscaling/v1 Scale and
// HorizontalPodAutoscaler. Field numbers follow k8s.io/api generated.proto.
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {
using namespace proto_table;  // NOLINT(build/namespaces): terse table syntax

// --- apps/v1 --------------------------------------------------------------------------------

// RollingUpdateDeployment and RollingUpdateDaemonSet share this shape.
constinit const ProtoField kRollingUpdateFields[] = {IntStr(1, "maxUnavailable", kKeep),
                                                     IntStr(2, "maxSurge", kKeep)};
constinit const ProtoMessage kRollingUpdate = Message("RollingUpdate", kRollingUpdateFields);

// DeploymentStrategy and DaemonSetUpdateStrategy share this shape.
constinit const ProtoField kStrategyFields[] = {Str(1, "type"), Msg(2, "rollingUpdate", kRollingUpdate)};
constinit const ProtoMessage kStrategy = Message("Strategy", kStrategyFields);

constinit const ProtoField kDeploymentSpecFields[] = {
    Int32(1, "replicas", kKeep),
    Msg(2, "selector", kProtoLabelSelector),
    Msg(3, "template", kProtoPodTemplateSpec),
    Msg(4, "strategy", kStrategy),
    Int32(5, "minReadySeconds"),
    Int32(6, "revisionHistoryLimit", kKeep),
    Bool(7, "paused"),
    Int32(9, "progressDeadlineSeconds", kKeep),
};
constinit const ProtoMessage kDeploymentSpec = Message("DeploymentSpec", kDeploymentSpecFields);

constinit const ProtoField kDeploymentConditionFields[] = {
    Str(1, "type", kKeep),         Str(2, "status", kKeep), Time(6, "lastUpdateTime"),
    Time(7, "lastTransitionTime"), Str(4, "reason"),        Str(5, "message"),
};
constinit const ProtoMessage kDeploymentCondition =
    Message("DeploymentCondition", kDeploymentConditionFields);

constinit const ProtoField kDeploymentStatusFields[] = {
    Int64(1, "observedGeneration"),
    Int32(2, "replicas"),
    Int32(3, "updatedReplicas"),
    Int32(7, "readyReplicas"),
    Int32(4, "availableReplicas"),
    Int32(5, "unavailableReplicas"),
    Int32(9, "terminatingReplicas", kKeep),
    Msg(6, "conditions", kDeploymentCondition, kRep),
    Int32(8, "collisionCount", kKeep),
};
constinit const ProtoMessage kDeploymentStatus = Message("DeploymentStatus", kDeploymentStatusFields);

constinit const ProtoField kDeploymentFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kDeploymentSpec),
    Msg(3, "status", kDeploymentStatus),
};

// ReplicaSetCondition and DaemonSetCondition share this shape.
constinit const ProtoField kWorkloadConditionFields[] = {
    Str(1, "type", kKeep), Str(2, "status", kKeep), Time(3, "lastTransitionTime"),
    Str(4, "reason"),      Str(5, "message"),
};
constinit const ProtoMessage kWorkloadCondition = Message("WorkloadCondition", kWorkloadConditionFields);

constinit const ProtoField kReplicaSetSpecFields[] = {
    Int32(1, "replicas", kKeep),
    Int32(4, "minReadySeconds"),
    Msg(2, "selector", kProtoLabelSelector),
    Msg(3, "template", kProtoPodTemplateSpec),
};
constinit const ProtoMessage kReplicaSetSpec = Message("ReplicaSetSpec", kReplicaSetSpecFields);

constinit const ProtoField kReplicaSetStatusFields[] = {
    Int32(1, "replicas", kKeep),    Int32(2, "fullyLabeledReplicas"),
    Int32(4, "readyReplicas"),      Int32(5, "availableReplicas"),
    Int64(3, "observedGeneration"), Msg(6, "conditions", kWorkloadCondition, kRep),
};
constinit const ProtoMessage kReplicaSetStatus = Message("ReplicaSetStatus", kReplicaSetStatusFields);

constinit const ProtoField kReplicaSetFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kReplicaSetSpec),
    Msg(3, "status", kReplicaSetStatus),
};

constinit const ProtoField kDaemonSetSpecFields[] = {
    Msg(1, "selector", kProtoLabelSelector), Msg(2, "template", kProtoPodTemplateSpec),
    Msg(3, "updateStrategy", kStrategy),     Int32(4, "minReadySeconds"),
    Int32(6, "revisionHistoryLimit", kKeep),
};
constinit const ProtoMessage kDaemonSetSpec = Message("DaemonSetSpec", kDaemonSetSpecFields);

constinit const ProtoField kDaemonSetStatusFields[] = {
    Int32(1, "currentNumberScheduled", kKeep),
    Int32(2, "numberMisscheduled", kKeep),
    Int32(3, "desiredNumberScheduled", kKeep),
    Int32(4, "numberReady", kKeep),
    Int64(5, "observedGeneration"),
    Int32(6, "updatedNumberScheduled"),
    Int32(7, "numberAvailable"),
    Int32(8, "numberUnavailable"),
    Int32(9, "collisionCount", kKeep),
    Msg(10, "conditions", kWorkloadCondition, kRep),
};
constinit const ProtoMessage kDaemonSetStatus = Message("DaemonSetStatus", kDaemonSetStatusFields);

constinit const ProtoField kDaemonSetFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kDaemonSetSpec),
    Msg(3, "status", kDaemonSetStatus),
};

// --- batch/v1 -------------------------------------------------------------------------------

constinit const ProtoField kOnExitCodesFields[] = {Str(1, "containerName", kKeep), Str(2, "operator", kKeep),
                                                   Int32(3, "values", kRep)};
constinit const ProtoMessage kOnExitCodes =
    Message("PodFailurePolicyOnExitCodesRequirement", kOnExitCodesFields);

constinit const ProtoField kOnPodConditionsFields[] = {Str(1, "type", kKeep), Str(2, "status", kKeep)};
constinit const ProtoMessage kOnPodConditions =
    Message("PodFailurePolicyOnPodConditionsPattern", kOnPodConditionsFields);

constinit const ProtoField kPodFailurePolicyRuleFields[] = {
    Str(1, "action", kKeep),
    Msg(2, "onExitCodes", kOnExitCodes),
    Msg(3, "onPodConditions", kOnPodConditions, kRep),
};
constinit const ProtoMessage kPodFailurePolicyRule =
    Message("PodFailurePolicyRule", kPodFailurePolicyRuleFields);

constinit const ProtoField kPodFailurePolicyFields[] = {Msg(1, "rules", kPodFailurePolicyRule, kRep)};
constinit const ProtoMessage kPodFailurePolicy = Message("PodFailurePolicy", kPodFailurePolicyFields);

constinit const ProtoField kSuccessPolicyRuleFields[] = {Str(1, "succeededIndexes", kKeep),
                                                         Int32(2, "succeededCount", kKeep)};
constinit const ProtoMessage kSuccessPolicyRule = Message("SuccessPolicyRule", kSuccessPolicyRuleFields);

constinit const ProtoField kSuccessPolicyFields[] = {Msg(1, "rules", kSuccessPolicyRule, kRep)};
constinit const ProtoMessage kSuccessPolicy = Message("SuccessPolicy", kSuccessPolicyFields);

constinit const ProtoField kJobSpecFields[] = {
    Int32(1, "parallelism", kKeep),
    Int32(2, "completions", kKeep),
    Int64(3, "activeDeadlineSeconds", kKeep),
    Msg(11, "podFailurePolicy", kPodFailurePolicy),
    Msg(16, "successPolicy", kSuccessPolicy),
    Int32(7, "backoffLimit", kKeep),
    Int32(12, "backoffLimitPerIndex", kKeep),
    Int32(13, "maxFailedIndexes", kKeep),
    Msg(4, "selector", kProtoLabelSelector),
    Bool(5, "manualSelector", kKeep),
    Msg(6, "template", kProtoPodTemplateSpec),
    Int32(8, "ttlSecondsAfterFinished", kKeep),
    Str(9, "completionMode", kKeep),
    Bool(10, "suspend", kKeep),
    Str(14, "podReplacementPolicy", kKeep),
    Str(15, "managedBy", kKeep),
};
constinit const ProtoMessage kJobSpec = Message("JobSpec", kJobSpecFields);

constinit const ProtoField kJobConditionFields[] = {
    Str(1, "type", kKeep),         Str(2, "status", kKeep), Time(3, "lastProbeTime"),
    Time(4, "lastTransitionTime"), Str(5, "reason"),        Str(6, "message"),
};
constinit const ProtoMessage kJobCondition = Message("JobCondition", kJobConditionFields);

constinit const ProtoField kUncountedFields[] = {Str(1, "succeeded", kRep), Str(2, "failed", kRep)};
constinit const ProtoMessage kUncounted = Message("UncountedTerminatedPods", kUncountedFields);

constinit const ProtoField kJobStatusFields[] = {
    Msg(1, "conditions", kJobCondition, kRep),
    Time(2, "startTime"),
    Time(3, "completionTime"),
    Int32(4, "active"),
    Int32(5, "succeeded"),
    Int32(6, "failed"),
    Int32(11, "terminating", kKeep),
    Str(7, "completedIndexes"),
    Str(10, "failedIndexes", kKeep),
    Msg(8, "uncountedTerminatedPods", kUncounted),
    Int32(9, "ready", kKeep),
};
constinit const ProtoMessage kJobStatus = Message("JobStatus", kJobStatusFields);

constinit const ProtoField kJobFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kJobSpec),
    Msg(3, "status", kJobStatus),
};

constinit const ProtoField kJobTemplateSpecFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                       Msg(2, "spec", kJobSpec)};
constinit const ProtoMessage kJobTemplateSpec = Message("JobTemplateSpec", kJobTemplateSpecFields);

constinit const ProtoField kCronJobSpecFields[] = {
    Str(1, "schedule", kKeep),
    Str(8, "timeZone", kKeep),
    Int64(2, "startingDeadlineSeconds", kKeep),
    Str(3, "concurrencyPolicy"),
    Bool(4, "suspend", kKeep),
    Msg(5, "jobTemplate", kJobTemplateSpec),
    Int32(6, "successfulJobsHistoryLimit", kKeep),
    Int32(7, "failedJobsHistoryLimit", kKeep),
};
constinit const ProtoMessage kCronJobSpec = Message("CronJobSpec", kCronJobSpecFields);

constinit const ProtoField kCronJobStatusFields[] = {
    Msg(1, "active", kProtoObjectReference, kRep),
    Time(4, "lastScheduleTime"),
    Time(5, "lastSuccessfulTime"),
};
constinit const ProtoMessage kCronJobStatus = Message("CronJobStatus", kCronJobStatusFields);

constinit const ProtoField kCronJobFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kCronJobSpec),
    Msg(3, "status", kCronJobStatus),
};

// --- rbac.authorization.k8s.io/v1 -----------------------------------------------------------

constinit const ProtoField kPolicyRuleFields[] = {
    Str(1, "verbs", kRep),         Str(2, "apiGroups", kRep),       Str(3, "resources", kRep),
    Str(4, "resourceNames", kRep), Str(5, "nonResourceURLs", kRep),
};
constinit const ProtoMessage kPolicyRule = Message("PolicyRule", kPolicyRuleFields);

constinit const ProtoField kAggregationRuleFields[] = {
    Msg(1, "clusterRoleSelectors", kProtoLabelSelector, kRep)};
constinit const ProtoMessage kAggregationRule = Message("AggregationRule", kAggregationRuleFields);

constinit const ProtoField kRoleFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                            Msg(2, "rules", kPolicyRule, kRep)};

constinit const ProtoField kClusterRoleFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "rules", kPolicyRule, kRep),
    Msg(3, "aggregationRule", kAggregationRule),
};

constinit const ProtoField kSubjectFields[] = {Str(1, "kind", kKeep), Str(2, "apiGroup"),
                                               Str(3, "name", kKeep), Str(4, "namespace")};
constinit const ProtoMessage kSubject = Message("Subject", kSubjectFields);

constinit const ProtoField kRoleRefFields[] = {Str(1, "apiGroup", kKeep), Str(2, "kind", kKeep),
                                               Str(3, "name", kKeep)};
constinit const ProtoMessage kRoleRef = Message("RoleRef", kRoleRefFields);

// RoleBinding and ClusterRoleBinding share this shape.
constinit const ProtoField kBindingFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "subjects", kSubject, kRep),
    Msg(3, "roleRef", kRoleRef),
};

// --- scheduling.k8s.io/v1, policy/v1 --------------------------------------------------------

constinit const ProtoField kPriorityClassFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Int32(2, "value", kKeep),
    Bool(3, "globalDefault"),
    Str(4, "description"),
    Str(5, "preemptionPolicy", kKeep),
};

constinit const ProtoField kPDBSpecFields[] = {
    IntStr(1, "minAvailable", kKeep),
    Msg(2, "selector", kProtoLabelSelector),
    IntStr(3, "maxUnavailable", kKeep),
    Str(4, "unhealthyPodEvictionPolicy", kKeep),
};
constinit const ProtoMessage kPDBSpec = Message("PodDisruptionBudgetSpec", kPDBSpecFields);

// disruptedPods (2, map<string, Time>) is not described; it is controller-written only.
constinit const ProtoField kPDBStatusFields[] = {
    Int64(1, "observedGeneration"),    Int32(3, "disruptionsAllowed", kKeep),
    Int32(4, "currentHealthy", kKeep), Int32(5, "desiredHealthy", kKeep),
    Int32(6, "expectedPods", kKeep),   Msg(7, "conditions", kProtoMetaCondition, kRep),
};
constinit const ProtoMessage kPDBStatus = Message("PodDisruptionBudgetStatus", kPDBStatusFields);

constinit const ProtoField kPDBFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kPDBSpec),
    Msg(3, "status", kPDBStatus),
};

constinit const ProtoField kEvictionFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                Msg(2, "deleteOptions", kProtoDeleteOptions)};

// --- autoscaling/v1 Scale -------------------------------------------------------------------

constinit const ProtoField kScaleSpecFields[] = {Int32(1, "replicas")};
constinit const ProtoMessage kScaleSpec = Message("ScaleSpec", kScaleSpecFields);

constinit const ProtoField kScaleStatusFields[] = {Int32(1, "replicas", kKeep), Str(2, "selector")};
constinit const ProtoMessage kScaleStatus = Message("ScaleStatus", kScaleStatusFields);

constinit const ProtoField kScaleFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kScaleSpec),
    Msg(3, "status", kScaleStatus),
};

// --- autoscaling/v1 HorizontalPodAutoscaler (what `kubectl autoscale` sends) ----------------

constinit const ProtoField kCrossVersionObjectReferenceFields[] = {Str(1, "kind"), Str(2, "name"),
                                                                   Str(3, "apiVersion")};
constinit const ProtoMessage kCrossVersionObjectReference =
    Message("CrossVersionObjectReference", kCrossVersionObjectReferenceFields);

constinit const ProtoField kHpaSpecFields[] = {
    Msg(1, "scaleTargetRef", kCrossVersionObjectReference),
    Int32(2, "minReplicas", kKeep),
    Int32(3, "maxReplicas", kKeep),
    Int32(4, "targetCPUUtilizationPercentage", kKeep),
};
constinit const ProtoMessage kHpaSpec = Message("HorizontalPodAutoscalerSpec", kHpaSpecFields);

constinit const ProtoField kHpaStatusFields[] = {
    Int64(1, "observedGeneration"),
    Time(2, "lastScaleTime"),
    Int32(3, "currentReplicas", kKeep),
    Int32(4, "desiredReplicas", kKeep),
    Int32(5, "currentCPUUtilizationPercentage", kKeep),
};
constinit const ProtoMessage kHpaStatus = Message("HorizontalPodAutoscalerStatus", kHpaStatusFields);

constinit const ProtoField kHpaFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kHpaSpec),
    Msg(3, "status", kHpaStatus),
};

}  // namespace

constinit const ProtoMessage kProtoDeployment = Message("Deployment", kDeploymentFields);
constinit const ProtoMessage kProtoReplicaSet = Message("ReplicaSet", kReplicaSetFields);
constinit const ProtoMessage kProtoDaemonSet = Message("DaemonSet", kDaemonSetFields);
constinit const ProtoMessage kProtoJob = Message("Job", kJobFields);
constinit const ProtoMessage kProtoCronJob = Message("CronJob", kCronJobFields);
constinit const ProtoMessage kProtoRole = Message("Role", kRoleFields);
constinit const ProtoMessage kProtoClusterRole = Message("ClusterRole", kClusterRoleFields);
constinit const ProtoMessage kProtoRoleBinding = Message("RoleBinding", kBindingFields);
constinit const ProtoMessage kProtoClusterRoleBinding = Message("ClusterRoleBinding", kBindingFields);
constinit const ProtoMessage kProtoPriorityClass = Message("PriorityClass", kPriorityClassFields);
constinit const ProtoMessage kProtoPodDisruptionBudget = Message("PodDisruptionBudget", kPDBFields);
constinit const ProtoMessage kProtoEviction = Message("Eviction", kEvictionFields);
constinit const ProtoMessage kProtoScale = Message("Scale", kScaleFields);
constinit const ProtoMessage kProtoHorizontalPodAutoscalerV1 = Message("HorizontalPodAutoscaler", kHpaFields);

}  // namespace skiff::api
