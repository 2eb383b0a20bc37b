// SchemaAdmission: the Admission used by `skiff server`: applies the per-kind rewrites (Secret
// stringData into data, api/kind_rules.h), the kind's schema defaults (and Kubernetes'
// conditional defaults), then validates against the schema, answering 422 Invalid
// with Kubernetes-style causes. Immutable fields are checked against the old object on update.
// Custom resources are pruned, defaulted and validated with their CRD version's structural schema
// (api/structural), CRDs additionally with apiserver/crd/crd_validation.h.
// Thread-safety: stateless after construction; safe for concurrent use. Ownership: borrows the
// schema registry (process-lifetime BuiltinSchemas()).
#ifndef SKIFF_APISERVER_SCHEMA_ADMISSION_H_
#define SKIFF_APISERVER_SCHEMA_ADMISSION_H_

#include <string>
#include <vector>

#include "api/schema.h"
#include "api/validation.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

class SchemaAdmission : public Admission {
 public:
  explicit SchemaAdmission(const api::SchemaRegistry& schemas) : schemas_(schemas) {}
  absl::Status Admit(const api::ResourceInfo& resource, boost::json::value& obj,
                     const boost::json::value* old) override;

 private:
  const api::SchemaRegistry& schemas_;
};

// The 422 Invalid (400 for type mismatches) answer for `errors` (api/validation.h).
using api::InvalidObjectStatus;

// The schema type of a served resource, or nullptr.
const api::TypeSchema* TypeFor(const api::SchemaRegistry& schemas, const api::ResourceInfo& resource);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SCHEMA_ADMISSION_H_
