// Protobuf tables for k8s.io/apimachinery meta/v1 messages (ObjectMeta, LabelSelector,
// DeleteOptions, Condition). Field numbers follow apimachinery's generated.proto.
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {
using namespace proto_table;  // NOLINT(build/namespaces): terse table syntax

constinit const ProtoField kOwnerReferenceFields[] = {
    Str(5, "apiVersion", kKeep), Str(1, "kind", kKeep),        Str(3, "name", kKeep),
    Str(4, "uid", kKeep),        Bool(6, "controller", kKeep), Bool(7, "blockOwnerDeletion", kKeep),
};
constinit const ProtoMessage kOwnerReference = Message("OwnerReference", kOwnerReferenceFields);

constinit const ProtoField kManagedFieldsEntryFields[] = {
    Str(1, "manager"),    Str(2, "operation"),     Str(3, "apiVersion"),  Time(4, "time"),
    Str(6, "fieldsType"), FieldsV1(7, "fieldsV1"), Str(8, "subresource"),
};
constinit const ProtoMessage kManagedFieldsEntry = Message("ManagedFieldsEntry", kManagedFieldsEntryFields);

constinit const ProtoField kObjectMetaFields[] = {
    Str(1, "name"),
    Str(2, "generateName"),
    Str(3, "namespace"),
    Str(4, "selfLink"),
    Str(5, "uid"),
    Str(6, "resourceVersion"),
    Int64(7, "generation"),
    Time(8, "creationTimestamp"),
    Time(9, "deletionTimestamp"),
    Int64(10, "deletionGracePeriodSeconds", kKeep),
    StrMap(11, "labels"),
    StrMap(12, "annotations"),
    Msg(13, "ownerReferences", kOwnerReference, kRep),
    Str(14, "finalizers", kRep),
    Msg(17, "managedFields", kManagedFieldsEntry, kRep),
};

constinit const ProtoField kLabelSelectorRequirementFields[] = {
    Str(1, "key", kKeep),
    Str(2, "operator", kKeep),
    Str(3, "values", kRep),
};
constinit const ProtoMessage kLabelSelectorRequirement =
    Message("LabelSelectorRequirement", kLabelSelectorRequirementFields);

constinit const ProtoField kLabelSelectorFields[] = {
    StrMap(1, "matchLabels"),
    Msg(2, "matchExpressions", kLabelSelectorRequirement, kRep),
};

constinit const ProtoField kPreconditionsFields[] = {
    Str(1, "uid", kKeep),
    Str(2, "resourceVersion", kKeep),
};
constinit const ProtoMessage kPreconditions = Message("Preconditions", kPreconditionsFields);

constinit const ProtoField kDeleteOptionsFields[] = {
    Int64(1, "gracePeriodSeconds", kKeep),
    Msg(2, "preconditions", kPreconditions),
    Bool(3, "orphanDependents", kKeep),
    Str(4, "propagationPolicy", kKeep),
    Str(5, "dryRun", kRep),
    Bool(6, "ignoreStoreReadErrorWithClusterBreakingPotential", kKeep),
};

constinit const ProtoField kConditionFields[] = {
    Str(1, "type", kKeep),         Str(2, "status", kKeep), Int64(3, "observedGeneration"),
    Time(4, "lastTransitionTime"), Str(5, "reason", kKeep), Str(6, "message", kKeep),
};

}  // namespace

constinit const ProtoMessage kProtoObjectMeta = Message("ObjectMeta", kObjectMetaFields);
constinit const ProtoMessage kProtoLabelSelector = Message("LabelSelector", kLabelSelectorFields);
constinit const ProtoMessage kProtoDeleteOptions = Message("DeleteOptions", kDeleteOptionsFields);
constinit const ProtoMessage kProtoMetaCondition = Message("Condition", kConditionFields);

}  // namespace skiff::api
