#include "apiserver/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace skiff::apiserver {

absl::StatusOr<std::string> RenderKubeconfig(const KubeconfigSpec& spec) {
  if (!absl::StartsWith(spec.server_url, "https://") && !absl::StartsWith(spec.server_url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig server URL must start with https:// or http://, got \"", spec.server_url, "\""));
  }
  bool use_cert = !spec.client_cert_pem.empty() && !spec.client_key_pem.empty();
  if (!use_cert && spec.token.empty()) {
    return absl::InvalidArgumentError("kubeconfig user needs a client certificate and key, or a token");
  }

  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";

  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.cluster_name;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << spec.server_url;
  if (!spec.ca_pem.empty()) {
    out << YAML::Key << "certificate-authority-data" << YAML::Value << absl::Base64Escape(spec.ca_pem);
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.user_name;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  if (use_cert) {
    out << YAML::Key << "client-certificate-data" << YAML::Value << absl::Base64Escape(spec.client_cert_pem);
    out << YAML::Key << "client-key-data" << YAML::Value << absl::Base64Escape(spec.client_key_pem);
  } else {
    out << YAML::Key << "token" << YAML::Value << spec.token;
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.context_name;
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << spec.cluster_name;
  out << YAML::Key << "user" << YAML::Value << spec.user_name;
  out << YAML::Key << "namespace" << YAML::Value << spec.default_namespace;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

  out << YAML::Key << "current-context" << YAML::Value << spec.context_name;
  out << YAML::Key << "preferences" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  out << YAML::EndMap;
  if (!out.good()) return absl::InternalError(absl::StrCat("emit kubeconfig YAML: ", out.GetLastError()));
  return std::string(out.c_str()) + "\n";
}

absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                             const http::PkiPaths& paths) {
  KubeconfigSpec spec;
  spec.server_url = server_url;
  for (auto [file, field] :
       {std::pair{&paths.ca_cert, &spec.ca_pem}, std::pair{&paths.admin_cert, &spec.client_cert_pem},
        std::pair{&paths.admin_key, &spec.client_key_pem}}) {
    absl::StatusOr<std::string> content = base::ReadFile(*file);
    if (!content.ok()) return content.status();
    *field = *std::move(content);
  }
  absl::StatusOr<std::string> yaml = RenderKubeconfig(spec);
  if (!yaml.ok()) return yaml.status();
  return base::WriteFileAtomically(path, *yaml, 0600);
}

absl::StatusOr<ServerCredentials> EnsureServerCredentials(const std::string& data_dir,
                                                          const std::string& server_url,
                                                          const http::PkiOptions& options) {
  absl::StatusOr<http::PkiPaths> paths = http::EnsurePki(data_dir, options);
  if (!paths.ok()) return paths.status();
  ServerCredentials creds{.paths = *std::move(paths)};
  absl::StatusOr<std::string> admin_token = http::EnsureToken(creds.paths.admin_token);
  if (!admin_token.ok()) return admin_token.status();
  creds.admin_token = *std::move(admin_token);
  absl::StatusOr<std::string> node_token = http::EnsureToken(creds.paths.node_token);
  if (!node_token.ok()) return node_token.status();
  creds.node_token = *std::move(node_token);
  if (absl::Status st = WriteKubeconfig(creds.paths.admin_kubeconfig, server_url, creds.paths); !st.ok()) {
    return st;
  }
  return creds;
}

}  // namespace skiff::apiserver
