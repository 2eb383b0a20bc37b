// Kubernetes name and label syntax checks (k8s.io/apimachinery/pkg/util/validation), with the
// exact error wording the real API server reports, e.g. for "Bad_Name":
//   a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.',
//   and must start and end with an alphanumeric character (e.g. 'example.com', regex used for
//   validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
// Every check returns the list of violated rules; an empty list means valid.
// Thread-safety: pure functions. Ownership: results are returned by value. Never fails otherwise.
#ifndef SKIFF_API_NAME_VALIDATION_H_
#define SKIFF_API_NAME_VALIDATION_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::api {

inline constexpr std::size_t kQualifiedNameMaxLength = 63;
inline constexpr std::size_t kLabelValueMaxLength = 63;
inline constexpr std::size_t kDns1123LabelMaxLength = 63;
inline constexpr std::size_t kDns1123SubdomainMaxLength = 253;
inline constexpr std::size_t kDns1035LabelMaxLength = 63;

// "[prefix/]name": prefix a DNS-1123 subdomain, name <= 63 chars of [A-Za-z0-9-_.] that starts and
// ends alphanumeric. Used for label keys, annotation keys, condition types, finalizers.
std::vector<std::string> IsQualifiedName(std::string_view value);
// A label key is a qualified name.
std::vector<std::string> ValidateLabelKey(std::string_view key);
// Empty, or <= 63 chars of [A-Za-z0-9-_.] starting and ending alphanumeric.
std::vector<std::string> ValidateLabelValue(std::string_view value);
// RFC 1123 label: <= 63 chars of [a-z0-9-], starting and ending alphanumeric (namespace names).
std::vector<std::string> IsDns1123Label(std::string_view value);
// RFC 1123 subdomain: dot-separated labels, <= 253 chars (most object names).
std::vector<std::string> IsDns1123Subdomain(std::string_view value);
// RFC 1035 label: like a DNS-1123 label but starting with a letter (service names).
std::vector<std::string> IsDns1035Label(std::string_view value);
// "*." then a DNS-1123 subdomain, <= 253 chars in all (Ingress hosts such as *.example.com).
std::vector<std::string> IsWildcardDns1123Subdomain(std::string_view value);

// Kubernetes' message builders, for callers that validate other formats the same way.
std::string MaxLenError(std::size_t length);  // "must be no more than 63 characters"
std::string EmptyError();                     // "must be non-empty"
// "<msg> (e.g. 'a',  or 'b', regex used for validation is '<regex>')" — the double space is
// Kubernetes' own and clients' tests may compare the text.
std::string RegexError(std::string_view msg, std::string_view regex,
                       std::initializer_list<std::string_view> examples);

}  // namespace skiff::api

#endif  // SKIFF_API_NAME_VALIDATION_H_
