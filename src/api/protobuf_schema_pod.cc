// Protobuf tables for the core/v1 pod subtree: PodTemplateSpec, PodSpec, Container, volumes,
// probes, security contexts, affinity, and Pod with its status. Field numbers follow
// k8s.io/api core/v1 generated.proto; fields newer than the API kubectl 1.32 speaks are omitted.
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {
using namespace proto_table;  // NOLINT(build/namespaces): terse table syntax

// --- references and selectors -------------------------------------------------------------

constinit const ProtoField kLocalObjectReferenceFields[] = {Str(1, "name")};
constinit const ProtoMessage kLocalObjectReference =
    Message("LocalObjectReference", kLocalObjectReferenceFields);

constinit const ProtoField kKeyToPathFields[] = {Str(1, "key", kKeep), Str(2, "path", kKeep),
                                                 Int32(3, "mode", kKeep)};
constinit const ProtoMessage kKeyToPath = Message("KeyToPath", kKeyToPathFields);

constinit const ProtoField kObjectFieldSelectorFields[] = {Str(1, "apiVersion"), Str(2, "fieldPath", kKeep)};
constinit const ProtoMessage kObjectFieldSelector =
    Message("ObjectFieldSelector", kObjectFieldSelectorFields);

constinit const ProtoField kResourceFieldSelectorFields[] = {Str(1, "containerName"),
                                                             Str(2, "resource", kKeep), Qty(3, "divisor")};
constinit const ProtoMessage kResourceFieldSelector =
    Message("ResourceFieldSelector", kResourceFieldSelectorFields);

// ConfigMapKeySelector and SecretKeySelector share this shape.
constinit const ProtoField kKeySelectorFields[] = {Inline(1, kLocalObjectReference), Str(2, "key", kKeep),
                                                   Bool(3, "optional", kKeep)};
constinit const ProtoMessage kKeySelector = Message("KeySelector", kKeySelectorFields);

// --- environment ----------------------------------------------------------------------------

constinit const ProtoField kEnvVarSourceFields[] = {
    Msg(1, "fieldRef", kObjectFieldSelector),
    Msg(2, "resourceFieldRef", kResourceFieldSelector),
    Msg(3, "configMapKeyRef", kKeySelector),
    Msg(4, "secretKeyRef", kKeySelector),
};
constinit const ProtoMessage kEnvVarSource = Message("EnvVarSource", kEnvVarSourceFields);

constinit const ProtoField kEnvVarFields[] = {Str(1, "name", kKeep), Str(2, "value"),
                                              Msg(3, "valueFrom", kEnvVarSource)};
constinit const ProtoMessage kEnvVar = Message("EnvVar", kEnvVarFields);

// ConfigMapEnvSource and SecretEnvSource share this shape.
constinit const ProtoField kEnvSourceFields[] = {Inline(1, kLocalObjectReference),
                                                 Bool(2, "optional", kKeep)};
constinit const ProtoMessage kEnvSource = Message("EnvSource", kEnvSourceFields);

constinit const ProtoField kEnvFromSourceFields[] = {Str(1, "prefix"), Msg(2, "configMapRef", kEnvSource),
                                                     Msg(3, "secretRef", kEnvSource)};
constinit const ProtoMessage kEnvFromSource = Message("EnvFromSource", kEnvFromSourceFields);

// --- container pieces -----------------------------------------------------------------------

constinit const ProtoField kContainerPortFields[] = {
    Str(1, "name"),     Int32(2, "hostPort"), Int32(3, "containerPort", kKeep),
    Str(4, "protocol"), Str(5, "hostIP"),
};
constinit const ProtoMessage kContainerPort = Message("ContainerPort", kContainerPortFields);

constinit const ProtoField kResourceClaimFields[] = {Str(1, "name", kKeep), Str(2, "request")};
constinit const ProtoMessage kResourceClaim = Message("ResourceClaim", kResourceClaimFields);

constinit const ProtoField kResourceRequirementsFields[] = {QtyMap(1, "limits"), QtyMap(2, "requests"),
                                                            Msg(3, "claims", kResourceClaim, kRep)};
constinit const ProtoMessage kResourceRequirements =
    Message("ResourceRequirements", kResourceRequirementsFields);

constinit const ProtoField kVolumeMountFields[] = {
    Str(1, "name", kKeep),      Bool(2, "readOnly"), Str(7, "recursiveReadOnly", kKeep),
    Str(3, "mountPath", kKeep), Str(4, "subPath"),   Str(5, "mountPropagation", kKeep),
    Str(6, "subPathExpr"),
};
constinit const ProtoMessage kVolumeMount = Message("VolumeMount", kVolumeMountFields);

constinit const ProtoField kVolumeDeviceFields[] = {Str(1, "name", kKeep), Str(2, "devicePath", kKeep)};
constinit const ProtoMessage kVolumeDevice = Message("VolumeDevice", kVolumeDeviceFields);

constinit const ProtoField kExecActionFields[] = {Str(1, "command", kRep)};
constinit const ProtoMessage kExecAction = Message("ExecAction", kExecActionFields);

constinit const ProtoField kHTTPHeaderFields[] = {Str(1, "name", kKeep), Str(2, "value", kKeep)};
constinit const ProtoMessage kHTTPHeader = Message("HTTPHeader", kHTTPHeaderFields);

constinit const ProtoField kHTTPGetActionFields[] = {
    Str(1, "path"),
    IntStr(2, "port", kKeep),
    Str(3, "host"),
    Str(4, "scheme"),
    Msg(5, "httpHeaders", kHTTPHeader, kRep),
};
constinit const ProtoMessage kHTTPGetAction = Message("HTTPGetAction", kHTTPGetActionFields);

constinit const ProtoField kTCPSocketActionFields[] = {IntStr(1, "port", kKeep), Str(2, "host")};
constinit const ProtoMessage kTCPSocketAction = Message("TCPSocketAction", kTCPSocketActionFields);

constinit const ProtoField kGRPCActionFields[] = {Int32(1, "port", kKeep), Str(2, "service", kKeep)};
constinit const ProtoMessage kGRPCAction = Message("GRPCAction", kGRPCActionFields);

constinit const ProtoField kSleepActionFields[] = {Int64(1, "seconds", kKeep)};
constinit const ProtoMessage kSleepAction = Message("SleepAction", kSleepActionFields);

constinit const ProtoField kProbeHandlerFields[] = {
    Msg(1, "exec", kExecAction),
    Msg(2, "httpGet", kHTTPGetAction),
    Msg(3, "tcpSocket", kTCPSocketAction),
    Msg(4, "grpc", kGRPCAction),
};
constinit const ProtoMessage kProbeHandler = Message("ProbeHandler", kProbeHandlerFields);

constinit const ProtoField kProbeFields[] = {
    Inline(1, kProbeHandler),
    Int32(2, "initialDelaySeconds"),
    Int32(3, "timeoutSeconds"),
    Int32(4, "periodSeconds"),
    Int32(5, "successThreshold"),
    Int32(6, "failureThreshold"),
    Int64(7, "terminationGracePeriodSeconds", kKeep),
};
constinit const ProtoMessage kProbe = Message("Probe", kProbeFields);

constinit const ProtoField kLifecycleHandlerFields[] = {
    Msg(1, "exec", kExecAction),
    Msg(2, "httpGet", kHTTPGetAction),
    Msg(3, "tcpSocket", kTCPSocketAction),
    Msg(4, "sleep", kSleepAction),
};
constinit const ProtoMessage kLifecycleHandler = Message("LifecycleHandler", kLifecycleHandlerFields);

constinit const ProtoField kLifecycleFields[] = {
    Msg(1, "postStart", kLifecycleHandler),
    Msg(2, "preStop", kLifecycleHandler),
    Str(3, "stopSignal", kKeep),
};
constinit const ProtoMessage kLifecycle = Message("Lifecycle", kLifecycleFields);

// --- security -------------------------------------------------------------------------------

constinit const ProtoField kCapabilitiesFields[] = {Str(1, "add", kRep), Str(2, "drop", kRep)};
constinit const ProtoMessage kCapabilities = Message("Capabilities", kCapabilitiesFields);

constinit const ProtoField kSELinuxOptionsFields[] = {Str(1, "user"), Str(2, "role"), Str(3, "type"),
                                                      Str(4, "level")};
constinit const ProtoMessage kSELinuxOptions = Message("SELinuxOptions", kSELinuxOptionsFields);

constinit const ProtoField kWindowsOptionsFields[] = {
    Str(1, "gmsaCredentialSpecName", kKeep),
    Str(2, "gmsaCredentialSpec", kKeep),
    Str(3, "runAsUserName", kKeep),
    Bool(4, "hostProcess", kKeep),
};
constinit const ProtoMessage kWindowsOptions =
    Message("WindowsSecurityContextOptions", kWindowsOptionsFields);

// SeccompProfile and AppArmorProfile share this shape.
constinit const ProtoField kProfileFields[] = {Str(1, "type", kKeep), Str(2, "localhostProfile", kKeep)};
constinit const ProtoMessage kProfile = Message("SecurityProfile", kProfileFields);

constinit const ProtoField kSecurityContextFields[] = {
    Msg(1, "capabilities", kCapabilities),
    Bool(2, "privileged", kKeep),
    Msg(3, "seLinuxOptions", kSELinuxOptions),
    Msg(10, "windowsOptions", kWindowsOptions),
    Int64(4, "runAsUser", kKeep),
    Int64(8, "runAsGroup", kKeep),
    Bool(5, "runAsNonRoot", kKeep),
    Bool(6, "readOnlyRootFilesystem", kKeep),
    Bool(7, "allowPrivilegeEscalation", kKeep),
    Str(9, "procMount", kKeep),
    Msg(11, "seccompProfile", kProfile),
    Msg(12, "appArmorProfile", kProfile),
};
constinit const ProtoMessage kSecurityContext = Message("SecurityContext", kSecurityContextFields);

constinit const ProtoField kSysctlFields[] = {Str(1, "name", kKeep), Str(2, "value", kKeep)};
constinit const ProtoMessage kSysctl = Message("Sysctl", kSysctlFields);

constinit const ProtoField kPodSecurityContextFields[] = {
    Msg(1, "seLinuxOptions", kSELinuxOptions),
    Msg(8, "windowsOptions", kWindowsOptions),
    Int64(2, "runAsUser", kKeep),
    Int64(6, "runAsGroup", kKeep),
    Bool(3, "runAsNonRoot", kKeep),
    Int64(4, "supplementalGroups", kRep),
    Str(12, "supplementalGroupsPolicy", kKeep),
    Int64(5, "fsGroup", kKeep),
    Msg(7, "sysctls", kSysctl, kRep),
    Str(9, "fsGroupChangePolicy", kKeep),
    Msg(10, "seccompProfile", kProfile),
    Msg(11, "appArmorProfile", kProfile),
    Str(13, "seLinuxChangePolicy", kKeep),
};
constinit const ProtoMessage kPodSecurityContext = Message("PodSecurityContext", kPodSecurityContextFields);

// --- containers -----------------------------------------------------------------------------

constinit const ProtoField kContainerResizePolicyFields[] = {Str(1, "resourceName", kKeep),
                                                             Str(2, "restartPolicy", kKeep)};
constinit const ProtoMessage kContainerResizePolicy =
    Message("ContainerResizePolicy", kContainerResizePolicyFields);

// Container and EphemeralContainerCommon have identical field numbers.
constinit const ProtoField kContainerFields[] = {
    Str(1, "name", kKeep),
    Str(2, "image"),
    Str(3, "command", kRep),
    Str(4, "args", kRep),
    Str(5, "workingDir"),
    Msg(6, "ports", kContainerPort, kRep),
    Msg(19, "envFrom", kEnvFromSource, kRep),
    Msg(7, "env", kEnvVar, kRep),
    Msg(8, "resources", kResourceRequirements),
    Msg(23, "resizePolicy", kContainerResizePolicy, kRep),
    Str(24, "restartPolicy", kKeep),
    Msg(9, "volumeMounts", kVolumeMount, kRep),
    Msg(21, "volumeDevices", kVolumeDevice, kRep),
    Msg(10, "livenessProbe", kProbe),
    Msg(11, "readinessProbe", kProbe),
    Msg(22, "startupProbe", kProbe),
    Msg(12, "lifecycle", kLifecycle),
    Str(13, "terminationMessagePath"),
    Str(20, "terminationMessagePolicy"),
    Str(14, "imagePullPolicy"),
    Msg(15, "securityContext", kSecurityContext),
    Bool(16, "stdin"),
    Bool(17, "stdinOnce"),
    Bool(18, "tty"),
};
constinit const ProtoMessage kContainer = Message("Container", kContainerFields);

constinit const ProtoField kEphemeralContainerFields[] = {Inline(1, kContainer),
                                                          Str(2, "targetContainerName")};
constinit const ProtoMessage kEphemeralContainer = Message("EphemeralContainer", kEphemeralContainerFields);

// --- volumes --------------------------------------------------------------------------------

constinit const ProtoField kHostPathFields[] = {Str(1, "path", kKeep), Str(2, "type", kKeep)};
constinit const ProtoMessage kHostPath = Message("HostPathVolumeSource", kHostPathFields);

constinit const ProtoField kEmptyDirFields[] = {Str(1, "medium"), Qty(2, "sizeLimit")};
constinit const ProtoMessage kEmptyDir = Message("EmptyDirVolumeSource", kEmptyDirFields);

constinit const ProtoField kSecretVolumeFields[] = {
    Str(1, "secretName"),
    Msg(2, "items", kKeyToPath, kRep),
    Int32(3, "defaultMode", kKeep),
    Bool(4, "optional", kKeep),
};
constinit const ProtoMessage kSecretVolume = Message("SecretVolumeSource", kSecretVolumeFields);

constinit const ProtoField kNFSFields[] = {Str(1, "server", kKeep), Str(2, "path", kKeep),
                                           Bool(3, "readOnly")};
constinit const ProtoMessage kNFS = Message("NFSVolumeSource", kNFSFields);

constinit const ProtoField kPVCVolumeFields[] = {Str(1, "claimName", kKeep), Bool(2, "readOnly")};
constinit const ProtoMessage kPVCVolume = Message("PersistentVolumeClaimVolumeSource", kPVCVolumeFields);

constinit const ProtoField kDownwardAPIFileFields[] = {
    Str(1, "path", kKeep),
    Msg(2, "fieldRef", kObjectFieldSelector),
    Msg(3, "resourceFieldRef", kResourceFieldSelector),
    Int32(4, "mode", kKeep),
};
constinit const ProtoMessage kDownwardAPIFile = Message("DownwardAPIVolumeFile", kDownwardAPIFileFields);

constinit const ProtoField kDownwardAPIVolumeFields[] = {Msg(1, "items", kDownwardAPIFile, kRep),
                                                         Int32(2, "defaultMode", kKeep)};
constinit const ProtoMessage kDownwardAPIVolume =
    Message("DownwardAPIVolumeSource", kDownwardAPIVolumeFields);

constinit const ProtoField kConfigMapVolumeFields[] = {
    Inline(1, kLocalObjectReference),
    Msg(2, "items", kKeyToPath, kRep),
    Int32(3, "defaultMode", kKeep),
    Bool(4, "optional", kKeep),
};
constinit const ProtoMessage kConfigMapVolume = Message("ConfigMapVolumeSource", kConfigMapVolumeFields);

// SecretProjection and ConfigMapProjection share this shape.
constinit const ProtoField kObjectProjectionFields[] = {
    Inline(1, kLocalObjectReference),
    Msg(2, "items", kKeyToPath, kRep),
    Bool(4, "optional", kKeep),
};
constinit const ProtoMessage kObjectProjection = Message("Projection", kObjectProjectionFields);

constinit const ProtoField kDownwardAPIProjectionFields[] = {Msg(1, "items", kDownwardAPIFile, kRep)};
constinit const ProtoMessage kDownwardAPIProjection =
    Message("DownwardAPIProjection", kDownwardAPIProjectionFields);

constinit const ProtoField kTokenProjectionFields[] = {
    Str(1, "audience"), Int64(2, "expirationSeconds", kKeep), Str(3, "path", kKeep)};
constinit const ProtoMessage kTokenProjection =
    Message("ServiceAccountTokenProjection", kTokenProjectionFields);

constinit const ProtoField kVolumeProjectionFields[] = {
    Msg(1, "secret", kObjectProjection),
    Msg(2, "downwardAPI", kDownwardAPIProjection),
    Msg(3, "configMap", kObjectProjection),
    Msg(4, "serviceAccountToken", kTokenProjection),
};
constinit const ProtoMessage kVolumeProjection = Message("VolumeProjection", kVolumeProjectionFields);

constinit const ProtoField kProjectedVolumeFields[] = {Msg(1, "sources", kVolumeProjection, kRep),
                                                       Int32(2, "defaultMode", kKeep)};
constinit const ProtoMessage kProjectedVolume = Message("ProjectedVolumeSource", kProjectedVolumeFields);

constinit const ProtoField kCSIVolumeFields[] = {
    Str(1, "driver", kKeep),
    Bool(2, "readOnly", kKeep),
    Str(3, "fsType", kKeep),
    StrMap(4, "volumeAttributes"),
    Msg(5, "nodePublishSecretRef", kLocalObjectReference),
};
constinit const ProtoMessage kCSIVolume = Message("CSIVolumeSource", kCSIVolumeFields);

constinit const ProtoField kTypedObjectReferenceFields[] = {
    Str(1, "apiGroup", kKeep), Str(2, "kind", kKeep), Str(3, "name", kKeep), Str(4, "namespace", kKeep)};
constinit const ProtoMessage kTypedObjectReference =
    Message("TypedObjectReference", kTypedObjectReferenceFields);

constinit const ProtoField kVolumeResourceRequirementsFields[] = {QtyMap(1, "limits"), QtyMap(2, "requests")};
constinit const ProtoMessage kVolumeResourceRequirements =
    Message("VolumeResourceRequirements", kVolumeResourceRequirementsFields);

constinit const ProtoField kPVCSpecFields[] = {
    Str(1, "accessModes", kRep),
    Msg(4, "selector", kProtoLabelSelector),
    Msg(2, "resources", kVolumeResourceRequirements),
    Str(3, "volumeName"),
    Str(5, "storageClassName", kKeep),
    Str(6, "volumeMode", kKeep),
    Msg(7, "dataSource", kProtoTypedLocalObjectReference),
    Msg(8, "dataSourceRef", kTypedObjectReference),
    Str(9, "volumeAttributesClassName", kKeep),
};
constinit const ProtoMessage kPVCSpec = Message("PersistentVolumeClaimSpec", kPVCSpecFields);

constinit const ProtoField kPVCTemplateFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                   Msg(2, "spec", kPVCSpec)};
constinit const ProtoMessage kPVCTemplate = Message("PersistentVolumeClaimTemplate", kPVCTemplateFields);

