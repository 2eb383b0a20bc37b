// Escalation prevention (Kubernetes' rbac/validation): a user may write a role, or bind one, only
// when the rules it grants are covered by rules the user already holds. Covers breaks the
// requested rules down into one rule per group x resource x verb (x name) and per URL x verb and
// checks each against the owner's rules; EscalationMessage renders the refusal exactly as
// kube-apiserver does (missing rules compacted and sorted, one per line).
// Thread-safety: pure functions. Failure: none; the caller turns the message into a 403.
#ifndef SKIFF_APISERVER_RBAC_ESCALATION_H_
#define SKIFF_APISERVER_RBAC_ESCALATION_H_

#include <string>
#include <vector>

#include "apiserver/rbac/policy_rule.h"

namespace skiff::apiserver::rbac {

// One rule per group x resource x verb (x resourceName), and per nonResourceURL x verb.
std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule);
// Whether `owner` grants everything `requested` does.
bool RuleCovers(const PolicyRule& owner, const PolicyRule& requested);
// The broken-down parts of `requested` that no owner rule covers (empty: fully covered).
std::vector<PolicyRule> MissingRules(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& requested);
// Merges rules that differ only in verbs (single group and resource, no names), then sorts them.
std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules);
// `user "alice" (groups=["g" "system:authenticated"]) is attempting to grant RBAC permissions not
// currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["create"]}`.
std::string EscalationMessage(const std::string& user, const std::vector<std::string>& groups,
                              const std::vector<PolicyRule>& missing);

}  // namespace skiff::apiserver::rbac

#endif  // SKIFF_APISERVER_RBAC_ESCALATION_H_
