// Label selectors: the `?labelSelector=` string form (`app=web,tier in (a,b),!canary,x>5`) and the
// metav1.LabelSelector object form ({matchLabels, matchExpressions}) used by workload specs.
// Semantics, canonical String() and error texts follow k8s.io/apimachinery/pkg/labels:
//   * requirements are ANDed and kept sorted by key (stable), set values sorted and de-duplicated;
//   * `k!=v` and `k notin (..)` match objects without the label; `k>5`/`k<5` need an integer label;
//   * an empty selector matches everything; Nothing() (a null metav1.LabelSelector) matches nothing.
// Thread-safety: immutable values after construction; safe to share between threads.
// Ownership: plain value types. Failure: Parse/FromJson return InvalidArgument with Kubernetes'
// message, e.g. `unable to parse requirement: found '(', expected: ...`.
// This header also exports the name/label syntax checks of api/name_validation.h.
#ifndef SKIFF_API_LABEL_SELECTOR_H_
#define SKIFF_API_LABEL_SELECTOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/name_validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

enum class LabelOperator {
  kEquals,        // k=v
  kDoubleEquals,  // k==v
  kNotEquals,     // k!=v
  kIn,            // k in (a,b)
  kNotIn,         // k notin (a,b)
  kExists,        // k
  kDoesNotExist,  // !k
  kGreaterThan,   // k>5
  kLessThan,      // k<5
};

struct LabelRequirement {
  std::string key;
  LabelOperator op = LabelOperator::kExists;
  std::vector<std::string> values;

  // `labels` is the metadata.labels object (may be null or not an object: no labels).
  bool Matches(const boost::json::value* labels) const;
  // Canonical text, values sorted: `k in (a,b)`, `!k`, `k=v`.
  std::string String() const;
  bool operator==(const LabelRequirement&) const = default;
};

// One validation problem of a metav1.LabelSelector object, shaped like a Kubernetes StatusCause:
// field `spec.selector.matchExpressions[0].values`, reason `FieldValueRequired`, message
// `Required value: must be specified when `operator` is 'In' or 'NotIn'`.
struct LabelSelectorError {
  std::string field;
  std::string reason;   // FieldValueInvalid | FieldValueRequired | FieldValueForbidden | FieldValueTypeInvalid
  std::string message;  // the error body, without the field
  boost::json::value bad_value;  // the offending value (Invalid and TypeInvalid)
  std::string detail;            // the message after the error type and value
  // `<field>: <message>`, Kubernetes' field.Error text.
  std::string ToString() const;
};

class LabelSelector {
 public:
  // Matches everything.
  LabelSelector() = default;
  // Matches nothing (what a null metav1.LabelSelector means).
  static LabelSelector Nothing();

  // Parses the string form; "" (or only whitespace) matches everything.
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // Checks a metav1.LabelSelector object the way Kubernetes' ValidateLabelSelector does, plus
  // shape checks (objects, string lists). `field_path` prefixes the error fields ("spec.selector").
  static std::vector<LabelSelectorError> Validate(const boost::json::value& selector,
                                                  std::string_view field_path);
  // Converts a metav1.LabelSelector object (LabelSelectorAsSelector): null -> Nothing(), {} ->
  // everything. Validation errors are reported as InvalidArgument: one error's text, or several
  // as `[e1, e2]`.
  static absl::StatusOr<LabelSelector> FromJson(const boost::json::value& selector,
                                                std::string_view field_path = "selector");

  // `labels` is the metadata.labels object (null, missing or non-object means no labels).
  bool Matches(const boost::json::value* labels) const;
  // True when the selector does not restrict anything (not for Nothing()).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool MatchesNothing() const { return nothing_; }
  // Canonical string form (`app=web,tier in (a,b)`); Parse(String()) gives an equal selector.
  // Nothing() renders as "" like Kubernetes.
  std::string String() const;
  const std::vector<LabelRequirement>& Requirements() const { return requirements_; }

  // Returns the value a selector requires for `key` via =, == or a one-value `in`, if any.
  const std::string* RequiresExactMatch(std::string_view key) const;

  bool operator==(const LabelSelector&) const = default;

 private:
  std::vector<LabelRequirement> requirements_;
  bool nothing_ = false;
};

}  // namespace skiff::api

#endif  // SKIFF_API_LABEL_SELECTOR_H_