constinit const ProtoField kEphemeralVolumeFields[] = {Msg(1, "volumeClaimTemplate", kPVCTemplate)};
constinit const ProtoMessage kEphemeralVolume = Message("EphemeralVolumeSource", kEphemeralVolumeFields);

constinit const ProtoField kImageVolumeFields[] = {Str(1, "reference"), Str(2, "pullPolicy")};
constinit const ProtoMessage kImageVolume = Message("ImageVolumeSource", kImageVolumeFields);

// The in-tree cloud/network volume plugins (gcePersistentDisk, iscsi, rbd, ...) are not
// described: a body using them is rejected as unsupported rather than silently dropped.
constinit const ProtoField kVolumeSourceFields[] = {
    Msg(1, "hostPath", kHostPath),
    Msg(2, "emptyDir", kEmptyDir),
    Msg(6, "secret", kSecretVolume),
    Msg(7, "nfs", kNFS),
    Msg(10, "persistentVolumeClaim", kPVCVolume),
    Msg(16, "downwardAPI", kDownwardAPIVolume),
    Msg(19, "configMap", kConfigMapVolume),
    Msg(26, "projected", kProjectedVolume),
    Msg(28, "csi", kCSIVolume),
    Msg(29, "ephemeral", kEphemeralVolume),
    Msg(30, "image", kImageVolume),
};
constinit const ProtoMessage kVolumeSource = Message("VolumeSource", kVolumeSourceFields);

