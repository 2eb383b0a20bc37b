#include "apiserver/admission.h"

namespace skiff::apiserver {

absl::string_view OperationName(AdmissionOperation op) {
  switch (op) {
    case AdmissionOperation::kCreate:
      return "CREATE";
    case AdmissionOperation::kUpdate:
      return "UPDATE";
    case AdmissionOperation::kDelete:
      return "DELETE";
    case AdmissionOperation::kConnect:
      return "CONNECT";
  }
  return "";
}

}  // namespace skiff::apiserver
