#include "apiserver/api_handler.h"

#include <mutex>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/apply.h"
#include "api/codec.h"
#include "api/conversion.h"
#include "api/json_patch.h"
#include "api/merge_patch.h"
#include "api/openapi.h"
#include "api/openapi_v2.h"
#include "api/schema.h"
#include "api/strategic_merge_patch.h"
#include "api/structural/structural.h"
#include "api/table.h"
#include "apiserver/aggregated_discovery.h"
#include "apiserver/aggregator.h"
#include "apiserver/crd/conversion.h"
#include "apiserver/audit/auditor.h"
#include "apiserver/audit_attributes.h"
#include "apiserver/crd/crd_openapi.h"
#include "apiserver/discovery.h"
#include "apiserver/field_validation.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/schema_admission.h"
#include "apiserver/selection.h"
#include "apiserver/service_account_tokens.h"
#include "apiserver/subresources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kTableContentType[] = "application/json;as=Table;v=v1;g=meta.k8s.io";

bool WantsTable(const http::HttpRequest& req) { return absl::StrContains(req.Header("accept"), "as=Table"); }

http::HttpResponse JsonResponse(int code, std::string body, std::string content_type = "application/json") {
  http::HttpResponse resp;
  resp.status = code;
  resp.body = std::move(body);
  resp.content_type = std::move(content_type);
  return resp;
}

// Go's json.Encoder ends every document with '\n' and kube-apiserver writes bodies with it; clients
// (and their tests) compare error bodies verbatim. Streams and pulled bodies end their own lines.
void EndJsonBodyWithNewline(http::HttpResponse& resp) {
  if (resp.stream || resp.producer || resp.tunnel || resp.body.empty() || resp.body.back() == '\n') return;
  if (absl::StartsWith(resp.content_type, "application/json")) resp.body += '\n';
}

void AddWarnings(http::HttpResponse& resp, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    resp.headers.emplace_back("Warning", absl::StrCat("299 - \"", escaped, "\""));
  }
}

// fieldValidation (apiserver/field_validation.h): unknown fields are always pruned from what is
// stored; Strict rejects them, Warn reports them.
// `from_body`: `obj` was decoded from the request's body (its duplicate fields count too).
absl::Status CheckUnknownFields(const http::HttpRequest& req, const api::ResourceInfo& r, json::value& obj,
                                std::vector<std::string>* warnings, BodyKind body = BodyKind::kObject,
                                bool from_body = true) {
  auto directive = ParseFieldValidation(req.Query("fieldValidation"));
  if (!directive.ok()) return directive.status();
  return ValidateFields(*directive, r, body, obj, warnings, from_body ? std::string_view(req.body) : "");
}

// The manager a write is recorded under in managedFields: ?fieldManager=, else one derived from
// the User-Agent (so `kubectl cordon` writes as "kubectl", the Python client as "OpenAPI-Generator").
std::string FieldManager(const http::HttpRequest& req) {
  std::string manager = req.Query("fieldManager");
  return manager.empty() ? FieldManagerFromUserAgent(req.Header("user-agent")) : manager;
}

bool DryRun(const http::HttpRequest& req) {
  auto range = req.query.equal_range("dryRun");
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == "All") return true;
  }
  return false;
}

absl::Status CheckDryRun(const http::HttpRequest& req) {
  auto range = req.query.equal_range("dryRun");
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second != "All") return api::BadRequestError(absl::StrCat("unsupported dry run value: ", it->second));
  }
  return absl::OkStatus();
}

// Bodies of POST and PUT (and the apply patch, which is a whole object).
absl::StatusOr<json::value> DecodeObject(const http::HttpRequest& req, const api::ResourceInfo& r) {
  std::string content_type = req.Header("content-type");
  std::string media = api::MediaType(content_type);
  bool apply = req.method == "PATCH" && media == "application/apply-patch+yaml";
  if (!apply && !media.empty() && media != "application/json" && media != "application/yaml" &&
      media != "application/vnd.kubernetes.protobuf" && media != "*/*") {
    return api::UnsupportedMediaTypeError(absl::StrCat(
        "the body of the request was in an unknown format - accepted media types include: application/json, "
        "application/yaml, application/vnd.kubernetes.protobuf (got ", media, ")"));
  }
  auto decoded = api::DecodeBody(content_type, req.body);
  if (!decoded.ok()) {
    if (absl::IsUnimplemented(decoded.status())) {
      return api::UnsupportedMediaTypeError(std::string(decoded.status().message()));
    }
    return api::BadRequestError(std::string(decoded.status().message()));
  }
  if (!decoded->is_object()) {
    return api::BadRequestError(absl::StrCat("the body of the request must be a JSON object for ", r.kind));
  }
  auto& obj = decoded->as_object();
  std::string api_version = base::GetString(*decoded, {"apiVersion"});
  std::string kind = base::GetString(*decoded, {"kind"});
  if ((!kind.empty() && kind != r.kind) || (!api_version.empty() && api_version != r.GroupVersion())) {
    return api::BadRequestError(absl::StrCat("the API version in the data (", api_version,
                                        ") does not match the expected API version (", r.GroupVersion(), ")",
                                        kind != r.kind && !kind.empty() ? absl::StrCat(" or kind (", kind, " != ", r.kind, ")") : ""));
  }
  // kubectl sends "creationTimestamp": null from generators.
  if (auto* meta = obj.if_contains("metadata"); meta && meta->is_object()) {
    if (auto* ts = meta->as_object().if_contains("creationTimestamp"); ts && ts->is_null()) {
      meta->as_object().erase("creationTimestamp");
    }
  } else if (meta && !meta->is_null()) {
    return api::BadRequestError(absl::StrCat(r.kind, " in version \"", r.version, "\" cannot be handled as a ", r.kind,
                                        ": metadata must be an object"));
  }
  return decoded;
}

// Custom resources whose schema declares defaults are defaulted on read, as kube's decoder does for
// objects stored before a default was added (not written back).
bool DefaultsOnRead(const api::ResourceInfo& r) {
  return r.custom && r.custom->defaults_on_read && r.custom->structural;
}

// Whether a stored object of r may be in another version than r's. A custom resource's objects are
// all in its storage version only while status.storedVersions names that version alone.
bool MayNeedConversion(const api::ResourceInfo& r) {
  if (!r.custom) return api::StorageVersionOf(r).version != r.version;
  return !r.custom->single_stored_version || r.custom->storage_version != r.version;
}

// Whether the stored bytes are served as they are (no conversion, no defaulting).
bool ServedAsStored(const api::ResourceInfo& r) { return !MayNeedConversion(r) && !DefaultsOnRead(r); }

// The stored objects as served in r's version: the same objects when they are in it, else
// converted — one conversion webhook call for all of them when the CRD names one — and defaulted
// when the schema asks for it.
absl::StatusOr<std::vector<ObjectPtr>> ServedObjects(const ResourceStorage& storage, const api::ResourceInfo& r,
                                                     std::vector<ObjectPtr> objects) {
  if (objects.empty() || ServedAsStored(r)) return objects;
  std::vector<json::value> parsed;
  parsed.reserve(objects.size());
  bool all_served = true;
  for (const auto& o : objects) {
    parsed.push_back(o->Parse());
    if (base::GetString(parsed.back(), {"apiVersion"}) != r.GroupVersion()) all_served = false;
  }
  if (!all_served) {
    auto converted = storage.converter().Convert(std::move(parsed), api::StorageVersionOf(r), r);
    if (!converted.ok()) return converted.status();
    parsed = std::move(*converted);
  }
  if (DefaultsOnRead(r)) {
    for (auto& obj : parsed) api::structural::Default(*r.custom->structural, &obj);
  } else if (all_served) {
    return objects;
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    objects[i] = storage.cache()->Materialize(objects[i]->key, std::move(parsed[i]), objects[i]->revision);
  }
  return objects;
}

