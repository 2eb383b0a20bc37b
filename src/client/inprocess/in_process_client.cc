#include "client/inprocess/in_process_client.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/conversion.h"
#include "api/errors.h"
#include "api/object_meta.h"
#include "api/schema.h"
#include "api/unknown_fields.h"
#include "apiserver/audit/in_process_audit.h"
#include "apiserver/audit_attributes.h"
#include "apiserver/crd/conversion.h"
#include "apiserver/schema_admission.h"
#include "apiserver/selection.h"
#include "apiserver/serviceaccount/token_issuer.h"
#include "apiserver/subresources.h"
#include "apiserver/watch_cache.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "client/inprocess/shared_decode.h"

namespace skiff::client {
namespace {

namespace json = boost::json;
using apiserver::ObjectPtr;

// Watches without a timeout end after this long, like the HTTP server's; informers re-watch.
constexpr absl::Duration kDefaultWatchTimeout = absl::Minutes(30);
constexpr absl::Duration kBookmarkInterval = absl::Seconds(1);

const api::ResourceInfo& Stored(const api::ResourceInfo& r) { return api::StorageVersionOf(r); }

// Cached objects as Objects in r's version (one CRD conversion webhook call for all of them),
// optionally without metadata.managedFields (List and Watch).
absl::StatusOr<std::vector<Object>> ToObjects(const apiserver::crd::Converter& converter, const api::ResourceInfo& r,
                                              const std::vector<ObjectPtr>& objects, bool strip_managed_fields) {
  const api::ResourceInfo& stored = Stored(r);
  // A custom resource may hold objects written under an earlier storage version.
  const bool may_convert = r.custom || stored.version != r.version;
  if (!may_convert) {  // as stored: every in-process reader shares one decoded copy of a version
    std::vector<Object> out;
    out.reserve(objects.size());
    for (const auto& o : objects) out.push_back(ProcessSharedDecode().Decode(o, strip_managed_fields));
    return out;
  }
  std::vector<json::value> parsed;
  parsed.reserve(objects.size());
  for (const auto& o : objects) {
    json::value v = o->Parse();
    if (auto* meta = v.is_object() ? v.as_object().if_contains("metadata") : nullptr;
        strip_managed_fields && meta && meta->is_object()) {
      meta->as_object().erase("managedFields");
    }
    parsed.push_back(std::move(v));
  }
  auto converted = converter.Convert(std::move(parsed), stored, r);
  if (!converted.ok()) return converted.status();
  parsed = std::move(*converted);
  std::vector<Object> out;
  out.reserve(parsed.size());
  for (auto& v : parsed) out.push_back(std::make_shared<const json::value>(std::move(v)));
  return out;
}

// The cached object's JSON, shared with the watch cache (no copy), when it is in r's version as
// stored; null when r's objects may need conversion.
ObjectBytes SharedBytes(const api::ResourceInfo& r, const ObjectPtr& obj) {
  if (r.custom || Stored(r).version != r.version) return nullptr;
  return ObjectBytes(obj, &obj->json);  // aliasing: keeps the cached object alive
}

// The cached object as an Object in r's version.
absl::StatusOr<Object> ToObject(const apiserver::crd::Converter& converter, const api::ResourceInfo& r,
                                const ObjectPtr& obj) {
  auto objects = ToObjects(converter, r, {obj}, /*strip_managed_fields=*/false);
  if (!objects.ok()) return objects.status();
  return std::move(objects->front());
}

std::string KeyPrefixFor(const api::ResourceInfo& r, const std::string& ns) {
  std::string prefix = apiserver::ResourcePrefix(r.group, r.plural);
  return (r.namespaced && !ns.empty()) ? absl::StrCat(prefix, ns, "/") : prefix;
}

void PruneUnknown(const api::ResourceInfo& r, json::value& obj) {
  if (const api::TypeSchema* type = apiserver::TypeFor(api::BuiltinSchemas(), r); type && obj.is_object()) {
    api::PruneUnknownFields(*type, obj);
  }
}

// Checks the body's apiVersion/kind (when given) and fills them in.
absl::Status PrepareBody(const api::ResourceInfo& r, json::value& obj) {
  if (!obj.is_object())
    return api::BadRequestError(absl::StrCat("the body must be a JSON object for ", r.kind));
  std::string api_version = base::GetString(obj, {"apiVersion"});
  std::string kind = base::GetString(obj, {"kind"});
  if ((!kind.empty() && kind != r.kind) || (!api_version.empty() && api_version != r.GroupVersion())) {
    return api::BadRequestError(absl::StrCat("the API version in the data (", api_version, ", ", kind,
                                                   ") does not match the expected API version (",
                                                   r.GroupVersion(), ", ", r.kind, ")"));
  }
  obj.as_object()["apiVersion"] = r.GroupVersion();
  obj.as_object()["kind"] = r.kind;
  return absl::OkStatus();
}

const char* MediaType(PatchType type) {
  switch (type) {
    case PatchType::kJson:
      return apiserver::kJsonPatch;
    case PatchType::kMerge:
      return apiserver::kMergePatch;
    case PatchType::kStrategicMerge:
      return apiserver::kStrategicMergePatch;
    case PatchType::kApply:
      return apiserver::kApplyPatch;
  }
  return apiserver::kMergePatch;
}

json::value SuccessStatus(int code) {
  return json::object{{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", json::object()},
                      {"status", "Success"},
                      {"code", code}};
}

// One watch: the cache's listener queues events; a thread of its own parses and delivers them.
class InProcessWatch : public WatchHandle {
 public:
  struct Listener : public apiserver::WatchListener {
    bool OnEvent(apiserver::EventType type, const ObjectPtr& object) override {
      std::lock_guard<std::mutex> lock(mu);
      if (closed) return false;
      events.emplace_back(type, object);
      cv.notify_one();
      return true;
    }
    void OnProgress(int64_t revision) override {
      int64_t seen = progress.load();
      while (revision > seen && !progress.compare_exchange_weak(seen, revision)) {
      }
    }
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::pair<apiserver::EventType, ObjectPtr>> events;
    bool closed = false;
    std::atomic<int64_t> progress{0};
  };

  InProcessWatch(apiserver::WatchCache* cache, const apiserver::crd::Converter* converter, const api::ResourceInfo& r,
                 std::string prefix, bool bookmarks, absl::Time deadline, bool strip_managed_fields,
                 WatchEventHandler on_event, WatchEndHandler on_end)
      : cache_(cache),
        converter_(converter),
        resource_(r),
        strip_managed_fields_(strip_managed_fields),
        prefix_(std::move(prefix)),
        bookmarks_(bookmarks),
        deadline_(deadline),
        on_event_(std::move(on_event)),
        on_end_(std::move(on_end)),
        listener_(std::make_shared<Listener>()) {}

  ~InProcessWatch() override {
    {
      std::lock_guard<std::mutex> lock(listener_->mu);
      listener_->closed = true;
      destroyed_ = true;
    }
    listener_->cv.notify_all();
    if (thread_.joinable()) thread_.join();
    if (id_) cache_->StopWatch(prefix_, id_);
  }

  std::shared_ptr<Listener> listener() const { return listener_; }

  void Run(int64_t id, int64_t from_revision) {
    id_ = id;
    last_sent_ = from_revision;
    thread_ = std::thread([this] { Deliver(); });
  }

 private:
  void Deliver() {
    absl::Time next_bookmark = absl::Now() + kBookmarkInterval;
    std::unique_lock<std::mutex> lock(listener_->mu);
    for (;;) {
      if (destroyed_) return;  // the owner stopped the watch: no handler may run any more
      if (!listener_->events.empty()) {
        auto [type, obj] = std::move(listener_->events.front());
        listener_->events.pop_front();
        lock.unlock();
        bool go_on = Send(type, obj);
        lock.lock();
        if (!go_on) break;
        continue;
      }
      absl::Time now = absl::Now();
      if (now >= deadline_) break;
      if (bookmarks_ && now >= next_bookmark) {
        next_bookmark = now + kBookmarkInterval;
        int64_t progress = listener_->progress.load();
        if (progress > last_sent_ && listener_->events.empty()) {
          last_sent_ = progress;
          lock.unlock();
          bool go_on = on_event_(WatchEvent{WatchEventType::kBookmark, BookmarkObject(progress)});
          lock.lock();
          if (!go_on) break;
          continue;
        }
      }
      absl::Time wake = std::min(deadline_, bookmarks_ ? next_bookmark : absl::InfiniteFuture());
      listener_->cv.wait_for(lock, absl::ToChronoNanoseconds(std::max(wake - now, absl::Milliseconds(1))));
    }
    listener_->closed = true;
    lock.unlock();
    on_end_(end_status_);
  }

  bool Send(apiserver::EventType type, const ObjectPtr& obj) {
    WatchEventType t = WatchEventType::kModified;
    if (type == apiserver::EventType::kAdded) t = WatchEventType::kAdded;
    if (type == apiserver::EventType::kDeleted) t = WatchEventType::kDeleted;
    if (type != apiserver::EventType::kAdded && type != apiserver::EventType::kModified &&
        type != apiserver::EventType::kDeleted) {
      return true;
    }
    last_sent_ = std::max(last_sent_, obj->revision);
    auto converted = ToObjects(*converter_, resource_, {obj}, strip_managed_fields_);
    if (!converted.ok()) {
      end_status_ = converted.status();  // a failed conversion webhook ends the watch with its error
      return false;
    }
    return on_event_(WatchEvent{t, std::move(converted->front()), SharedBytes(resource_, obj)});
  }

  Object BookmarkObject(int64_t revision) const {
    return std::make_shared<const json::value>(
        json::object{{"kind", resource_.kind},
                     {"apiVersion", resource_.GroupVersion()},
                     {"metadata", json::object{{"resourceVersion", std::to_string(revision)}}}});
  }

  apiserver::WatchCache* cache_;
  const apiserver::crd::Converter* converter_;
  const api::ResourceInfo& resource_;
  bool strip_managed_fields_;
  std::string prefix_;
  bool bookmarks_;
  absl::Time deadline_;
  WatchEventHandler on_event_;
  WatchEndHandler on_end_;
  std::shared_ptr<Listener> listener_;
  bool destroyed_ = false;  // guarded by listener_->mu
  int64_t id_ = 0;
  int64_t last_sent_ = 0;  // delivery thread only
  absl::Status end_status_;  // delivery thread only
  std::thread thread_;
};

}  // namespace

InProcessClient::InProcessClient(apiserver::ResourceStorage* storage, std::string name,
                                 const base::Clock* clock)
    : storage_(storage), name_(std::move(name)), clock_(clock ? clock : &base::RealClock()) {}

apiserver::RequestInfo InProcessClient::Info(const api::ResourceInfo& r, const std::string& ns,
                                             const std::string& name, const std::string& subresource,
                                             const char* verb, const std::string& field_selector) {
  apiserver::RequestInfo info;
  info.is_resource = true;
  info.group = r.group;
  info.version = r.version;
  info.namespace_name = r.namespaced ? ns : "";
  info.resource = r.plural;
  info.name = name;
  info.subresource = subresource;
  info.verb = verb;
  info.field_selector = field_selector;
  return info;
}

absl::Status InProcessClient::Authorize(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                        const std::string& subresource, const char* verb, Audit* audit,
                                        const std::string& field_selector) const {
  if (!authorizer_) return absl::OkStatus();
  absl::Status decision = authorizer_->Authorize(user_, Info(r, ns, name, subresource, verb, field_selector));
  if (audit) audit->SetAuthorization(decision.ok());
  return decision;
}

std::unique_ptr<InProcessClient::Audit> InProcessClient::StartAudit(const api::ResourceInfo& r,
                                                                     const std::string& ns,
                                                                     const std::string& name,
                                                                     const std::string& subresource,
                                                                     const char* verb,
                                                                     const json::value* request) const {
  // Without an identity the client is the server's own: kube-apiserver's loopback user.
  static const apiserver::User kServer{"system:apiserver", "", {"system:masters", "system:authenticated"}};
  apiserver::audit::Attributes a =
      apiserver::AuditAttributes(Info(r, ns, name, subresource, verb), authorizer_ ? &user_ : &kServer);
  return std::make_unique<Audit>(auditor_, a, name_, request);
}

absl::StatusOr<Object> InProcessClient::Get(const api::ResourceInfo& r, const std::string& ns,
                                            const std::string& name) {
  if (auto s = Authorize(r, ns, name, "", "get"); !s.ok()) return s;
  auto obj = storage_->Get(Stored(r), ns, name);
  if (!obj.ok()) return obj.status();
  return ToObject(storage_->converter(), r, *obj);
}

absl::StatusOr<ObjectList> InProcessClient::List(const api::ResourceInfo& r, const std::string& ns,
                                                 const ListOptions& options) {
  if (auto s = Authorize(r, ns, "", "", "list", nullptr, options.field_selector); !s.ok()) return s;
  auto selection = apiserver::BuildSelection(r, options.label_selector, options.field_selector);
  if (!selection.ok()) return selection.status();
  if (options.limit < 0) return api::BadRequestError("limit must be a non-negative integer");
  apiserver::WatchCache* cache = storage_->cache();
  const std::string& rv = options.resource_version;
  int64_t min_rev = 0;
  if (!rv.empty() && (!absl::SimpleAtoi(rv, &min_rev) || min_rev < 0)) {
    return api::BadRequestError(absl::StrCat("invalid resource version: ", rv));
  }
  if (rv.empty()) {
    // A consistent read: the cache must have every acknowledged write.
    if (auto s = cache->WaitForRevision(storage_->store()->CurrentRevision()); !s.ok()) return s;
  } else if (min_rev > 0) {
    if (auto s = cache->WaitForRevision(min_rev, absl::Seconds(3)); !s.ok()) {
      return api::ToStatus(
          {504, "Timeout",
           absl::StrCat("Too large resource version: ", min_rev, ", current: ", cache->Revision())});
    }
  }
  std::string key_prefix = KeyPrefixFor(r, ns);
  // The continue token is the last key of the previous page.
  if (!options.continue_token.empty() &&
      options.continue_token.compare(0, key_prefix.size(), key_prefix) != 0) {
    return api::BadRequestError("continue key is not valid: wrong resource");
  }
  bool more = false;
  auto result = cache->List(apiserver::ResourcePrefix(r.group, r.plural), key_prefix, selection->filter,
                            options.continue_token, static_cast<size_t>(options.limit), &more);
  ObjectList out;
  out.resource_version = std::to_string(result.revision);
  auto items = ToObjects(storage_->converter(), r, result.objects, strip_managed_fields_);
  if (!items.ok()) return items.status();
  out.items = std::move(*items);
  out.item_bytes.reserve(result.objects.size());
  for (const auto& o : result.objects) out.item_bytes.push_back(SharedBytes(r, o));
  if (more && !result.objects.empty()) out.continue_token = result.objects.back()->key;
  return out;
}

absl::StatusOr<Object> InProcessClient::Create(const api::ResourceInfo& r, const std::string& ns,
                                               json::value obj, const WriteOptions& options) {
  if (!auditor_) return WriteCreate(r, ns, std::move(obj), options, nullptr);
  auto audit = StartAudit(r, ns, "", "", "create", &obj);
  auto result = WriteCreate(r, ns, std::move(obj), options, audit.get());
  audit->Complete(result.status(), 201, result.ok() ? result->get() : nullptr);
  return result;
}

absl::StatusOr<Object> InProcessClient::WriteCreate(const api::ResourceInfo& r, const std::string& ns,
                                                    json::value obj, const WriteOptions& options, Audit* audit) {
  if (auto s = Authorize(r, ns, "", "", "create", audit); !s.ok()) return s;
  if (auto s = PrepareBody(r, obj); !s.ok()) return s;
  PruneUnknown(r, obj);
  if (api::Name(obj).empty() && base::GetString(obj, {"metadata", "generateName"}).empty()) {
    return api::InvalidError(
        r.group, r.kind, "",
        {{"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"}});
  }
  apiserver::WriteOptions wo;
  wo.user = Writer();
  wo.dry_run = options.dry_run;
  wo.field_manager = Manager(options.field_manager);
  if (audit) wo.audit_annotations = audit->annotations();
  const api::ResourceInfo& stored = Stored(r);
  auto converted = storage_->converter().Convert(std::move(obj), r, stored);
  if (!converted.ok()) return converted.status();
  auto created = storage_->Create(stored, ns, std::move(*converted), wo);
  if (!created.ok()) return created.status();
  return ToObject(storage_->converter(), r, *created);
}

absl::StatusOr<Object> InProcessClient::Update(const api::ResourceInfo& r, const std::string& ns,
                                               json::value obj, const std::string& subresource,
                                               const WriteOptions& options) {
  if (!auditor_) return WriteUpdate(r, ns, std::move(obj), subresource, options, nullptr);
  auto audit = StartAudit(r, ns, api::Name(obj), subresource, "update", &obj);
  auto result = WriteUpdate(r, ns, std::move(obj), subresource, options, audit.get());
  audit->Complete(result.status(), 200, result.ok() ? result->get() : nullptr);
  return result;
}

absl::StatusOr<Object> InProcessClient::WriteUpdate(const api::ResourceInfo& r, const std::string& ns,
                                                    json::value obj, const std::string& subresource,
                                                    const WriteOptions& options, Audit* audit) {
  std::string name = api::Name(obj);
  if (name.empty()) return api::BadRequestError("metadata.name is required for an update");
  if (auto s = Authorize(r, ns, name, subresource, "update", audit); !s.ok()) return s;
  apiserver::WriteOptions wo;
  wo.user = Writer();
  wo.dry_run = options.dry_run;
  wo.field_manager = Manager(options.field_manager);
  if (audit) wo.audit_annotations = audit->annotations();
  if (subresource == "scale") {
    wo.subresource = "scale";  // recorded in managedFields, as over HTTP
    auto result = storage_->Update(
        r, ns, name,
        [&](const ObjectPtr& current) { return apiserver::ApplyScale(r, current, name, true, "", obj); }, wo,
        /*retry_on_conflict=*/false);
    if (!result.ok()) return result.status();
    return std::make_shared<const json::value>(apiserver::ScaleOf(r, *result));
  }
  if (!subresource.empty() && subresource != "status" && subresource != "approval" && subresource != "finalize") {
    return api::MethodNotAllowedError(
        absl::StrCat("update of ", r.plural, "/", subresource, " is not supported"));
  }
  if (auto s = PrepareBody(r, obj); !s.ok()) return s;
  PruneUnknown(r, obj);
  bool finalize = subresource == "finalize";
  wo.subresource = finalize ? "" : subresource;
  const api::ResourceInfo& stored = Stored(r);
  auto converted = storage_->converter().Convert(std::move(obj), r, stored);
  if (!converted.ok()) return converted.status();
  json::value body = std::move(*converted);
  auto updated = storage_->Update(
      stored, ns, name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        if (!finalize) return body;
        json::value next = apiserver::FinalizeNamespace(current, body);
        // The finalize write is conditional on the resourceVersion the caller saw, when given.
        std::string rv = api::ResourceVersion(body);
        if (!rv.empty()) base::EnsureObject(next, {"metadata"})["resourceVersion"] = rv;
        return next;
      },
      wo, /*retry_on_conflict=*/false);
  if (!updated.ok()) return updated.status();
  return ToObject(storage_->converter(), r, *updated);
}

absl::StatusOr<Object> InProcessClient::Patch(const api::ResourceInfo& r, const std::string& ns,
                                              const std::string& name, PatchType type,
                                              const json::value& patch, const PatchOptions& options) {
  if (!auditor_) return WritePatch(r, ns, name, type, patch, options, nullptr);
  auto audit = StartAudit(r, ns, name, options.subresource, "patch", &patch);
  auto result = WritePatch(r, ns, name, type, patch, options, audit.get());
  audit->Complete(result.status(), 200, result.ok() ? result->get() : nullptr);
  return result;
}

absl::StatusOr<Object> InProcessClient::WritePatch(const api::ResourceInfo& r, const std::string& ns,
                                                   const std::string& name, PatchType type,
                                                   const json::value& patch, const PatchOptions& options,
                                                   Audit* audit) {
  if (auto s = Authorize(r, ns, name, options.subresource, "patch", audit); !s.ok()) return s;
  std::string media = MediaType(type);
  bool apply = type == PatchType::kApply;
  if (type == PatchType::kJson && !patch.is_array()) {
    return api::BadRequestError("json patch must be a JSON array of operations");
  }
  if (type != PatchType::kJson && !patch.is_object())
    return api::BadRequestError("the patch must be a JSON object");
  apiserver::WriteOptions wo;
  wo.user = Writer();
  wo.field_manager = apply ? options.field_manager : Manager(options.field_manager);
  if (audit) wo.audit_annotations = audit->annotations();
  if (apply && wo.field_manager.empty()) {
    return api::ToStatus(
        {422, "Invalid",
         "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required "
         "for apply patch"});
  }
  if (options.subresource == "scale") {
    wo.subresource = "scale";  // recorded in managedFields, as over HTTP
    auto result = storage_->Update(
        r, ns, name,
        [&](const ObjectPtr& current) {
          return apiserver::ApplyScale(r, current, name, false, media, patch);
        },
        wo,
        /*retry_on_conflict=*/true);
    if (!result.ok()) return result.status();
    return std::make_shared<const json::value>(apiserver::ScaleOf(r, *result));
  }
  if (!options.subresource.empty() && options.subresource != "status") {
    return api::MethodNotAllowedError(
        absl::StrCat("patch of ", r.plural, "/", options.subresource, " is not supported"));
  }
  json::value body = patch;
  if (apply) {
    if (auto s = PrepareBody(r, body); !s.ok()) return s;
    PruneUnknown(r, body);
  }
  wo.subresource = options.subresource;
  wo.managed_fields_done = apply;
  std::string now = base::FormatRfc3339(clock_->Now());
  // A patch that names a resourceVersion must match it; otherwise it applies to the latest.
  bool retry = type == PatchType::kJson || api::ResourceVersion(body).empty();
  const api::ResourceInfo& stored = Stored(r);
  bool created = false;
  auto result = storage_->Update(
      stored, ns, name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        // Patches are written against the requested version: convert, patch, convert back.
        json::value live;
        if (current) {
          auto served = storage_->converter().Convert(current->Parse(), stored, r);
          if (!served.ok()) return served.status();
          live = std::move(*served);
        }
        auto next = apiserver::ComputePatch(r, ns, name, current ? &live : nullptr, media, body,
                                            wo.field_manager, options.force, now);
        if (!next.ok()) return next.status();
        if (!apply) PruneUnknown(r, *next);
        return storage_->converter().Convert(std::move(*next), r, stored);
      },
      wo, retry, /*create_if_missing=*/apply, &created);
  if (!result.ok()) return result.status();
  return ToObject(storage_->converter(), r, *result);
}