constinit const ProtoField kVolumeFields[] = {Str(1, "name", kKeep), Inline(2, kVolumeSource)};
constinit const ProtoMessage kVolume = Message("Volume", kVolumeFields);

// --- scheduling -----------------------------------------------------------------------------

constinit const ProtoField kNodeSelectorRequirementFields[] = {
    Str(1, "key", kKeep), Str(2, "operator", kKeep), Str(3, "values", kRep)};
constinit const ProtoMessage kNodeSelectorRequirement =
    Message("NodeSelectorRequirement", kNodeSelectorRequirementFields);

constinit const ProtoField kNodeSelectorTermFields[] = {
    Msg(1, "matchExpressions", kNodeSelectorRequirement, kRep),
    Msg(2, "matchFields", kNodeSelectorRequirement, kRep),
};
constinit const ProtoMessage kNodeSelectorTerm = Message("NodeSelectorTerm", kNodeSelectorTermFields);

constinit const ProtoField kNodeSelectorFields[] = {Msg(1, "nodeSelectorTerms", kNodeSelectorTerm, kRep)};
constinit const ProtoMessage kNodeSelector = Message("NodeSelector", kNodeSelectorFields);

constinit const ProtoField kPreferredSchedulingTermFields[] = {Int32(1, "weight", kKeep),
                                                               Msg(2, "preference", kNodeSelectorTerm)};
