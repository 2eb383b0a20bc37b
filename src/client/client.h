// Client: how every component reads, writes and watches API objects (design.md "everything is an
// API object"). Two implementations share this interface: InProcessClient (inside `skiff
// server`: calls ResourceStorage directly, with the same admission, validation and
// resourceVersion rules, no HTTP and no re-encoding) and RestClient (HTTPS + bearer token, for
// agents and `skiff sim`, usable against any Kubernetes API server).
//
// Objects are immutable parsed JSON (`Object`); resources are named by their api::ResourceInfo.
// Thread-safety: implementations are safe for concurrent use. Ownership: callers own returned
// objects (shared, immutable) and watch handles; a WatchHandle must be destroyed before its Client.
// Failure: Kubernetes API errors as absl::Status with the HTTP code available via HttpCode()
// (NotFound, AlreadyExists, Aborted=409 Conflict, InvalidArgument=400/422, OutOfRange=410, ...).
#ifndef SKIFF_CLIENT_CLIENT_H_
#define SKIFF_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::client {

// An API object as returned by the server (with metadata.resourceVersion). Never modified in
// place: copy (`boost::json::value copy = *obj;`) to change.
using Object = std::shared_ptr<const boost::json::value>;
// The JSON text an Object was decoded from, when a client can share it rather than copy it (the
// in-process client hands out the watch cache's bytes); null when it cannot. It may still hold
// metadata.managedFields where the Object has none (a client that strips them).
using ObjectBytes = std::shared_ptr<const std::string>;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;             // 0 = all
  std::string continue_token;
  std::string resource_version;  // "" = consistent read; "0" = any
};

struct ObjectList {
  std::vector<Object> items;
  std::string resource_version;
  std::string continue_token;
  std::vector<ObjectBytes> item_bytes;  // empty, or items[i]'s bytes (each may be null)
};

struct WriteOptions {
  std::string field_manager;  // defaults to the client's name
  bool dry_run = false;
};

enum class PatchType { kJson, kMerge, kStrategicMerge, kApply };

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // server-side apply: take over conflicting fields
  std::string subresource;    // "", "status", "scale"
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
  std::string precondition_uid;
  std::string precondition_resource_version;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  WatchEventType type;
  Object object;       // for kBookmark: only metadata.resourceVersion
  ObjectBytes bytes{};  // object's bytes, when the client shares them
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" or "0": initial ADDED events first
  bool bookmarks = true;
  int64_t timeout_seconds = 0;   // 0 = the server's default
};

// Delivered in order from one thread at a time. on_event returning false stops the watch.
using WatchEventHandler = std::function<bool(const WatchEvent& event)>;
// Called once when the watch ends: OK when it ended normally (timeout, server closed), OutOfRange
// when the resourceVersion is too old (the caller must relist), other errors otherwise.
using WatchEndHandler = std::function<void(const absl::Status& status)>;

class WatchHandle {
 public:
  virtual ~WatchHandle() = default;  // stops the watch; no handler runs after it returns
};

class Client {
 public:
  virtual ~Client() = default;

  virtual absl::StatusOr<Object> Get(const api::ResourceInfo& r, const std::string& ns, const std::string& name) = 0;
  virtual absl::StatusOr<ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                          const ListOptions& options) = 0;
  virtual absl::StatusOr<Object> Create(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                        const WriteOptions& options = {}) = 0;
  // Replaces the object (or its status when `subresource` is "status"); obj's
  // metadata.resourceVersion, when set, must match (409 otherwise).
  virtual absl::StatusOr<Object> Update(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                        const std::string& subresource = "", const WriteOptions& options = {}) = 0;
  virtual absl::StatusOr<Object> Patch(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                       PatchType type, const boost::json::value& patch,
                                       const PatchOptions& options = {}) = 0;
  virtual absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                              const DeleteOptions& options = {}) = 0;
  // Creates a subresource object: pods/binding, pods/eviction.
  virtual absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                               const std::string& name,
                                                               const std::string& subresource,
                                                               boost::json::value body) = 0;
  // `ns` empty = all namespaces (or a cluster-scoped resource).
  virtual absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo& r, const std::string& ns,
                                                             const WatchOptions& options, WatchEventHandler on_event,
                                                             WatchEndHandler on_end) = 0;
};

// The HTTP code an error from a Client corresponds to (200 for OK).
int HttpCode(const absl::Status& status);
// The Kubernetes reason of an error ("NotFound", "AlreadyExists", "Conflict", "Invalid", ...; "" for
// OK). Tells AlreadyExists from Conflict, which share HTTP 409.
std::string ErrorReason(const absl::Status& status);

// Looks up a built-in resource by group/version/plural; aborts on unknown names (programming error).
const api::ResourceInfo& Resource(const std::string& group, const std::string& version, const std::string& plural);

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_CLIENT_H_