absl::StatusOr<ObjectPtr> ServedObject(const ResourceStorage& storage, const api::ResourceInfo& r, ObjectPtr obj) {
  auto served = ServedObjects(storage, r, {std::move(obj)});
  if (!served.ok()) return served.status();
  return std::move(served->front());
}

// `objects` are already in r's version (ServedObjects).
std::string ListJson(const api::ResourceInfo& r, const std::vector<ObjectPtr>& objects, int64_t revision,
                     const std::string& continue_token, std::optional<int64_t> remaining = std::nullopt) {
  std::string out = absl::StrCat("{\"kind\":\"", r.ListKind(), "\",\"apiVersion\":\"", r.GroupVersion(),
                                 "\",\"metadata\":{\"resourceVersion\":\"", revision, "\"");
  if (!continue_token.empty()) absl::StrAppend(&out, ",\"continue\":\"", continue_token, "\"");
  if (remaining) absl::StrAppend(&out, ",\"remainingItemCount\":", *remaining);
  out += "},\"items\":[";
  size_t total = out.size() + 2;
  for (const auto& o : objects) total += o->json.size() + 1;
  out.reserve(total);
  bool first = true;
  for (const auto& o : objects) {
    if (!first) out += ',';
    first = false;
    out += o->json;
  }
  out += "]}";
  return out;
}

// Streams a large list: header, items, footer, pulled by the transport in chunks.
class ListProducer : public http::BodyProducer {
 public:
  // `objects` are already in the served version (ServedObjects).
  ListProducer(std::vector<ObjectPtr> objects, std::string head)
      : objects_(std::move(objects)), head_(std::move(head)) {}

  // `out` may already hold the transport's chunk header: the part is measured from its start.
  bool Next(std::string* out, size_t max_bytes) override {
    const size_t start = out->size();
    if (!head_.empty()) {
      *out += head_;
      head_.clear();
    }
    while (next_ < objects_.size() && out->size() - start < max_bytes) {
      if (next_ > 0) *out += ',';
      *out += objects_[next_++]->json;
    }
    if (next_ < objects_.size()) return true;
    *out += "]}\n";
    return false;
  }

 private:
  std::vector<ObjectPtr> objects_;
  std::string head_;
  size_t next_ = 0;
};

// Lists above this size are streamed rather than built whole.
constexpr size_t kStreamListBytes = 1 << 20;

// A continue token: the snapshot revision, the last key returned and, for unfiltered lists, how
// many objects of the snapshot follow it (so later pages report remainingItemCount without
// counting the rest of the snapshot again).
std::string EncodeContinue(int64_t revision, const std::string& key, std::optional<int64_t> remaining) {
  json::object token{{"rv", revision}, {"start", key}};
  if (remaining) token["rem"] = *remaining;
  return absl::WebSafeBase64Escape(base::ToJson(token));
}

absl::Status DecodeContinue(const std::string& token, int64_t* revision, std::string* key,
                            std::optional<int64_t>* remaining) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return api::BadRequestError("continue key is not valid: bad encoding");
  auto parsed = base::ParseJson(raw);
  if (!parsed.ok() || !parsed->is_object()) return api::BadRequestError("continue key is not valid: bad format");
  *revision = base::GetInt(*parsed, {"rv"});
  *key = base::GetString(*parsed, {"start"});
  if (const auto* rem = base::Find(*parsed, "rem"); rem && rem->is_int64() && rem->get_int64() >= 0) {
    *remaining = rem->get_int64();
  }
  if (*revision <= 0 || key->empty()) return api::BadRequestError("continue key is not valid: incorrect encoded start resourceVersion");
  return absl::OkStatus();
}

std::string KeyPrefixFor(const api::ResourceInfo& r, const std::string& ns) {
  std::string prefix = ResourcePrefix(r.group, r.plural);
  return (r.namespaced && !ns.empty()) ? absl::StrCat(prefix, ns, "/") : prefix;
}

}  // namespace

struct ApiHandler::OpenApiDocs {
  // One generation of the documents: the built-in group versions plus those of custom resources.
  struct Set {
    uint64_t generation = 0;
    std::string root;
    std::map<std::string, std::string> documents;  // "apis/apps/v1" -> document
    std::map<std::string, std::string> hashes;
  };
  std::map<std::string, std::string> builtin;  // built-in group versions, built once
  std::mutex mu;
  std::shared_ptr<const Set> current;

  // The documents of the catalogue's current generation (rebuilt when CRDs change it).
  std::shared_ptr<const Set> Get() {
    uint64_t generation = api::ResourcesGeneration();
    std::lock_guard<std::mutex> lock(mu);
    if (current && current->generation == generation) return current;
    auto next = std::make_shared<Set>();
    next->generation = generation;
    next->documents = builtin;
    std::map<std::string, std::vector<const api::ResourceInfo*>> custom;  // by group version path
    for (const auto& r : api::AllResources()) {
      if (r.custom) custom[api::GroupVersionPath(r.group, r.version)].push_back(&r);
    }
    for (const auto& [path, resources] : custom) {
      next->documents[path] =
          crd::CustomResourceOpenApiV3(resources.front()->group, resources.front()->version, resources);
    }
    std::vector<api::OpenApiGroupVersion> gvs;
    for (const auto& [path, doc] : next->documents) {
      next->hashes[path] = api::ContentHash(doc);
      gvs.push_back({path, doc});
    }
    next->root = api::OpenApiV3Root(gvs);
    current = std::move(next);
    return current;
  }

  // /openapi/v2 of one catalogue generation: the built-in document, or (with custom resources)
  // one that adds their definitions, with its ETag.
  struct V2 {
    uint64_t generation = 0;
    std::string document;
    std::string etag;
  };
  std::shared_ptr<const V2> current_v2;

  std::shared_ptr<const V2> GetV2() {
    uint64_t generation = api::ResourcesGeneration();
    std::lock_guard<std::mutex> lock(mu);
    if (current_v2 && current_v2->generation == generation) return current_v2;
    auto next = std::make_shared<V2>();
    next->generation = generation;
    std::vector<const api::ResourceInfo*> custom;
    for (const auto& r : api::AllResources()) {
      if (r.custom) custom.push_back(&r);
    }
    if (custom.empty()) {
      next->document = api::BuiltinOpenApiV2Protobuf();
      next->etag = api::BuiltinOpenApiV2ETag();
    } else {
      next->document = api::OpenApiV2Protobuf(crd::CustomResourceDefinitionsV2(custom));
      next->etag = absl::StrCat("\"", api::ContentHash(next->document), "\"");
    }
    current_v2 = std::move(next);
    return current_v2;
  }
};

ApiHandler::ApiHandler(ResourceStorage* storage, const Authenticator* authenticator, const Authorizer* authorizer,
                       Metrics* metrics, base::Clock* clock, std::string server_address)
    : storage_(storage),
      authenticator_(authenticator),
      authorizer_(authorizer),
      metrics_(metrics),
      clock_(clock),
      server_address_(std::move(server_address)),
      openapi_(std::make_unique<OpenApiDocs>()) {
  for (const auto& g : api::AllGroups()) {
    for (const auto& v : g.versions) {
      std::vector<api::PathSpec> paths;
      for (const auto& r : api::AllResources()) {
        if (r.custom || r.group != g.group || r.version != v) continue;
        api::PathSpec p{r.plural, r.kind, r.namespaced, r.verbs, {}};
        for (const auto& s : r.subresources) {
          p.subresources.push_back(
              {s.name, s.response_kind.group, s.response_kind.version, s.response_kind.kind, s.verbs});
        }
        paths.push_back(std::move(p));
      }
      if (paths.empty()) continue;
      openapi_->builtin[api::GroupVersionPath(g.group, v)] = api::OpenApiV3Document(g.group, v, paths);
    }
  }
}