constinit const ProtoMessage kPreferredSchedulingTerm =
    Message("PreferredSchedulingTerm", kPreferredSchedulingTermFields);

constinit const ProtoField kNodeAffinityFields[] = {
    Msg(1, "requiredDuringSchedulingIgnoredDuringExecution", kNodeSelector),
    Msg(2, "preferredDuringSchedulingIgnoredDuringExecution", kPreferredSchedulingTerm, kRep),
};
constinit const ProtoMessage kNodeAffinity = Message("NodeAffinity", kNodeAffinityFields);

constinit const ProtoField kPodAffinityTermFields[] = {
    Msg(1, "labelSelector", kProtoLabelSelector),
    Str(2, "namespaces", kRep),
    Str(3, "topologyKey", kKeep),
    Msg(4, "namespaceSelector", kProtoLabelSelector),
    Str(5, "matchLabelKeys", kRep),
    Str(6, "mismatchLabelKeys", kRep),
};
constinit const ProtoMessage kPodAffinityTerm = Message("PodAffinityTerm", kPodAffinityTermFields);

constinit const ProtoField kWeightedPodAffinityTermFields[] = {Int32(1, "weight", kKeep),
                                                               Msg(2, "podAffinityTerm", kPodAffinityTerm)};
constinit const ProtoMessage kWeightedPodAffinityTerm =
    Message("WeightedPodAffinityTerm", kWeightedPodAffinityTermFields);

