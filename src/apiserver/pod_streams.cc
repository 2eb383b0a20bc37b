#include "apiserver/pod_streams.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "http/errors.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {

namespace json = boost::json;

namespace {

constexpr int kDefaultKubeletPort = 10250;

std::vector<std::string> ContainerNames(const json::value& pod, const char* field) {
  std::vector<std::string> names;
  const json::value* list = base::FindPath(pod, {"spec", field});
  if (!list || !list->is_array()) return names;
  for (const auto& c : list->as_array()) names.push_back(base::GetString(c, {"name"}));
  return names;
}

absl::Status InternalError(const std::string& message) { return api::ToStatus({500, "InternalError", message}); }

}  // namespace

absl::StatusOr<std::string> ResolveContainer(const json::value& pod, const std::string& requested) {
  std::string pod_name = api::Name(pod);
  std::vector<std::string> containers = ContainerNames(pod, "containers");
  if (requested.empty()) {
    if (containers.size() == 1) return containers[0];
    if (containers.empty())
      return api::BadRequestError(absl::StrCat("a container name must be specified for pod ", pod_name));
    // Kubernetes lists init, app and ephemeral containers in that order, formatted like a Go slice.
    std::vector<std::string> all = ContainerNames(pod, "initContainers");
    all.insert(all.end(), containers.begin(), containers.end());
    for (auto& e : ContainerNames(pod, "ephemeralContainers")) all.push_back(std::move(e));
    return api::BadRequestError(absl::StrCat("a container name must be specified for pod ", pod_name,
                                        ", choose one of: [", absl::StrJoin(all, " "), "]"));
  }
  for (const char* field : {"containers", "initContainers", "ephemeralContainers"}) {
    for (const auto& name : ContainerNames(pod, field)) {
      if (name == requested) return requested;
    }
  }
  return api::BadRequestError(absl::StrCat("container ", requested, " is not valid for pod ", pod_name));
}

absl::StatusOr<http::UpstreamEndpoint> AgentEndpoint(const json::value& node) {
  http::UpstreamEndpoint endpoint;
  endpoint.tls = true;
  const json::value* addresses = base::FindPath(node, {"status", "addresses"});
  if (addresses && addresses->is_array()) {
    for (const char* type : {"InternalIP", "ExternalIP", "Hostname"}) {
      for (const auto& a : addresses->as_array()) {
        if (base::GetString(a, {"type"}) == type && !base::GetString(a, {"address"}).empty()) {
          endpoint.host = base::GetString(a, {"address"});
          break;
        }
      }
      if (!endpoint.host.empty()) break;
    }
  }
  std::string node_name = api::Name(node);
  if (endpoint.host.empty()) {
    return api::BadRequestError(absl::StrCat("node ", node_name, " has no address the API server can reach"));
  }
  int64_t port = base::GetInt(node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"});
  endpoint.port = port > 0 && port < 65536 ? static_cast<int>(port) : kDefaultKubeletPort;
  return endpoint;
}

std::string AgentPath(const std::string& subresource, const std::string& ns, const std::string& pod,
                      const std::string& container) {
  if (subresource == "portforward") return absl::StrCat("/portForward/", ns, "/", pod);
  std::string head = subresource == "log" ? "containerLogs" : subresource;
  return absl::StrCat("/", head, "/", ns, "/", pod, "/", container);
}

absl::Status ValidateLogOptions(const http::HttpRequest& request, const std::string& pod) {
  std::vector<api::StatusCause> causes;
  auto check_int = [&](const char* name, int64_t min, const char* why) {
    if (!request.HasQuery(name)) return;
    int64_t v = 0;
    std::string raw = request.Query(name);
    if (!absl::SimpleAtoi(raw, &v)) {
      causes.push_back(
          {"FieldValueInvalid", absl::StrCat("Invalid value: \"", raw, "\": not an integer"), name});
    } else if (v < min) {
      causes.push_back({"FieldValueInvalid", absl::StrCat("Invalid value: ", v, ": ", why), name});
    }
  };
  check_int("tailLines", 0, "must be greater than or equal to 0");
  check_int("limitBytes", 1, "must be greater than 0");
  check_int("sinceSeconds", 1, "must be greater than 0");
  if (request.HasQuery("sinceTime")) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, request.Query("sinceTime"), &t, &err)) {
      causes.push_back({"FieldValueInvalid",
                        absl::StrCat("Invalid value: \"", request.Query("sinceTime"), "\": must be RFC 3339"),
                        "sinceTime"});
    }
    if (request.HasQuery("sinceSeconds")) {
      causes.push_back({"FieldValueForbidden",
                        "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", ""});
    }
  }
  if (causes.empty()) return absl::OkStatus();
  return api::InvalidError("", "PodLogOptions", pod, causes);
}