ApiHandler::~ApiHandler() = default;

bool ApiHandler::IsProbe(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz" ||
         absl::StartsWith(path, "/healthz/") || absl::StartsWith(path, "/livez/") ||
         absl::StartsWith(path, "/readyz/");
}

http::HttpResponse ApiHandler::Handle(http::HttpRequest& req) {
  audit::RequestAudit audit(auditor_, req);
  http::HttpResponse resp;
  try {
    resp = Route(req, audit);
  } catch (const std::exception& e) {
    audit.Panic(e.what());  // the transport answers 500
    throw;
  }
  EndJsonBodyWithNewline(resp);
  audit.Respond(req, resp);
  return resp;
}

http::HttpResponse ApiHandler::Route(http::HttpRequest& req, audit::RequestAudit& audit) {
  absl::Time start = absl::Now();
  const std::string& path = req.path;
  if (IsProbe(path)) return HandleNonResource(req);
  auto authenticated = authenticator_->Authenticate(req);
  if (!authenticated.ok()) {
    audit.Unauthenticated(AuditAttributes(req, nullptr));
    return http::ErrorResponse(api::UnauthorizedError());
  }
  audit.Received(req, AuditAttributes(req, &*authenticated));
  auto user = Impersonate(*authorizer_, *authenticated, req);
  if (!user.ok()) {
    audit.SetAuthorization(false, "");
    return http::ErrorResponse(user.status());
  }
  if (!req.Header("impersonate-user").empty()) audit.SetImpersonatedUser(AuditUser(*user));
  bool watch = ParseBool(req.Query("watch"));
  RequestInfo info = ParseRequestInfo(req.method, path, watch);
  info.field_selector = req.Query("fieldSelector");
  std::string reason;
  absl::Status decision = AuthorizeRequest(*authorizer_, *user, info, &reason);
  audit.SetAuthorization(decision.ok(), reason);
  if (!decision.ok()) return http::ErrorResponse(decision);
  // Aggregated APIs: the extension server answers (discovery of its group version included).
  if (aggregator_) {
    if (auto proxied = aggregator_->Proxy(req, *user)) return *std::move(proxied);
  }
  if (!info.is_resource) return HandleNonResource(req);
  if (metrics_api_ && MetricsApi::Handles(info)) return metrics_api_->Handle(req, info);
  if (custom_metrics_api_ && CustomMetricsApi::Handles(info)) return custom_metrics_api_->Handle(req, info);
  const api::ResourceInfo* r = api::FindResource(info.group, info.version, info.resource);
  if (!r) {
    return http::ErrorResponse(
        api::ToStatus({404, "NotFound", "the server could not find the requested resource", "", info.group,
                       info.resource}));
  }
  AuditAnnotations annotations;
  http::HttpResponse resp = HandleResource(req, info, *r, *user, &annotations);
  audit.AddAnnotations(annotations);
  if (!resp.stream) {
    metrics_->RecordRequest(absl::AsciiStrToUpper(info.verb), r->group,
                            info.subresource.empty() ? r->plural : r->plural + "/" + info.subresource, resp.status,
                            absl::Now() - start);
  } else {
    metrics_->RecordRequest("WATCH", r->group, r->plural, resp.status, absl::ZeroDuration());
  }
  return resp;
}

http::HttpResponse ApiHandler::HandleNonResource(const http::HttpRequest& req) {
  const std::string& path = req.path;
  if (req.method != "GET" && req.method != "HEAD") {
    return http::ErrorResponse(
        api::MethodNotAllowedError(absl::StrCat("the server does not allow this method on ", path)));
  }
  if (path == "/version") {
    http::HttpResponse resp = JsonResponse(200, VersionDocument());
    resp.headers.emplace_back("Cache-Control", "no-cache, private");
    return resp;
  }
  if (path == "/healthz" || path == "/livez" || path == "/readyz" || absl::StartsWith(path, "/healthz/") ||
      absl::StartsWith(path, "/livez/") || absl::StartsWith(path, "/readyz/")) {
    bool ok = !absl::StartsWith(path, "/readyz") || ready_;
    return JsonResponse(ok ? 200 : 503, ok ? "ok" : "not ready", "text/plain; charset=utf-8");
  }
  if (path == "/metrics") {
    std::string extra;
    extra += "# HELP apiserver_registered_watchers Open watches.\n# TYPE apiserver_registered_watchers gauge\n";
    absl::StrAppend(&extra, "apiserver_registered_watchers ", storage_->cache()->WatchCount(), "\n");
    extra += "# HELP apiserver_watch_cache_objects Objects held in the watch cache by resource.\n";
    extra += "# TYPE apiserver_watch_cache_objects gauge\n";
    for (const auto& [prefix, n] : storage_->cache()->ObjectCounts()) {
      absl::StrAppend(&extra, "apiserver_watch_cache_objects{resource=\"", prefix, "\"} ", n, "\n");
    }
    absl::StrAppend(&extra, "# TYPE skiff_storage_revision gauge\nskiff_storage_revision ",
                    storage_->cache()->Revision(), "\n");
    return JsonResponse(200, metrics_->Render(extra), "text/plain; version=0.0.4");
  }
  if (service_account_tokens_ && ServiceAccountTokens::IsDiscoveryPath(path)) {
    return service_account_tokens_->Discovery(path);
  }
  if (path == "/api" || path == "/api/") {
    if (WantsAggregatedDiscovery(req.Header("accept"))) {
      return JsonResponse(200, AggregatedDiscovery(true), kAggregatedDiscoveryContentType);
    }
    return JsonResponse(200, LegacyApiVersions(server_address_));
  }
  if (path == "/apis" || path == "/apis/") {
    std::vector<AggregatedGroupVersion> aggregated;
    if (aggregator_) aggregated = aggregator_->AggregatedGroupVersions();
    if (WantsAggregatedDiscovery(req.Header("accept"))) {
      return JsonResponse(200, MergeAggregatedDiscovery(AggregatedDiscovery(false), aggregated),
                          kAggregatedDiscoveryContentType);
    }
    return JsonResponse(200, MergeApiGroupList(LegacyApiGroupList(), aggregated));
  }
  if (path == "/openapi/v2") {
    // Protobuf only: kubectl reads it solely to validate `kind: List` items client-side.
    // Custom resources' definitions included (the document changes as CRDs come and go).
    auto v2 = openapi_->GetV2();
    bool unchanged = req.Header("if-none-match") == v2->etag;
    http::HttpResponse resp = JsonResponse(unchanged ? 304 : 200, unchanged ? "" : v2->document,
                                           std::string(api::kOpenApiV2ProtobufContentType));
    resp.headers.emplace_back("ETag", v2->etag);
    return resp;
  }
  if (path == "/openapi/v3" || path == "/openapi/v3/") return JsonResponse(200, openapi_->Get()->root);
  if (absl::StartsWith(path, "/openapi/v3/")) {
    std::string gv = path.substr(strlen("/openapi/v3/"));
    auto docs = openapi_->Get();
    auto it = docs->documents.find(gv);
    if (it != docs->documents.end()) {
      std::string etag = absl::StrCat("\"", docs->hashes.at(gv), "\"");
      if (req.Header("if-none-match") == etag) {
        http::HttpResponse resp = JsonResponse(304, "");
        resp.headers.emplace_back("ETag", etag);
        return resp;
      }
      http::HttpResponse resp = JsonResponse(200, it->second);
      resp.headers.emplace_back("ETag", etag);
      resp.headers.emplace_back("Cache-Control", "public, immutable");
      return resp;
    }
  }
  // Group-version discovery: /api/v1, /apis/<g>/<v>, /apis/<g>.
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (parts.size() == 2 && parts[0] == "api") {
    if (auto doc = LegacyResourceList("", parts[1])) return JsonResponse(200, *doc);
  }
  if (parts.size() == 3 && parts[0] == "apis") {
    if (auto doc = LegacyResourceList(parts[1], parts[2])) return JsonResponse(200, *doc);
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    if (aggregator_) {
      if (auto doc = AggregatedApiGroup(parts[1], aggregator_->AggregatedGroupVersions()))
        return JsonResponse(200, *doc);
    }
    if (auto doc = LegacyApiGroup(parts[1])) return JsonResponse(200, *doc);
  }
  return http::ErrorResponse(
      api::ToStatus({404, "NotFound", "the server could not find the requested resource"}));
}

