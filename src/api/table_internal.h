// Internal to the table*.cc files: the Printer type (column definitions + row function) each
// built-in kind's table is made of, the per-kind printer constructors (grouped by file:
// table_core.cc, table_pod.cc, table_events.cc, table_apps.cc, table_groups.cc,
// table_networking.cc) and the cell
// formatting helpers they share, which mirror Kubernetes' printers (pkg/printers/internalversion):
// "<none>", "<unset>", "<unknown>" placeholders, label and selector text, container lists,
// canonical quantities, access-mode abbreviations and "a,b,c + N more..." lists.
// Thread-safety: pure functions; a Printer is immutable once built. Ownership: values; pointers
// returned by the lookup helpers point into the object passed in. Never fails: missing or
// malformed fields print as Kubernetes prints the zero value.
#ifndef SKIFF_API_TABLE_INTERNAL_H_
#define SKIFF_API_TABLE_INTERNAL_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "api/resources.h"
#include "boost/json/array.hpp"
#include "boost/json/value.hpp"

namespace skiff::api::table_internal {

struct Column {
  const char* name;
  const char* type;  // "string", "integer", "boolean", "date"
  int priority;      // > 0: shown only with `-o wide`
  const char* description;
  const char* format = "";  // "name" on the object's name column
};

// Cells for one object, one per column; the server always prints the wide cells too.
using RowFn = std::function<boost::json::array(const boost::json::value& obj, absl::Time now)>;

struct Printer {
  std::vector<Column> columns;
  RowFn row;
};

// The printer for `resource`; Name/Created At for kinds without specific columns.
Printer PrinterFor(const ResourceInfo& resource);

// ---- per-kind printers ----
Printer PodPrinter();
Printer PodTemplatePrinter();
Printer ServicePrinter();
Printer NodePrinter();
Printer NamespacePrinter();
Printer ConfigMapPrinter();
Printer SecretPrinter();
Printer ServiceAccountPrinter();
Printer EndpointsPrinter();
Printer ReplicationControllerPrinter();
Printer ResourceQuotaPrinter();
Printer PersistentVolumePrinter();
Printer PersistentVolumeClaimPrinter();
Printer EventPrinter(bool events_k8s_io);  // core/v1 or events.k8s.io/v1 field names
Printer DeploymentPrinter();
Printer ReplicaSetPrinter();
Printer StatefulSetPrinter();
Printer DaemonSetPrinter();
Printer ControllerRevisionPrinter();
Printer JobPrinter();
Printer CronJobPrinter();
Printer HorizontalPodAutoscalerPrinter(const ResourceInfo& served);
Printer CertificateSigningRequestPrinter();
Printer LeasePrinter();
Printer EndpointSlicePrinter();
Printer PodDisruptionBudgetPrinter();
Printer PriorityClassPrinter();
Printer StorageClassPrinter();
Printer RoleBindingPrinter(bool cluster);
Printer APIServicePrinter();
Printer IngressPrinter();  // table_networking.cc
Printer IngressClassPrinter();
Printer NetworkPolicyPrinter();
Printer WebhookConfigurationPrinter();
Printer ValidatingAdmissionPolicyPrinter();
Printer ValidatingAdmissionPolicyBindingPrinter();  // Mutating- and ValidatingWebhookConfiguration
// Name, then the CRD's additionalPrinterColumns (kube's custom resource table convertor).
Printer CustomResourcePrinter(const CustomResourceInfo& custom);

// ---- shared column definitions ----
Column NameColumn();
Column AgeColumn();

// ---- cell helpers ----
using Path = std::initializer_list<std::string_view>;

// Time since metadata.creationTimestamp ("5m"), "<unknown>" when absent.
std::string Age(const boost::json::value& obj, absl::Time now);
// Time since an RFC 3339 timestamp, "<unknown>" when empty or unparsable.
std::string Since(const std::string& timestamp, absl::Time now);
std::string OrNone(std::string s);
const boost::json::array* Array(const boost::json::value& obj, Path path);
const boost::json::object* Object(const boost::json::value& obj, Path path);
// Entries of the array or object at `path`; 0 when absent.
int64_t Count(const boost::json::value& obj, Path path);
// A string map as "k1=v1,k2=v2" sorted by key, "<none>" when empty (labels.FormatLabels).
std::string FormatLabels(const boost::json::value& obj, Path path);
// A metav1.LabelSelector as text, "<none>" when absent or empty, "<error>" when invalid
// (metav1.FormatLabelSelector).
std::string FormatLabelSelector(const boost::json::value& obj, Path path);
// Comma-joined container names and images of the container list at `path`.
std::pair<std::string, std::string> ContainerCells(const boost::json::value& obj, Path path);
// Canonical text of the quantity at `path`; "0" when absent (resource.Quantity{}.String()).
std::string QuantityText(const boost::json::value& obj, Path path);
// "RWO,ROX,RWX,RWOP" for the access modes present, in that order.
std::string AccessModes(const boost::json::value& obj, Path path);
// An IntOrString as text ("1", "50%"); `absent` when missing.
std::string IntOrStringText(const boost::json::value& obj, Path path, std::string absent);
// The first `max` items joined with `sep`, then " + N more..." for the `total - max` others.
std::string JoinWithMore(const std::vector<std::string>& shown, size_t total, size_t max,
                         std::string_view sep = ",");
// A bool the way Kubernetes' printers spell it in text cells: "True"/"False".
std::string GoBool(bool b);

}  // namespace skiff::api::table_internal

#endif  // SKIFF_API_TABLE_INTERNAL_H_
