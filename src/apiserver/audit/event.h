// The audit.k8s.io/v1 Event skiff writes, one JSON line per event, in the field order and with the
// omissions of kube-apiserver's encoder (empty fields are left out).
// Thread-safety: plain values and a pure function. Ownership: values. Never fails.
#ifndef SKIFF_APISERVER_AUDIT_EVENT_H_
#define SKIFF_APISERVER_AUDIT_EVENT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::audit {

// How much of a request is recorded (ordered: each level includes the ones before it).
enum class Level { kNone, kMetadata, kRequest, kRequestResponse };
// When in a request's life an event is written.
enum class Stage { kRequestReceived, kResponseStarted, kResponseComplete, kPanic };

const char* LevelName(Level level);
const char* StageName(Stage stage);

// authentication.k8s.io UserInfo.
struct UserInfo {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

struct ObjectRef {
  std::string resource;
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string api_group;
  std::string api_version;
  std::string resource_version;
  std::string subresource;
};

// The bounded fields of the metav1.Status a response carried (code is the HTTP status).
struct ResponseStatus {
  int code = 0;
  std::string status;  // "Failure" / "Success" when the body was a Status
  std::string message;
  std::string reason;
  std::optional<boost::json::value> details;
};

struct Event {
  Level level = Level::kMetadata;
  std::string audit_id;
  Stage stage = Stage::kRequestReceived;
  std::string request_uri;
  std::string verb;
  UserInfo user;
  std::optional<UserInfo> impersonated_user;
  std::vector<std::string> source_ips;
  std::string user_agent;
  std::optional<ObjectRef> object_ref;
  std::optional<ResponseStatus> response_status;
  std::optional<boost::json::value> request_object;
  std::optional<boost::json::value> response_object;
  absl::Time request_received;
  absl::Time stage_time;
  std::map<std::string, std::string> annotations;
};

// The event as one line of JSON, without the trailing newline.
std::string EventJson(const Event& event);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_EVENT_H_