http::HttpResponse ApiHandler::HandleResource(http::HttpRequest& req, const RequestInfo& info,
                                              const api::ResourceInfo& r, const User& user,
                                              AuditAnnotations* annotations) {
  if (!r.namespaced && !info.namespace_name.empty()) {
    return http::ErrorResponse(
        api::ToStatus({404, "NotFound", "the server could not find the requested resource"}));
  }
  if (auto s = CheckDryRun(req); !s.ok()) return http::ErrorResponse(s);
  const std::string& sub = info.subresource;
  if (!sub.empty()) {
    const api::SubresourceInfo* s = r.FindSubresource(sub);
    if (!s)
      return http::ErrorResponse(
          api::ToStatus({404, "NotFound", "the server could not find the requested resource"}));
    if (r.plural == "pods" && r.group.empty() && PodStreams::Handles(sub)) {
      if (!pod_streams_)
        return http::ErrorResponse(api::ToStatus({503, "ServiceUnavailable", "pod streams are not served"}));
      if (sub != "log") {
        if (auto s = AdmitConnect(req, info, r, user); !s.ok()) return http::ErrorResponse(s);
      }
      return pod_streams_->Handle(req, info);
    }
    if (sub == "token" && info.verb == "create" && service_account_tokens_) {
      if (auto s = AdmitTokenRequest(req, info, r, user); !s.ok()) return http::ErrorResponse(s);
      return service_account_tokens_->CreateToken(req, info);
    }
    if (sub == "scale") return Scale(req, info, r, user);
    if (sub == "binding" && info.verb == "create") return Binding(req, info, r, user);
    if (sub == "eviction" && info.verb == "create") return Eviction(req, info, r, user);
    if (sub == "status" || sub == "approval") {
      if (info.verb == "get") return Get(req, info, r);
      if (info.verb == "update") return Update(req, info, r, user, annotations);
      if (info.verb == "patch") return Patch(req, info, r, user, annotations);
    }
    if (sub == "finalize" && info.verb == "update") return Update(req, info, r, user, annotations);
    return http::ErrorResponse(api::MethodNotAllowedError(absl::StrCat(
        "the server does not allow this method on the requested resource (", r.plural, "/", sub, ")")));
  }
  if (r.plural == "bindings" && info.verb == "create") return Binding(req, info, r, user);
  if (!r.stored && info.verb == "create") return Review(req, info.namespace_name, r, user);
  if (!r.HasVerb(info.verb)) {
    return http::ErrorResponse(api::MethodNotAllowedError(absl::StrCat(
        "the server does not allow this method on the requested resource (", info.verb, " ", r.plural, ")")));
  }
  if (info.verb == "get") return Get(req, info, r);
  if (info.verb == "list") return List(req, info, r);
  if (info.verb == "watch") return Watch(req, info, r);
  if (info.verb == "create" && r.custom && r.custom->terminating) {
    // kube's CRD handler: the CRD's objects are being deleted, so no new one may appear.
    return http::ErrorResponse(api::ToStatus({405, "MethodNotAllowed",
                                              "create not allowed while custom resource definition is terminating",
                                              "", r.group, r.plural}));
  }
  if (info.verb == "create") return Create(req, info, r, user, annotations);
  if (info.verb == "update") return Update(req, info, r, user, annotations);
  if (info.verb == "patch") return Patch(req, info, r, user, annotations);
  if (info.verb == "delete") return Delete(req, info, r, user, annotations);
  if (info.verb == "deletecollection") return DeleteCollection(req, info, r, user);
  return http::ErrorResponse(
      api::MethodNotAllowedError("the server does not allow this method on the requested resource"));
}

http::HttpResponse ApiHandler::ObjectResponse(const http::HttpRequest& req, const api::ResourceInfo& r,
                                              const ObjectPtr& obj, int code,
                                              const std::vector<std::string>& warnings) {
  auto served = ServedObject(*storage_, r, obj);
  if (!served.ok()) return http::ErrorResponse(served.status());
  http::HttpResponse resp;
  if (WantsTable(req)) {
    api::TableOptions options;
    options.now = clock_->Now();
    options.include_object = api::ParseIncludeObject(req.Query("includeObject"));
    options.resource_version = std::to_string(obj->revision);
    json::value parsed = (*served)->Parse();
    resp = JsonResponse(code, base::ToJson(api::ToTable(r, {&parsed}, options)), kTableContentType);
  } else {
    resp = JsonResponse(code, (*served)->json);
  }
  AddWarnings(resp, warnings);
  return resp;
}

http::HttpResponse ApiHandler::Get(const http::HttpRequest& req, const RequestInfo& info,
                                   const api::ResourceInfo& r) {
  auto obj = storage_->Get(r, info.namespace_name, info.name);
  if (!obj.ok()) return http::ErrorResponse(obj.status());
  return ObjectResponse(req, r, *obj, 200);
}

