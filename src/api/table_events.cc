// Table printer for Events, served as core/v1 Event and as events.k8s.io/v1 Event: Kubernetes
// prints both from one internal type, so both get the same columns; only the field names differ
// (involvedObject/regarding, message/note, firstTimestamp/deprecatedFirstTimestamp, ...).
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetInt;
using base::GetString;

// Field names of one Event API version.
struct EventFields {
  const char* object;
  const char* message;
  const char* first;
  const char* last;
  const char* count;
  const char* source;
  const char* controller;
};

constexpr EventFields kCoreFields = {"involvedObject", "message", "firstTimestamp",    "lastTimestamp",
                                     "count",          "source",  "reportingComponent"};
constexpr EventFields kEventsFields = {"regarding",
                                       "note",
                                       "deprecatedFirstTimestamp",
                                       "deprecatedLastTimestamp",
                                       "deprecatedCount",
                                       "deprecatedSource",
                                       "reportingController"};

std::string FirstNonEmpty(std::string a, std::string b) { return a.empty() ? b : a; }

}  // namespace

Printer EventPrinter(bool events_k8s_io) {
  const EventFields f = events_k8s_io ? kEventsFields : kCoreFields;
  return {{{"Last Seen", "string", 0, "Time since the event was last seen."},
           {"Type", "string", 0, "Normal or Warning."},
           {"Reason", "string", 0, "Why the event happened, in CamelCase."},
           {"Object", "string", 0, "The object the event is about."},
           {"Subobject", "string", 1, "The field of the object the event is about."},
           {"Source", "string", 1, "The component (and host) that reported the event."},
           {"Message", "string", 0, "A human-readable description."},
           {"First Seen", "string", 1, "Time since the event was first seen."},
           {"Count", "string", 1, "How many times the event occurred."},
           {"Name", "string", 1, "Name must be unique within a namespace.", "name"}},
          [f](const json::value& o, absl::Time now) {
            std::string first_ts = GetString(o, {f.first});
            std::string first =
                first_ts.empty() ? Since(GetString(o, {"eventTime"}), now) : Since(first_ts, now);
            std::string last_ts = GetString(o, {f.last});
            std::string last = last_ts.empty() ? first : Since(last_ts, now);
            int64_t count = GetInt(o, {f.count});
            if (FindPath(o, {"series"}) && !FindPath(o, {"series"})->is_null()) {
              last = Since(GetString(o, {"series", "lastObservedTime"}), now);
              count = GetInt(o, {"series", "count"});
            } else if (count == 0) {
              count = 1;  // singleton events of the new API carry no count
            }
            std::string kind = absl::AsciiStrToLower(GetString(o, {f.object, "kind"}));
            std::string name = GetString(o, {f.object, "name"});
            std::string target = name.empty() ? kind : absl::StrCat(kind, "/", name);
            std::string source =
                FirstNonEmpty(GetString(o, {f.source, "component"}), GetString(o, {f.controller}));
            std::string host =
                FirstNonEmpty(GetString(o, {f.source, "host"}), GetString(o, {"reportingInstance"}));
            if (!host.empty()) absl::StrAppend(&source, ", ", host);
            return json::array{last,
                               GetString(o, {"type"}),
                               GetString(o, {"reason"}),
                               target,
                               GetString(o, {f.object, "fieldPath"}),
                               source,
                               std::string(absl::StripAsciiWhitespace(GetString(o, {f.message}))),
                               first,
                               count,
                               Name(o)};
          }};
}

}  // namespace skiff::api::table_internal