// PodAffinity and PodAntiAffinity share this shape.
constinit const ProtoField kPodAffinityFields[] = {
    Msg(1, "requiredDuringSchedulingIgnoredDuringExecution", kPodAffinityTerm, kRep),
    Msg(2, "preferredDuringSchedulingIgnoredDuringExecution", kWeightedPodAffinityTerm, kRep),
};
constinit const ProtoMessage kPodAffinity = Message("PodAffinity", kPodAffinityFields);

constinit const ProtoField kAffinityFields[] = {
    Msg(1, "nodeAffinity", kNodeAffinity),
    Msg(2, "podAffinity", kPodAffinity),
    Msg(3, "podAntiAffinity", kPodAffinity),
};
constinit const ProtoMessage kAffinity = Message("Affinity", kAffinityFields);

constinit const ProtoField kTolerationFields[] = {
    Str(1, "key"),
    Str(2, "operator"),
    Str(3, "value"),
    Str(4, "effect"),
    Int64(5, "tolerationSeconds", kKeep),
};
constinit const ProtoMessage kToleration = Message("Toleration", kTolerationFields);

constinit const ProtoField kTopologySpreadConstraintFields[] = {
    Int32(1, "maxSkew", kKeep),         Str(2, "topologyKey", kKeep),
    Str(3, "whenUnsatisfiable", kKeep), Msg(4, "labelSelector", kProtoLabelSelector),
    Int32(5, "minDomains", kKeep),      Str(6, "nodeAffinityPolicy", kKeep),
    Str(7, "nodeTaintsPolicy", kKeep),  Str(8, "matchLabelKeys", kRep),
};
constinit const ProtoMessage kTopologySpreadConstraint =
    Message("TopologySpreadConstraint", kTopologySpreadConstraintFields);