http::HttpResponse ApiHandler::List(const http::HttpRequest& req, const RequestInfo& info,
                                    const api::ResourceInfo& r) {
  auto selection = BuildSelection(r, req.Query("labelSelector"), req.Query("fieldSelector"));
  if (!selection.ok()) return http::ErrorResponse(selection.status());
  int64_t limit = 0;
  if (req.HasQuery("limit") && (!absl::SimpleAtoi(req.Query("limit"), &limit) || limit < 0)) {
    return http::ErrorResponse(api::BadRequestError("limit must be a non-negative integer"));
  }
  std::string prefix = ResourcePrefix(r.group, r.plural);
  std::string key_prefix = KeyPrefixFor(r, info.namespace_name);
  WatchCache* cache = storage_->cache();
  std::vector<ObjectPtr> objects;
  int64_t revision = 0;
  std::string next;
  std::string rv = req.Query("resourceVersion");
  std::string rv_match = req.Query("resourceVersionMatch");
  if (!rv_match.empty() && rv_match != "NotOlderThan" && rv_match != "Exact") {
    return http::ErrorResponse(
        api::InvalidError("", "ListOptions", "",
                          {{"FieldValueNotSupported",
                            absl::StrCat("Unsupported value: \"", rv_match,
                                         "\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
                            "resourceVersionMatch"}}));
  }
  int64_t min_rev = 0;
  if (!rv.empty() && (!absl::SimpleAtoi(rv, &min_rev) || min_rev < 0)) {
    return http::ErrorResponse(
        api::ToStatus({400, "BadRequest", absl::StrCat("invalid resource version: ", rv)}));
  }
  std::string cont = req.Query("continue");
  if (!rv_match.empty()) {
    std::string why;
    if (rv.empty()) why = "resourceVersionMatch is forbidden unless resourceVersion is provided";
    if (!cont.empty()) why = "resourceVersionMatch is forbidden when continue is provided";
    if (rv_match == "Exact" && rv == "0") why = "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"";
    if (!why.empty()) {
      return http::ErrorResponse(
          api::InvalidError("meta.k8s.io", "ListOptions", "",
                            {{"FieldValueForbidden", "Forbidden: " + why, "resourceVersionMatch"}}));
    }
  }
  int64_t exact_rev = 0;
  std::string start_after;
  std::optional<int64_t> token_remaining;
  if (!cont.empty()) {
    if (auto s = DecodeContinue(cont, &exact_rev, &start_after, &token_remaining); !s.ok())
      return http::ErrorResponse(s);
  } else if (rv_match == "Exact") {
    exact_rev = min_rev;
  }
  // Like Kubernetes, a cut list reports how many objects follow it, unless a selector filters it
  // (the count would include objects the selector drops).
  bool report_remaining = !selection->filter;
  std::optional<int64_t> remaining;
  if (exact_rev > 0) {
    // Consistent snapshot at an older revision: read it from storage.
    storage::ListOptions options;
    options.revision = exact_rev;
    options.start_after = start_after;
    bool more = false;
    // The keys after the page are counted here only when the continue token does not carry them.
    bool count_rest = report_remaining && !token_remaining;
    int64_t rest = 0;
    for (;;) {
      options.limit = more ? 4096 : limit > 0 ? std::max<int64_t>(limit + 1, 256) : 0;
      auto page = storage_->store()->List(key_prefix, options);
      if (!page.ok()) {
        if (absl::IsOutOfRange(page.status())) {
          return http::ErrorResponse(
              api::GoneError("The provided continue parameter is too old to display a consistent list "
                             "result. You can start a new "
                             "list without the continue parameter."));
        }
        return http::ErrorResponse(page.status());
      }
      for (const auto& kv : page->kvs) {
        if (more) {
          ++rest;
          continue;
        }
        auto obj = storage_->cache()->MakeObject(kv.key, kv.value, kv.mod_revision);
        if (!obj.ok()) continue;
        if (selection->filter && !selection->filter(**obj)) continue;
        if (limit > 0 && static_cast<int64_t>(objects.size()) == limit) {
          more = true;
          ++rest;
          if (!count_rest) break;
          continue;
        }
        objects.push_back(*obj);
      }
      if ((more && !count_rest) || !page->more || page->kvs.empty()) break;
      options.start_after = page->kvs.back().key;
    }
    revision = exact_rev;
    if (more && report_remaining) {
      remaining = token_remaining ? std::max<int64_t>(*token_remaining - static_cast<int64_t>(objects.size()), 0)
                                  : rest;
    }
    if (more) next = EncodeContinue(exact_rev, objects.back()->key, remaining);
  } else {
    if (rv.empty()) {
      // A consistent read: the cache must have every acknowledged write.
      if (auto s = cache->WaitForRevision(storage_->store()->CurrentRevision()); !s.ok())
        return http::ErrorResponse(s);
    } else if (min_rev > 0) {
      if (auto s = cache->WaitForRevision(min_rev, absl::Seconds(3)); !s.ok()) {
        return http::ErrorResponse(api::ToStatus(
            {504, "Timeout",
             absl::StrCat("Too large resource version: ", min_rev, ", current: ", cache->Revision())}));
      }
    }
    bool more = false;
    std::string exact_key;
    if (!selection->exact_name.empty()) {
      exact_key = ObjectKey(prefix, r.namespaced ? info.namespace_name : "", selection->exact_name);
    }
    int64_t rest = 0;
    auto result = cache->List(prefix, key_prefix, selection->filter, "", static_cast<size_t>(limit), &more,
                              report_remaining ? &rest : nullptr);
    objects = std::move(result.objects);
    revision = result.revision;
    if (more && report_remaining) remaining = rest;
    if (more && !objects.empty()) next = EncodeContinue(revision, objects.back()->key, remaining);
  }
  // One conversion (webhook call) for the page.
  auto served = ServedObjects(*storage_, r, std::move(objects));
  if (!served.ok()) return http::ErrorResponse(served.status());
  objects = std::move(*served);
  if (WantsTable(req)) {
    api::TableOptions options;
    options.now = clock_->Now();
    options.include_object = api::ParseIncludeObject(req.Query("includeObject"));
    options.resource_version = std::to_string(revision);
    options.continue_token = next;
    options.remaining_item_count = remaining;
    std::vector<json::value> parsed;
    parsed.reserve(objects.size());
    for (const auto& o : objects) parsed.push_back(o->Parse());
    std::vector<const json::value*> raw;
    raw.reserve(parsed.size());
    for (const auto& o : parsed) raw.push_back(&o);
    return JsonResponse(200, base::ToJson(api::ToTable(r, raw, options)), kTableContentType);
  }
  size_t bytes = 0;
  for (const auto& o : objects) bytes += o->json.size();
  if (bytes > kStreamListBytes) {
    std::string head = ListJson(r, {}, revision, next, remaining);
    head.resize(head.size() - 2);  // drop "]}": the producer adds the items and the footer
    http::HttpResponse resp;
    resp.producer = std::make_shared<ListProducer>(std::move(objects), std::move(head));
    return resp;
  }
  return JsonResponse(200, ListJson(r, objects, revision, next, remaining));
}

http::HttpResponse ApiHandler::Watch(const http::HttpRequest& req, const RequestInfo& info,
                                     const api::ResourceInfo& r) {
  std::string field_selector = req.Query("fieldSelector");
  if (!info.name.empty()) {
    field_selector = field_selector.empty() ? absl::StrCat("metadata.name=", info.name)
                                            : absl::StrCat(field_selector, ",metadata.name=", info.name);
  }
  auto selection = BuildSelection(r, req.Query("labelSelector"), field_selector);
  if (!selection.ok()) return http::ErrorResponse(selection.status());
  int64_t from = 0;
  std::string rv = req.Query("resourceVersion");
  if (!rv.empty() && (!absl::SimpleAtoi(rv, &from) || from < 0)) {
    return http::ErrorResponse(
        api::ToStatus({400, "BadRequest", absl::StrCat("invalid resource version: ", rv)}));
  }
  int64_t timeout = 0;
  if (req.HasQuery("timeoutSeconds") && (!absl::SimpleAtoi(req.Query("timeoutSeconds"), &timeout) || timeout < 0)) {
    return http::ErrorResponse(api::BadRequestError("timeoutSeconds must be a non-negative integer"));
  }
  WatchParams params;
  params.resource_prefix = ResourcePrefix(r.group, r.plural);
  params.key_prefix = KeyPrefixFor(r, info.namespace_name);
  params.from_revision = from;
  params.filter = selection->filter;
  params.bookmarks = ParseBool(req.Query("allowWatchBookmarks"));
  params.bookmark_kind = r.kind;
  params.bookmark_api_version = r.GroupVersion();
  // Kubernetes closes watches without a timeout after 30-60 minutes; clients re-watch.
  params.deadline = absl::Now() + (timeout > 0 ? absl::Seconds(timeout) : absl::Minutes(30));
  http::HttpResponse resp;
  const api::ResourceInfo* rp = &r;
  const ResourceStorage* storage = storage_;
  if (WantsTable(req)) {
    base::Clock* clock = clock_;
    auto first = std::make_shared<std::atomic<bool>>(true);
    params.formatter = [rp, storage, clock, first](EventType, const ObjectPtr& obj) -> absl::StatusOr<std::string> {
      auto served = ServedObject(*storage, *rp, obj);
      if (!served.ok()) return served.status();
      api::TableOptions options;
      options.now = clock->Now();
      options.resource_version = std::to_string(obj->revision);
      options.include_column_definitions = first->exchange(false);
      json::value parsed = (*served)->Parse();
      return base::ToJson(api::ToTable(*rp, {&parsed}, options));
    };
    resp.content_type = kTableContentType;
  } else if (!ServedAsStored(r)) {
    params.formatter = [rp, storage](EventType, const ObjectPtr& obj) -> absl::StatusOr<std::string> {
      auto served = ServedObject(*storage, *rp, obj);
      if (!served.ok()) return served.status();
      return (*served)->json;
    };
  }
  resp.stream = std::make_shared<WatchStream>(storage_->cache(), &ticker_, std::move(params));
  // Said to a client the transport cuts off for reading too slowly; it resumes from its last version.
  resp.stream_overflow_tail = absl::StrCat(
      "{\"type\":\"ERROR\",\"object\":",
      base::ToJson(api::StatusObject(api::TooManyRequestsError(
          "the watch was closed because its client did not read its events fast enough", 1))),
      "}\n");
  return resp;
}

http::HttpResponse ApiHandler::Create(const http::HttpRequest& req, const RequestInfo& info,
                                      const api::ResourceInfo& r, const User& user, AuditAnnotations* annotations) {
  if (!info.name.empty()) {
    return http::ErrorResponse(
        api::MethodNotAllowedError("POST to a named resource is not allowed; use PUT to update"));
  }
  auto obj = DecodeObject(req, r);
  if (!obj.ok()) return http::ErrorResponse(obj.status());
  std::vector<std::string> warnings;
  if (auto s = CheckUnknownFields(req, r, *obj, &warnings); !s.ok()) return http::ErrorResponse(s);
  if (base::GetString(*obj, {"metadata", "name"}).empty() && base::GetString(*obj, {"metadata", "generateName"}).empty()) {
    std::string qualified = r.group.empty() ? r.kind : absl::StrCat(r.kind, ".", r.group);
    return http::ErrorResponse(api::InvalidError(
        r.group, r.kind, "",
        {{"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"}}));
  }
  WriteOptions options;
  options.user = &user;
  options.warnings = &warnings;
  options.audit_annotations = annotations;
  options.dry_run = DryRun(req);
  options.field_manager = FieldManager(req);
  const api::ResourceInfo& stored = api::StorageVersionOf(r);
  auto body = storage_->converter().Convert(std::move(*obj), r, stored);
  if (!body.ok()) return http::ErrorResponse(body.status());
  auto created = storage_->Create(stored, info.namespace_name, std::move(*body), options);
  if (!created.ok()) return http::ErrorResponse(created.status());
  return ObjectResponse(req, r, *created, 201, warnings);
}

http::HttpResponse ApiHandler::Update(const http::HttpRequest& req, const RequestInfo& info,
                                      const api::ResourceInfo& r, const User& user, AuditAnnotations* annotations) {
  auto obj = DecodeObject(req, r);
  if (!obj.ok()) return http::ErrorResponse(obj.status());
  std::vector<std::string> warnings;
  if (auto s = CheckUnknownFields(req, r, *obj, &warnings); !s.ok()) return http::ErrorResponse(s);
  WriteOptions options;
  options.user = &user;
  options.warnings = &warnings;
  options.audit_annotations = annotations;
  options.dry_run = DryRun(req);
  options.field_manager = FieldManager(req);
  options.subresource = info.subresource == "finalize" ? "" : info.subresource;
  const api::ResourceInfo& stored = api::StorageVersionOf(r);
  auto converted = storage_->converter().Convert(std::move(*obj), r, stored);
  if (!converted.ok()) return http::ErrorResponse(converted.status());
  json::value body = std::move(*converted);
  bool finalize = info.subresource == "finalize";
  auto updated = storage_->Update(
      stored, info.namespace_name, info.name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        if (!finalize) return body;
        // namespaces/finalize changes only spec.finalizers.
        return FinalizeNamespace(current, body);
      },
      options, /*retry_on_conflict=*/false);
  if (!updated.ok()) return http::ErrorResponse(updated.status());
  return ObjectResponse(req, r, *updated, 200, warnings);
}

