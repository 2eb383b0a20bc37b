// Field selectors: the `?fieldSelector=` string form (`metadata.name=web,status.phase!=Running`),
// with Kubernetes' semantics (k8s.io/apimachinery/pkg/fields):
//   * terms are split on unescaped commas, sorted, and ANDed; empty terms are skipped;
//   * each term splits at its first `!=`, `==` or `=` (field names have no escapes);
//   * values escape `\`, `,` and `=` with a backslash; an unescaped `,`/`=` in a value is an error;
//   * a field the object does not have compares as "" (so `spec.nodeName=` finds unscheduled pods).
// Which fields exist is kind-specific: callers pass a getter; UnsupportedFields() lets the API
// answer 400 `field label not supported: <field>` before matching.
// Thread-safety: immutable after Parse; safe to share. Ownership: value type.
// Failure: Parse returns InvalidArgument with Kubernetes' text, e.g.
// `invalid selector: 'a'; can't understand 'a'`.
#ifndef SKIFF_API_FIELD_SELECTOR_H_
#define SKIFF_API_FIELD_SELECTOR_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::api {

struct FieldRequirement {
  std::string field;
  bool negated = false;  // `!=` rather than `=`/`==`
  std::string value;     // unescaped
  bool operator==(const FieldRequirement&) const = default;
};

// Returns the object's value for a field, "" when the object lacks it, or nullopt when the kind
// does not support selecting on that field at all.
using FieldGetter = std::function<std::optional<std::string>(std::string_view field)>;

class FieldSelector {
 public:
  // Matches everything.
  FieldSelector() = default;

  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  const std::vector<FieldRequirement>& Requirements() const { return requirements_; }
  bool Empty() const { return requirements_.empty(); }

  // Fields (in requirement order, each once) that `getter` answers with nullopt.
  std::vector<std::string> UnsupportedFields(const FieldGetter& getter) const;
  // The 400 message for the first unsupported field (`field label not supported: x`), or OK.
  absl::Status CheckSupported(const FieldGetter& getter) const;
  // All requirements hold; an unsupported field compares as "".
  bool Matches(const FieldGetter& getter) const;

  // Returns the value required by an `=`/`==` term on `field`, if any (used to narrow a LIST,
  // e.g. metadata.name=x).
  std::optional<std::string> RequiresExactMatch(std::string_view field) const;

  // Canonical text: `f=v` / `f!=v` joined by ",", values escaped.
  std::string String() const;

  bool operator==(const FieldSelector&) const = default;

 private:
  std::vector<FieldRequirement> requirements_;
};

// Escapes `\`, `,` and `=` for use as a field selector value.
std::string EscapeFieldSelectorValue(std::string_view value);
// The inverse; InvalidArgument for a bad escape or an unescaped `,`/`=`.
absl::StatusOr<std::string> UnescapeFieldSelectorValue(std::string_view value);

}  // namespace skiff::api

#endif  // SKIFF_API_FIELD_SELECTOR_H_
