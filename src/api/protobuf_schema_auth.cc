// Protobuf descriptions of the review kinds kubectl sends as protobuf (`auth can-i`,
// `auth whoami`), of TokenRequest (`kubectl create token`) and of the CertificateSigningRequest
// that `kubectl certificate approve|deny` PUTs: authorization.k8s.io/v1, authentication.k8s.io/v1
// and certificates.k8s.io/v1 (field numbers from their generated.proto). CSR spec.extra (a map of
// ExtraValue messages) is not described: the server sets it from the requester anyway.
#include "api/protobuf_schema.h"

namespace skiff::api {
using namespace proto_table;  // NOLINT: the table-building helpers
namespace {

constinit const ProtoField kResourceAttributesFields[] = {
    Str(1, "namespace"), Str(2, "verb"), Str(3, "group"), Str(4, "version"),
    Str(5, "resource"),  Str(6, "subresource"), Str(7, "name"),
};
constinit const ProtoMessage kResourceAttributes = Message("ResourceAttributes", kResourceAttributesFields);

constinit const ProtoField kNonResourceAttributesFields[] = {Str(1, "path"), Str(2, "verb")};
constinit const ProtoMessage kNonResourceAttributes = Message("NonResourceAttributes", kNonResourceAttributesFields);

constinit const ProtoField kAccessReviewSpecFields[] = {
    Msg(1, "resourceAttributes", kResourceAttributes),
    Msg(2, "nonResourceAttributes", kNonResourceAttributes),
};
constinit const ProtoMessage kAccessReviewSpec = Message("SelfSubjectAccessReviewSpec", kAccessReviewSpecFields);

constinit const ProtoField kAccessReviewStatusFields[] = {
    Bool(1, "allowed"), Str(2, "reason"), Str(3, "evaluationError"), Bool(4, "denied")};
constinit const ProtoMessage kAccessReviewStatus = Message("SubjectAccessReviewStatus", kAccessReviewStatusFields);

constinit const ProtoField kSelfSubjectAccessReviewFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kAccessReviewSpec),
    Msg(3, "status", kAccessReviewStatus),
};

constinit const ProtoField kRulesReviewSpecFields[] = {Str(1, "namespace")};
constinit const ProtoMessage kRulesReviewSpec = Message("SelfSubjectRulesReviewSpec", kRulesReviewSpecFields);

constinit const ProtoField kRulesReviewStatusFields[] = {Bool(3, "incomplete"), Str(4, "evaluationError")};
constinit const ProtoMessage kRulesReviewStatus = Message("SubjectRulesReviewStatus", kRulesReviewStatusFields);

constinit const ProtoField kSelfSubjectRulesReviewFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kRulesReviewSpec),
    Msg(3, "status", kRulesReviewStatus),
};

constinit const ProtoField kUserInfoFields[] = {Str(1, "username"), Str(2, "uid"), Str(3, "groups", kRep)};
constinit const ProtoMessage kUserInfo = Message("UserInfo", kUserInfoFields);
constinit const ProtoField kSelfSubjectReviewStatusFields[] = {Msg(1, "userInfo", kUserInfo)};
constinit const ProtoMessage kSelfSubjectReviewStatus = Message("SelfSubjectReviewStatus", kSelfSubjectReviewStatusFields);
constinit const ProtoField kSelfSubjectReviewFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                         Msg(2, "status", kSelfSubjectReviewStatus)};

constinit const ProtoField kBoundObjectReferenceFields[] = {
    Str(1, "kind"), Str(2, "apiVersion"), Str(3, "name"), Str(4, "uid")};
constinit const ProtoMessage kBoundObjectReference = Message("BoundObjectReference", kBoundObjectReferenceFields);
// expirationSeconds is a pointer in v1: a 0 on the wire is kept (and refused by validation).
constinit const ProtoField kTokenRequestSpecFields[] = {
    Str(1, "audiences", kRep), Msg(3, "boundObjectRef", kBoundObjectReference), Int64(4, "expirationSeconds", kKeep)};
constinit const ProtoMessage kTokenRequestSpec = Message("TokenRequestSpec", kTokenRequestSpecFields);
constinit const ProtoField kTokenRequestStatusFields[] = {Str(1, "token"), Time(2, "expirationTimestamp")};
constinit const ProtoMessage kTokenRequestStatus = Message("TokenRequestStatus", kTokenRequestStatusFields);
constinit const ProtoField kTokenRequestFields[] = {Msg(1, "metadata", kProtoObjectMeta),
                                                    Msg(2, "spec", kTokenRequestSpec),
                                                    Msg(3, "status", kTokenRequestStatus)};
constinit const ProtoField kCsrSpecFields[] = {
    Bytes(1, "request"), Str(2, "username"), Str(3, "uid"), Str(4, "groups", kRep),
    Str(5, "usages", kRep), Str(7, "signerName"), Int32(8, "expirationSeconds", kKeep),
};
constinit const ProtoMessage kCsrSpec = Message("CertificateSigningRequestSpec", kCsrSpecFields);
constinit const ProtoField kCsrConditionFields[] = {
    Str(1, "type"), Str(2, "reason"), Str(3, "message"), Time(4, "lastUpdateTime"),
    Time(5, "lastTransitionTime"), Str(6, "status"),
};
constinit const ProtoMessage kCsrCondition =
    Message("CertificateSigningRequestCondition", kCsrConditionFields);
constinit const ProtoField kCsrStatusFields[] = {Msg(1, "conditions", kCsrCondition, kRep),
                                                 Bytes(2, "certificate")};
constinit const ProtoMessage kCsrStatus = Message("CertificateSigningRequestStatus", kCsrStatusFields);
constinit const ProtoField kCsrFields[] = {Msg(1, "metadata", kProtoObjectMeta), Msg(2, "spec", kCsrSpec),
                                           Msg(3, "status", kCsrStatus)};

}  // namespace

constinit const ProtoMessage kProtoCertificateSigningRequest =
    Message("CertificateSigningRequest", kCsrFields);
constinit const ProtoMessage kProtoSelfSubjectAccessReview =
    Message("SelfSubjectAccessReview", kSelfSubjectAccessReviewFields);
constinit const ProtoMessage kProtoSelfSubjectRulesReview =
    Message("SelfSubjectRulesReview", kSelfSubjectRulesReviewFields);
constinit const ProtoMessage kProtoSelfSubjectReview = Message("SelfSubjectReview", kSelfSubjectReviewFields);
constinit const ProtoMessage kProtoTokenRequest = Message("TokenRequest", kTokenRequestFields);

}  // namespace skiff::api