http::HttpResponse ApiHandler::Patch(const http::HttpRequest& req, const RequestInfo& info,
                                     const api::ResourceInfo& r, const User& user, AuditAnnotations* annotations) {
  std::string type = api::MediaType(req.Header("content-type"));
  static const std::set<std::string> kPatchTypes = {"application/json-patch+json", "application/merge-patch+json",
                                                     "application/strategic-merge-patch+json",
                                                     "application/apply-patch+yaml"};
  if (!kPatchTypes.count(type)) {
    return http::ErrorResponse(api::UnsupportedMediaTypeError(
        absl::StrCat("the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, "
                     "application/apply-patch+yaml, application/strategic-merge-patch+json")));
  }
  if (r.custom && type == "application/strategic-merge-patch+json") {
    // Custom resources have no Go types to carry patch strategies (kube answers the same).
    return http::ErrorResponse(api::UnsupportedMediaTypeError(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"));
  }
  auto patch = api::DecodeBody(type, req.body);
  if (!patch.ok()) return http::ErrorResponse(api::BadRequestError(std::string(patch.status().message())));
  bool apply = type == "application/apply-patch+yaml";
  // Apply needs an explicit manager; other patches fall back to the User-Agent's.
  std::string manager = apply ? req.Query("fieldManager") : FieldManager(req);
  if (apply && manager.empty()) {
    return http::ErrorResponse(api::ToStatus({422, "Invalid",
                                              "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                              "Required value: is required for apply patch"}));
  }
  if (type == "application/json-patch+json" && !patch->is_array()) {
    return http::ErrorResponse(api::BadRequestError("json patch must be a JSON array of operations"));
  }
  if (type != "application/json-patch+json" && !patch->is_object()) {
    return http::ErrorResponse(api::BadRequestError("the patch must be a JSON object"));
  }
  std::vector<std::string> warnings;
  if (apply) {
    auto checked = DecodeObject(req, r);
    if (!checked.ok()) return http::ErrorResponse(checked.status());
    json::value applied = std::move(*checked);
    if (auto s = CheckUnknownFields(req, r, applied, &warnings, BodyKind::kPatched); !s.ok()) {
      return http::ErrorResponse(s);
    }
    *patch = std::move(applied);
  }
  bool force = ParseBool(req.Query("force"));
  WriteOptions options;
  options.user = &user;
  options.warnings = &warnings;
  options.audit_annotations = annotations;
  options.dry_run = DryRun(req);
  options.field_manager = manager;
  options.subresource = info.subresource;
  options.managed_fields_done = apply;
  bool created = false;
  std::string now = base::FormatRfc3339(clock_->Now());
  // A patch that names a resourceVersion must match it; otherwise it applies to the latest.
  bool retry = base::GetString(*patch, {"metadata", "resourceVersion"}).empty();
  const api::ResourceInfo& stored = api::StorageVersionOf(r);
  std::vector<std::string> patch_warnings;  // unknown fields of the patched object (fieldValidation=Warn)
  auto result = storage_->Update(
      stored, info.namespace_name, info.name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        // Patches are written against the requested version: convert, patch, convert back.
        json::value live;
        if (current) {
          auto served = storage_->converter().Convert(current->Parse(), stored, r);
          if (!served.ok()) return served.status();
          live = std::move(*served);
        }
        absl::StatusOr<json::value> next =
            ComputePatch(r, info.namespace_name, info.name, current ? &live : nullptr, type, *patch, manager, force,
                         now);
        if (!next.ok()) return next.status();
        if (!apply) {
          patch_warnings.clear();  // a retried attempt reports afresh
          if (auto s = CheckUnknownFields(req, r, *next, &patch_warnings, BodyKind::kPatched, /*from_body=*/false);
              !s.ok()) {
            return s;
          }
        }
        return storage_->converter().Convert(std::move(*next), r, stored);
      },
      options, retry, /*create_if_missing=*/apply, &created);
  if (!result.ok()) return http::ErrorResponse(result.status());
  warnings.insert(warnings.begin(), patch_warnings.begin(), patch_warnings.end());
  return ObjectResponse(req, r, *result, created ? 201 : 200, warnings);
}

http::HttpResponse ApiHandler::Delete(const http::HttpRequest& req, const RequestInfo& info,
                                      const api::ResourceInfo& r, const User& user, AuditAnnotations* annotations) {
  DeleteOptions options;
  options.user = &user;
  options.audit_annotations = annotations;
  options.dry_run = DryRun(req);
  if (!absl::StripAsciiWhitespace(absl::string_view(req.body)).empty()) {
    auto body = api::DecodeBody(req.Header("content-type"), req.body);
    if (!body.ok()) {
      if (absl::IsUnimplemented(body.status()))
        return http::ErrorResponse(api::UnsupportedMediaTypeError(std::string(body.status().message())));
      return http::ErrorResponse(api::BadRequestError(std::string(body.status().message())));
    }
    if (!body->is_object())
      return http::ErrorResponse(api::BadRequestError("DeleteOptions must be a JSON object"));
    if (const auto* g = base::Find(*body, "gracePeriodSeconds"); g && g->is_int64()) {
      options.grace_period_seconds = g->get_int64();
    }
    options.propagation_policy = base::GetString(*body, {"propagationPolicy"});
    options.precondition_uid = base::GetString(*body, {"preconditions", "uid"});
    options.precondition_resource_version = base::GetString(*body, {"preconditions", "resourceVersion"});
    if (const auto* dr = base::Find(*body, "dryRun"); dr && dr->is_array()) {
      for (const auto& v : dr->get_array()) {
        if (v == "All") options.dry_run = true;
      }
    }
    if (base::GetBool(*body, {"orphanDependents"}) && options.propagation_policy.empty()) {
      options.propagation_policy = "Orphan";
    }
  }
  if (req.HasQuery("gracePeriodSeconds")) {
    int64_t g;
    if (!absl::SimpleAtoi(req.Query("gracePeriodSeconds"), &g)) {
      return http::ErrorResponse(api::BadRequestError("gracePeriodSeconds must be an integer"));
    }
    options.grace_period_seconds = g;
  }
  if (req.HasQuery("propagationPolicy")) options.propagation_policy = req.Query("propagationPolicy");
  const std::string& p = options.propagation_policy;
  if (!p.empty() && p != "Orphan" && p != "Background" && p != "Foreground") {
    return http::ErrorResponse(
        api::InvalidError("", "DeleteOptions", "",
                          {{"FieldValueNotSupported",
                            absl::StrCat("Unsupported value: \"", p,
                                         "\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
                            "propagationPolicy"}}));
  }
  bool deleted = false;
  std::vector<std::string> warnings;  // from admission (webhooks)
  options.warnings = &warnings;
  auto result = storage_->Delete(r, info.namespace_name, info.name, options, &deleted);
  if (!result.ok()) return http::ErrorResponse(result.status());
  // A pending deletion (finalizers, graceful termination) answers with the object as it now
  // stands; a completed one with a Status, except for kinds that return the deleted object.
  if (deleted && !r.returns_deleted_object) {
    http::HttpResponse resp = http::DeletedStatusResponse(r.group, r.plural, (*result)->name,
                                                          base::GetString((*result)->Parse(), {"metadata", "uid"}));
    AddWarnings(resp, warnings);
    return resp;
  }
  return ObjectResponse(req, r, *result, 200, warnings);
}

http::HttpResponse ApiHandler::DeleteCollection(const http::HttpRequest& req, const RequestInfo& info,
                                                const api::ResourceInfo& r, const User& user) {
  auto selection = BuildSelection(r, req.Query("labelSelector"), req.Query("fieldSelector"));
  if (!selection.ok()) return http::ErrorResponse(selection.status());
  bool more = false;
  auto list = storage_->cache()->List(ResourcePrefix(r.group, r.plural), KeyPrefixFor(r, info.namespace_name),
                                      selection->filter, "", 0, &more);
  DeleteOptions options;
  options.user = &user;
  options.dry_run = DryRun(req);
  std::vector<ObjectPtr> deleted;
  for (const auto& obj : list.objects) {
    bool gone = false;
    auto result = storage_->Delete(r, obj->namespace_name, obj->name, options, &gone);
    if (!result.ok()) {
      if (absl::IsNotFound(result.status())) continue;
      return http::ErrorResponse(result.status());
    }
    deleted.push_back(*result);
  }
  auto served = ServedObjects(*storage_, r, std::move(deleted));
  if (!served.ok()) return http::ErrorResponse(served.status());
  return JsonResponse(200, ListJson(r, *served, storage_->cache()->Revision(), ""));
}

http::HttpResponse ApiHandler::Scale(const http::HttpRequest& req, const RequestInfo& info,
                                     const api::ResourceInfo& r, const User& user) {
  // A custom resource's scale paths are its version's: the object is scaled in r's version.
  if (info.verb == "get") {
    auto obj = storage_->Get(r, info.namespace_name, info.name);
    if (!obj.ok()) return http::ErrorResponse(obj.status());
    auto served = ServedObject(*storage_, r, *obj);
    if (!served.ok()) return http::ErrorResponse(served.status());
    return JsonResponse(200, base::ToJson(ScaleOf(r, *served)));
  }
  if (info.verb != "update" && info.verb != "patch") {
    return http::ErrorResponse(
        api::MethodNotAllowedError("the server does not allow this method on the requested resource"));
  }
  std::string type = api::MediaType(req.Header("content-type"));
  auto body = api::DecodeBody(type, req.body);
  if (!body.ok()) {
    if (absl::IsUnimplemented(body.status()))
      return http::ErrorResponse(api::UnsupportedMediaTypeError(std::string(body.status().message())));
    return http::ErrorResponse(api::BadRequestError(std::string(body.status().message())));
  }
  WriteOptions options;
  options.user = &user;
  options.dry_run = DryRun(req);
  options.field_manager = FieldManager(req);
  options.subresource = "scale";  // recorded in managedFields
  const api::ResourceInfo& stored = api::StorageVersionOf(r);
  auto result = storage_->Update(
      stored, info.namespace_name, info.name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        auto served = ServedObject(*storage_, r, current);
        if (!served.ok()) return served.status();
        auto scaled = ApplyScale(r, *served, info.name, info.verb == "update", type, *body);
        if (!scaled.ok()) return scaled.status();
        return storage_->converter().Convert(std::move(*scaled), r, stored);
      },
      options, /*retry_on_conflict=*/info.verb == "patch");
  if (!result.ok()) return http::ErrorResponse(result.status());
  auto served = ServedObject(*storage_, r, *result);
  if (!served.ok()) return http::ErrorResponse(served.status());
  return JsonResponse(200, base::ToJson(ScaleOf(r, *served)));
}

http::HttpResponse ApiHandler::Binding(const http::HttpRequest& req, const RequestInfo& info,
                                       const api::ResourceInfo& r, const User& user) {
  auto body = api::DecodeBody(req.Header("content-type"), req.body);
  if (!body.ok()) return http::ErrorResponse(api::BadRequestError(std::string(body.status().message())));
  std::string pod_name = info.name.empty() ? base::GetString(*body, {"metadata", "name"}) : info.name;
  std::string node = base::GetString(*body, {"target", "name"});
  if (node.empty()) {
    return http::ErrorResponse(api::InvalidError("", "Binding", pod_name,
                                                 {{"FieldValueRequired", "Required value", "target.name"}}));
  }
  (void)r;
  WriteOptions options;
  options.user = &user;
  options.dry_run = DryRun(req);
  options.field_manager = FieldManager(req);
  auto result = BindPod(storage_, info.namespace_name, pod_name, node, clock_->Now(), options);
  if (!result.ok()) return http::ErrorResponse(result.status());
  return http::SuccessStatusResponse(201, "", "pods", pod_name, "");
}

absl::Status ApiHandler::AdmitTokenRequest(const http::HttpRequest& req, const RequestInfo& info,
                                          const api::ResourceInfo& r, const User& user) const {
  if (!token_request_admission_) return absl::OkStatus();
  auto body = api::DecodeBody(req.Header("content-type"), req.body);
  if (!body.ok()) return absl::OkStatus();  // CreateToken answers the malformed body
  AdmissionRequest request{.operation = AdmissionOperation::kCreate,
                           .resource = &r,
                           .subresource = info.subresource,
                           .ns = info.namespace_name,
                           .name = info.name,
                           .user = &user};
  return token_request_admission_->Validate(request, &*body, nullptr);
}

absl::Status ApiHandler::AdmitConnect(const http::HttpRequest& req, const RequestInfo& info,
                                      const api::ResourceInfo& r, const User& user) const {
  if (!connect_admission_) return absl::OkStatus();
  // The options object as kube-apiserver decodes it from the query (PodExecOptions ...).
  json::object options{{"apiVersion", "v1"}};
  auto flag = [&](const char* name) { options[name] = ParseBool(req.Query(name)); };
  if (info.subresource == "portforward") {
    options["kind"] = "PodPortForwardOptions";
    json::array ports;
    for (auto [it, end] = req.query.equal_range("ports"); it != end; ++it) {
      for (absl::string_view p : absl::StrSplit(it->second, ',')) {
        int port = 0;
        if (absl::SimpleAtoi(p, &port)) ports.emplace_back(port);
      }
    }
    if (!ports.empty()) options["ports"] = std::move(ports);
  } else {
    options["kind"] = info.subresource == "exec" ? "PodExecOptions" : "PodAttachOptions";
    for (const char* name : {"stdin", "stdout", "stderr", "tty"}) flag(name);
    if (req.HasQuery("container")) options["container"] = req.Query("container");
    if (info.subresource == "exec") {
      json::array command;
      for (auto [it, end] = req.query.equal_range("command"); it != end; ++it) command.emplace_back(it->second);
      options["command"] = std::move(command);
    }
  }
  json::value obj = std::move(options);
  AdmissionRequest request{.operation = AdmissionOperation::kConnect,
                           .resource = &r,
                           .subresource = info.subresource,
                           .ns = info.namespace_name,
                           .name = info.name,
                           .user = &user};
  return connect_admission_->Validate(request, &obj, nullptr);
}

http::HttpResponse ApiHandler::Eviction(const http::HttpRequest& req, const RequestInfo& info,
                                        const api::ResourceInfo& r, const User& user) {
  auto body = api::DecodeBody(req.Header("content-type"), req.body);
  if (!body.ok()) return http::ErrorResponse(api::BadRequestError(std::string(body.status().message())));
  // EvictPod (subresources.cc) checks PodDisruptionBudgets, for this path and in-process clients alike.
  auto result = EvictPod(storage_, *clock_, r, info.namespace_name, info.name, *body, DryRun(req), &user);
  if (!result.ok()) return http::ErrorResponse(result.status());
  return http::SuccessStatusResponse(201, "", "pods", info.name, "");
}

namespace {

json::object UserInfoJson(const User& user) {
  json::array groups;
  for (const auto& g : user.groups) groups.push_back(json::string(g));
  json::object info{{"username", user.name}, {"groups", std::move(groups)}};
  if (!user.uid.empty()) info["uid"] = user.uid;
  if (!user.extra.empty()) {
    json::object extra;
    for (const auto& [key, values] : user.extra) {
      json::array list;
      for (const auto& v : values) list.emplace_back(v);
      extra[key] = std::move(list);
    }
    info["extra"] = std::move(extra);
  }
  return info;
}

}  // namespace

http::HttpResponse ApiHandler::Review(const http::HttpRequest& req, const std::string& req_namespace,
                                      const api::ResourceInfo& r, const User& user) {
  auto body = DecodeObject(req, r);
  if (!body.ok()) return http::ErrorResponse(body.status());
  json::object out = body->as_object();
  out["kind"] = r.kind;
  out["apiVersion"] = r.GroupVersion();
  out["metadata"] = json::object{{"creationTimestamp", nullptr}};
  json::object status;
  if (r.kind == "SelfSubjectReview") {
    status["userInfo"] = UserInfoJson(user);
  } else if (r.kind == "TokenReview") {
    std::string token = base::GetString(*body, {"spec", "token"});
    if (token.empty()) return http::ErrorResponse(api::BadRequestError("token is required for TokenReview in authentication"));
    std::vector<std::string> audiences;
    if (const auto* a = base::FindPath(*body, {"spec", "audiences"}); a && a->is_array()) {
      for (const auto& v : a->get_array()) {
        if (v.is_string()) audiences.emplace_back(v.get_string());
      }
    }
    auto reviewed = authenticator_->AuthenticateToken(token, audiences);
    status["authenticated"] = reviewed.ok();
    if (reviewed.ok()) {
      status["user"] = UserInfoJson(reviewed->user);
      json::array matched;
      for (const auto& a : reviewed->audiences) matched.emplace_back(a);
      if (!matched.empty()) status["audiences"] = std::move(matched);
    } else {
      status["user"] = json::object{};
      status["error"] = std::string(reviewed.status().message());
    }
  } else if (r.kind == "SelfSubjectRulesReview") {
    status = authorizer_->RulesReview(user, base::GetString(*body, {"spec", "namespace"}));
  } else {
    // Access reviews: ask the authorizer about the described request.
    RequestInfo asked;
    asked.is_resource = base::FindPath(*body, {"spec", "resourceAttributes"}) != nullptr;
    asked.verb = base::GetString(*body, {"spec", "resourceAttributes", "verb"});
    asked.group = base::GetString(*body, {"spec", "resourceAttributes", "group"});
    asked.version = base::GetString(*body, {"spec", "resourceAttributes", "version"});
    asked.resource = base::GetString(*body, {"spec", "resourceAttributes", "resource"});
    asked.subresource = base::GetString(*body, {"spec", "resourceAttributes", "subresource"});
    asked.namespace_name = base::GetString(*body, {"spec", "resourceAttributes", "namespace"});
    asked.name = base::GetString(*body, {"spec", "resourceAttributes", "name"});
    if (!asked.is_resource) {
      asked.verb = base::GetString(*body, {"spec", "nonResourceAttributes", "verb"});
      asked.path = base::GetString(*body, {"spec", "nonResourceAttributes", "path"});
    }
    // A LocalSubjectAccessReview is about its own namespace.
    if (r.kind == "LocalSubjectAccessReview") {
      std::string ns = base::GetString(*body, {"metadata", "namespace"});
      if (ns.empty()) ns = req_namespace;
      if (!asked.is_resource || asked.namespace_name != ns) {
        return http::ErrorResponse(api::InvalidError(r.group, r.kind, "",
                                               {{"FieldValueInvalid",
                                                 absl::StrCat("Invalid value: \"", asked.namespace_name,
                                                              "\": must match metadata.namespace"),
                                                 "spec.resourceAttributes.namespace"}}));
      }
    }
    User subject = user;
    if (r.kind == "SubjectAccessReview" || r.kind == "LocalSubjectAccessReview") {
      subject = User{base::GetString(*body, {"spec", "user"}), base::GetString(*body, {"spec", "uid"}), {}};
      if (const auto* g = base::FindPath(*body, {"spec", "groups"}); g && g->is_array()) {
        for (const auto& v : g->get_array()) {
          if (v.is_string()) subject.groups.emplace_back(v.get_string());
        }
      }
    }
    if (const auto* extra = base::FindPath(*body, {"spec", "extra"}); extra && extra->is_object()) {
      for (const auto& [k, v] : extra->get_object()) {
        if (!v.is_array()) continue;
        for (const auto& item : v.get_array()) {
          if (item.is_string()) subject.extra[k].emplace_back(item.get_string());
        }
      }
    }
    std::string reason;
    auto decision = authorizer_->Authorize(subject, asked, &reason);
    status["allowed"] = decision.ok();
    if (decision.ok() && !reason.empty()) status["reason"] = reason;
  }
  out["status"] = std::move(status);
  return JsonResponse(201, base::ToJson(out));
}

}  // namespace skiff::apiserver
