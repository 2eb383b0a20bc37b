// What the audit log (apiserver/audit) needs to know about a request in its own terms: the
// authenticated User and the RequestInfo of the URL, translated for the audit policy.
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_APISERVER_AUDIT_ATTRIBUTES_H_
#define SKIFF_APISERVER_AUDIT_ATTRIBUTES_H_

#include "apiserver/audit/policy.h"
#include "apiserver/auth.h"
#include "apiserver/request_info.h"
#include "http/http_types.h"

namespace skiff::apiserver {

audit::UserInfo AuditUser(const User& user);

// `user` null: the request is not authenticated (the event records no user).
audit::Attributes AuditAttributes(const http::HttpRequest& req, const User* user);
// The same for a request described by `info` (in-process clients make no HTTP request).
audit::Attributes AuditAttributes(const RequestInfo& info, const User* user);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AUDIT_ATTRIBUTES_H_
