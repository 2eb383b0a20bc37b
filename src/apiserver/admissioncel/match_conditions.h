// matchConditions as kube-apiserver evaluates them for webhooks and ValidatingAdmissionPolicies
// (its matchconditions package): every condition is evaluated; a condition that is false means
// no match (whatever errors others had); otherwise any error is the result, naming the
// condition; otherwise the request matches.
// Thread-safety: MatchConditions is immutable after Compile; Evaluate may run concurrently.
// Ownership: values. Failure: Compile keeps the compile error of each bad condition, and
// Evaluate reports it as that condition's error (stored objects were validated, so this is rare).
#ifndef SKIFF_APISERVER_ADMISSIONCEL_MATCH_CONDITIONS_H_
#define SKIFF_APISERVER_ADMISSIONCEL_MATCH_CONDITIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/cel/cel.h"
#include "api/validation.h"
#include "apiserver/admissioncel/environment.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissioncel {

struct MatchResult {
  bool matches = true;
  std::string failed_condition;  // the condition that was false, when !matches
  absl::Status error;            // set when no condition was false but one failed to evaluate
};

class MatchConditions {
 public:
  // `conditions` is the matchConditions array (null or absent: matches everything).
  static MatchConditions Compile(const boost::json::value* conditions, Environment environment);
  // Compiles each condition of `conditions` (at `path`, e.g. "webhooks[0].matchConditions") as
  // the server must before storing them: kube's 422 field errors for those that do not compile.
  static std::vector<api::FieldError> Check(const boost::json::value* conditions, const std::string& path,
                                            Environment environment);
  bool empty() const { return conditions_.empty(); }
  MatchResult Evaluate(const api::cel::Activation& activation) const;

 private:
  struct Condition {
    std::string name;
    std::shared_ptr<const api::cel::Program> program;  // null when it did not compile
    absl::Status compile_error;
  };
  std::vector<Condition> conditions_;
};

}  // namespace skiff::apiserver::admissioncel

#endif  // SKIFF_APISERVER_ADMISSIONCEL_MATCH_CONDITIONS_H_