absl::Status InProcessClient::Delete(const api::ResourceInfo& r, const std::string& ns,
                                     const std::string& name, const DeleteOptions& options) {
  if (!auditor_) return WriteDelete(r, ns, name, options, nullptr);
  auto audit = StartAudit(r, ns, name, "", "delete", nullptr);
  absl::Status result = WriteDelete(r, ns, name, options, audit.get());
  audit->Complete(result, 200, nullptr);
  return result;
}

absl::Status InProcessClient::WriteDelete(const api::ResourceInfo& r, const std::string& ns,
                                          const std::string& name, const DeleteOptions& options, Audit* audit) {
  if (auto s = Authorize(r, ns, name, "", "delete", audit); !s.ok()) return s;
  const std::string& p = options.propagation_policy;
  if (!p.empty() && p != "Orphan" && p != "Background" && p != "Foreground") {
    return api::InvalidError(
        "", "DeleteOptions", "",
        {{"FieldValueNotSupported",
          absl::StrCat("Unsupported value: \"", p,
                       "\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
          "propagationPolicy"}});
  }
  apiserver::DeleteOptions o;
  o.user = Writer();
  o.grace_period_seconds = options.grace_period_seconds;
  o.propagation_policy = options.propagation_policy;
  o.precondition_uid = options.precondition_uid;
  o.precondition_resource_version = options.precondition_resource_version;
  if (audit) o.audit_annotations = audit->annotations();
  bool deleted = false;
  return storage_->Delete(Stored(r), ns, name, o, &deleted).status();
}

absl::StatusOr<json::value> InProcessClient::CreateSubresource(const api::ResourceInfo& r,
                                                               const std::string& ns, const std::string& name,
                                                               const std::string& subresource,
                                                               json::value body) {
  if (!auditor_) return WriteSubresource(r, ns, name, subresource, std::move(body), nullptr);
  auto audit = StartAudit(r, ns, name, subresource, "create", &body);
  auto result = WriteSubresource(r, ns, name, subresource, std::move(body), audit.get());
  audit->Complete(result.status(), 201, nullptr);
  return result;
}

absl::StatusOr<json::value> InProcessClient::WriteSubresource(const api::ResourceInfo& r,
                                                              const std::string& ns, const std::string& name,
                                                              const std::string& subresource,
                                                              json::value body, Audit* audit) {
  if (auto s = Authorize(r, ns, name, subresource, "create", audit); !s.ok()) return s;
  if (!body.is_object()) return api::BadRequestError("the body must be a JSON object");
  if (subresource == "binding" && r.group.empty() && r.plural == "pods") {
    apiserver::WriteOptions wo;
    wo.field_manager = name_;
    auto bound =
        apiserver::BindPod(storage_, ns, name, base::GetString(body, {"target", "name"}), clock_->Now(), wo);
    if (!bound.ok()) return bound.status();
    return SuccessStatus(201);
  }
  if (subresource == "eviction" && r.group.empty() && r.plural == "pods") {
    auto evicted = apiserver::EvictPod(storage_, *clock_, r, ns, name, body, false, Writer());
    if (!evicted.ok()) return evicted.status();
    return SuccessStatus(201);
  }
  if (subresource == "token" && r.group.empty() && r.plural == "serviceaccounts" && token_issuer_) {
    std::vector<std::string> warnings;  // no channel for them in this interface (the HTTP path sends them)
    auto answer = token_issuer_->CreateToken(ns, name, body, &warnings);
    if (!answer.ok()) return answer.status();
    return json::value(std::move(*answer));
  }
  return api::MethodNotAllowedError(
      absl::StrCat("create of ", r.plural, "/", subresource, " is not supported"));
}

absl::StatusOr<std::unique_ptr<WatchHandle>> InProcessClient::Watch(const api::ResourceInfo& r,
                                                                    const std::string& ns,
                                                                    const WatchOptions& options,
                                                                    WatchEventHandler on_event,
                                                                    WatchEndHandler on_end) {
  if (auto s = Authorize(r, ns, "", "", "watch", nullptr, options.field_selector); !s.ok()) return s;
  auto selection = apiserver::BuildSelection(r, options.label_selector, options.field_selector);
  if (!selection.ok()) return selection.status();
  int64_t from = 0;
  const std::string& rv = options.resource_version;
  if (!rv.empty() && (!absl::SimpleAtoi(rv, &from) || from < 0)) {
    return api::BadRequestError(absl::StrCat("invalid resource version: ", rv));
  }
  std::string prefix = apiserver::ResourcePrefix(r.group, r.plural);
  absl::Time deadline = absl::Now() + (options.timeout_seconds > 0 ? absl::Seconds(options.timeout_seconds)
                                                                   : kDefaultWatchTimeout);
  auto watch = std::make_unique<InProcessWatch>(storage_->cache(), &storage_->converter(), r, prefix, options.bookmarks, deadline,
                                                strip_managed_fields_, std::move(on_event), std::move(on_end));
  auto id =
      storage_->cache()->StartWatch(prefix, KeyPrefixFor(r, ns), from, selection->filter, watch->listener());
  if (!id.ok()) {
    if (absl::IsOutOfRange(id.status())) return api::GoneError(std::string(id.status().message()));
    return id.status();
  }
  watch->Run(*id, from);
  return std::unique_ptr<WatchHandle>(std::move(watch));
}

}  // namespace skiff::client