// --- pod spec -------------------------------------------------------------------------------

constinit const ProtoField kHostAliasFields[] = {Str(1, "ip"), Str(2, "hostnames", kRep)};
constinit const ProtoMessage kHostAlias = Message("HostAlias", kHostAliasFields);

constinit const ProtoField kPodDNSConfigOptionFields[] = {Str(1, "name"), Str(2, "value", kKeep)};
constinit const ProtoMessage kPodDNSConfigOption = Message("PodDNSConfigOption", kPodDNSConfigOptionFields);

constinit const ProtoField kPodDNSConfigFields[] = {
    Str(1, "nameservers", kRep),
    Str(2, "searches", kRep),
    Msg(3, "options", kPodDNSConfigOption, kRep),
};
constinit const ProtoMessage kPodDNSConfig = Message("PodDNSConfig", kPodDNSConfigFields);

constinit const ProtoField kPodReadinessGateFields[] = {Str(1, "conditionType", kKeep)};
constinit const ProtoMessage kPodReadinessGate = Message("PodReadinessGate", kPodReadinessGateFields);

// PodOS and PodSchedulingGate are both {name 1}.
constinit const ProtoField kNamedFields[] = {Str(1, "name", kKeep)};
constinit const ProtoMessage kNamed = Message("Named", kNamedFields);