PodStreams::PodStreams(ResourceStorage* storage, PodStreamsOptions options)
    : storage_(storage), options_(std::move(options)) {}

PodStreams::~PodStreams() = default;

http::HttpResponse PodStreams::Handle(const http::HttpRequest& request, const RequestInfo& info) {
  absl::StatusOr<http::HttpResponse> response = Forward(request, info);
  if (!response.ok()) return http::ErrorResponse(response.status());
  return *std::move(response);
}

absl::StatusOr<http::HttpResponse> PodStreams::Forward(const http::HttpRequest& request,
                                                       const RequestInfo& info) {
  const std::string& sub = info.subresource;
  bool upgrade = sub != "log";
  if (sub == "log" ? info.verb != "get" : (info.verb != "get" && info.verb != "create")) {
    return api::MethodNotAllowedError(
        absl::StrCat("the server does not allow this method on the requested resource (pods/", sub, ")"));
  }
  const api::ResourceInfo* pods = api::FindResource("", "v1", "pods");
  const api::ResourceInfo* nodes = api::FindResource("", "v1", "nodes");
  absl::StatusOr<ObjectPtr> stored = storage_->Get(*pods, info.namespace_name, info.name);
  if (!stored.ok()) return stored.status();
  json::value pod = (*stored)->Parse();

  std::string container;
  if (sub != "portforward") {
    absl::StatusOr<std::string> resolved = ResolveContainer(pod, request.Query("container"));
    if (!resolved.ok()) return resolved.status();
    container = *resolved;
  }
  if (sub == "log") {
    if (absl::Status s = ValidateLogOptions(request, info.name); !s.ok()) return s;
  }
  std::string node_name = api::NodeName(pod);
  if (node_name.empty()) {
    // Kubernetes answers an empty log for a pod not yet scheduled.
    if (sub == "log") return http::HttpResponse{.status = 200, .content_type = "text/plain"};
    return api::BadRequestError(absl::StrCat("pod ", info.name, " does not have a host assigned"));
  }
  std::string phase = api::PodPhase(pod);
  if ((sub == "exec" || sub == "attach") && (phase == "Succeeded" || phase == "Failed")) {
    return api::BadRequestError(absl::StrCat(sub == "exec" ? "cannot exec into" : "cannot attach to",
                                        " a container in a completed pod; current phase is ", phase));
  }
  if (sub == "exec" && !request.HasQuery("command")) {
    return api::BadRequestError("you must specify at least one command for the container");
  }
  absl::StatusOr<ObjectPtr> node = storage_->Get(*nodes, "", node_name);
  if (!node.ok()) return node.status();
  absl::StatusOr<http::UpstreamEndpoint> endpoint = AgentEndpoint((*node)->Parse());
  if (!endpoint.ok()) return endpoint.status();
  endpoint->client_cert_file = options_.client_cert_file;
  endpoint->client_key_file = options_.client_key_file;

  http::UpstreamRequest upstream;
  upstream.method = request.method;
  upstream.target = AgentPath(sub, info.namespace_name, info.name, container);
  std::string query = http::EncodeQuery(request.query);
  if (!query.empty()) absl::StrAppend(&upstream.target, "?", query);
  upstream.headers = http::StreamingRequestHeaders(request);
  if (!upgrade) upstream.method = "GET";
  absl::StatusOr<http::HttpResponse> response = proxy_.Forward(*endpoint, upstream, options_.dial_timeout);
  if (!response.ok()) {
    // As Kubernetes words a failed dial: the URL, then the transport's error.
    spdlog::warn("pods/{} {}/{}: {}", sub, info.namespace_name, info.name, response.status().ToString());
    return InternalError(absl::StrCat(upstream.method == "GET" ? "Get" : "Post", " \"https://",
                                      endpoint->host, ":", endpoint->port, upstream.target,
                                      "\": ", response.status().message()));
  }
  return response;
}

}  // namespace skiff::apiserver