constinit const ProtoField kPodResourceClaimFields[] = {
    Str(1, "name", kKeep),
    Str(3, "resourceClaimName", kKeep),
    Str(4, "resourceClaimTemplateName", kKeep),
};
constinit const ProtoMessage kPodResourceClaim = Message("PodResourceClaim", kPodResourceClaimFields);

constinit const ProtoField kPodSpecFields[] = {
    Msg(1, "volumes", kVolume, kRep),
    Msg(20, "initContainers", kContainer, kRep),
    Msg(2, "containers", kContainer, kRep),
    Msg(34, "ephemeralContainers", kEphemeralContainer, kRep),
    Str(3, "restartPolicy"),
    Int64(4, "terminationGracePeriodSeconds", kKeep),
    Int64(5, "activeDeadlineSeconds", kKeep),
    Str(6, "dnsPolicy"),
    StrMap(7, "nodeSelector"),
    Str(8, "serviceAccountName"),
    Str(9, "serviceAccount"),
    Bool(21, "automountServiceAccountToken", kKeep),
    Str(10, "nodeName"),
    Bool(11, "hostNetwork"),
    Bool(12, "hostPID"),
    Bool(13, "hostIPC"),
    Bool(27, "shareProcessNamespace", kKeep),
    Msg(14, "securityContext", kPodSecurityContext),
    Msg(15, "imagePullSecrets", kLocalObjectReference, kRep),
    Str(16, "hostname"),
    Str(17, "subdomain"),
    Msg(18, "affinity", kAffinity),
    Str(19, "schedulerName"),
    Msg(22, "tolerations", kToleration, kRep),
    Msg(23, "hostAliases", kHostAlias, kRep),
    Str(24, "priorityClassName"),
    Int32(25, "priority", kKeep),
    Msg(26, "dnsConfig", kPodDNSConfig),
    Msg(28, "readinessGates", kPodReadinessGate, kRep),
    Str(29, "runtimeClassName", kKeep),
    Bool(30, "enableServiceLinks", kKeep),
    Str(31, "preemptionPolicy", kKeep),
    QtyMap(32, "overhead"),
    Msg(33, "topologySpreadConstraints", kTopologySpreadConstraint, kRep),
    Bool(35, "setHostnameAsFQDN", kKeep),
    Msg(36, "os", kNamed),
    Bool(37, "hostUsers", kKeep),
    Msg(38, "schedulingGates", kNamed, kRep),
    Msg(39, "resourceClaims", kPodResourceClaim, kRep),
    Msg(40, "resources", kResourceRequirements),
};
constinit const ProtoMessage kPodSpec = Message("PodSpec", kPodSpecFields);

// --- pod status -----------------------------------------------------------------------------

constinit const ProtoField kPodConditionFields[] = {
    Str(1, "type", kKeep),         Str(2, "status", kKeep), Time(3, "lastProbeTime"),
    Time(4, "lastTransitionTime"), Str(5, "reason"),        Str(6, "message"),
};
constinit const ProtoMessage kPodCondition = Message("PodCondition", kPodConditionFields);

// PodIP and HostIP are both {ip 1}.
constinit const ProtoField kIPFields[] = {Str(1, "ip")};
constinit const ProtoMessage kIP = Message("PodIP", kIPFields);

constinit const ProtoField kStateWaitingFields[] = {Str(1, "reason"), Str(2, "message")};
constinit const ProtoMessage kStateWaiting = Message("ContainerStateWaiting", kStateWaitingFields);

constinit const ProtoField kStateRunningFields[] = {Time(1, "startedAt")};
constinit const ProtoMessage kStateRunning = Message("ContainerStateRunning", kStateRunningFields);

constinit const ProtoField kStateTerminatedFields[] = {
    Int32(1, "exitCode", kKeep), Int32(2, "signal"),    Str(3, "reason"),      Str(4, "message"),
    Time(5, "startedAt"),        Time(6, "finishedAt"), Str(7, "containerID"),
};
constinit const ProtoMessage kStateTerminated = Message("ContainerStateTerminated", kStateTerminatedFields);

constinit const ProtoField kContainerStateFields[] = {
    Msg(1, "waiting", kStateWaiting),
    Msg(2, "running", kStateRunning),
    Msg(3, "terminated", kStateTerminated),
};
constinit const ProtoMessage kContainerState = Message("ContainerState", kContainerStateFields);

constinit const ProtoField kContainerStatusFields[] = {
    Str(1, "name", kKeep),
    Msg(2, "state", kContainerState),
    Msg(3, "lastState", kContainerState),
    Bool(4, "ready", kKeep),
    Int32(5, "restartCount", kKeep),
    Str(6, "image", kKeep),
    Str(7, "imageID", kKeep),
    Str(8, "containerID"),
    Bool(9, "started", kKeep),
    QtyMap(10, "allocatedResources"),
    Msg(11, "resources", kResourceRequirements),
};
constinit const ProtoMessage kContainerStatus = Message("ContainerStatus", kContainerStatusFields);

constinit const ProtoField kPodStatusFields[] = {
    Str(1, "phase"),
    Msg(2, "conditions", kPodCondition, kRep),
    Str(3, "message"),
    Str(4, "reason"),
    Str(11, "nominatedNodeName"),
    Str(5, "hostIP"),
    Msg(16, "hostIPs", kIP, kRep),
    Str(6, "podIP"),
    Msg(12, "podIPs", kIP, kRep),
    Time(7, "startTime"),
    Msg(10, "initContainerStatuses", kContainerStatus, kRep),
    Msg(8, "containerStatuses", kContainerStatus, kRep),
    Str(9, "qosClass"),
    Msg(13, "ephemeralContainerStatuses", kContainerStatus, kRep),
    Str(14, "resize"),
};
constinit const ProtoMessage kPodStatus = Message("PodStatus", kPodStatusFields);

constinit const ProtoField kPodTemplateSpecFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                       Msg(2, "spec", kPodSpec)};

constinit const ProtoField kPodFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kPodSpec),
    Msg(3, "status", kPodStatus),
};

}  // namespace

constinit const ProtoMessage kProtoPodTemplateSpec = Message("PodTemplateSpec", kPodTemplateSpecFields);
constinit const ProtoMessage kProtoPod = Message("Pod", kPodFields);

}  // namespace skiff::api
