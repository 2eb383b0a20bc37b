#include "agent/certificate/node_certificate.h"

#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/certificate_request.h"
#include "http/pki.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::certificate {
namespace {

namespace json = boost::json;

constexpr char kNodesGroup[] = "system:nodes";
constexpr char kCertificateBegin[] = "-----BEGIN CERTIFICATE-----";

const api::ResourceInfo& Csrs() {
  return client::Resource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

// Key PEM + certificate PEM -> NodeCertificate with its validity.
absl::StatusOr<NodeCertificate> MakeNodeCertificate(std::string key_pem, std::string cert_pem) {
  absl::StatusOr<http::X509Ptr> cert = http::ParseCertificatePem(cert_pem);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<http::CertificateValidity> validity = http::ValidityOf(cert->get());
  if (!validity.ok()) return validity.status();
  return NodeCertificate{std::move(key_pem), std::move(cert_pem), validity->not_before, validity->not_after};
}

// A condition of type `type` in the CSR, or null.
const json::value* Condition(const json::value& csr, std::string_view type) {
  const json::value* list = base::FindPath(csr, {"status", "conditions"});
  if (!list || !list->is_array()) return nullptr;
  for (const json::value& c : list->get_array()) {
    if (base::GetString(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

}  // namespace

NodeCredentialPaths NodeCredentialPathsFor(const std::string& data_dir) {
  return {data_dir + "/pki/kubelet-client-current.pem", data_dir + "/kubelet.kubeconfig"};
}

std::string NodeUserName(const std::string& node_name) { return "system:node:" + node_name; }

absl::StatusOr<NodeCertificate> LoadNodeCertificate(const std::string& pem_path, const std::string& node_name,
                                                    absl::Time now) {
  absl::StatusOr<std::string> text = base::ReadFile(pem_path);
  if (!text.ok()) return text.status();
  size_t split = text->find(kCertificateBegin);
  if (split == std::string::npos)
    return absl::FailedPreconditionError(absl::StrCat(pem_path, ": no certificate"));
  std::string key_pem = text->substr(0, split);
  std::string cert_pem = text->substr(split);
  if (!http::KeyMatchesCertificate(key_pem, cert_pem)) {
    return absl::FailedPreconditionError(absl::StrCat(pem_path, ": the key does not match the certificate"));
  }
  absl::StatusOr<http::X509Ptr> cert = http::ParseCertificatePem(cert_pem);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<http::UserInfo> user = http::UserFromCertificate(cert->get());
  if (!user.ok()) return user.status();
  if (user->name != NodeUserName(node_name) || user->groups != std::vector<std::string>{kNodesGroup}) {
    return absl::FailedPreconditionError(
        absl::StrCat(pem_path, ": the certificate is for ", user->name, ", not ", NodeUserName(node_name)));
  }
  absl::StatusOr<NodeCertificate> pair = MakeNodeCertificate(std::move(key_pem), std::move(cert_pem));
  if (!pair.ok()) return pair.status();
  if (now >= pair->not_after || now < pair->not_before) {
    return absl::FailedPreconditionError(absl::StrCat(pem_path, ": the certificate is not valid now"));
  }
  return pair;
}

absl::Status StoreNodeCertificate(const std::string& pem_path, const NodeCertificate& certificate) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(pem_path).parent_path();
  if (!dir.empty() && std::filesystem::create_directories(dir, ec)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  if (ec) return absl::InternalError(absl::StrCat("create ", dir.string(), ": ", ec.message()));
  std::string key = certificate.key_pem;
  if (!key.empty() && key.back() != '\n') key += '\n';
  return base::WriteFileAtomically(pem_path, key + certificate.cert_pem, 0600);
}

absl::Status WriteNodeKubeconfig(const std::string& path, const std::string& server_url,
                                 const std::string& ca_file, bool insecure, const std::string& node_name,
                                 const std::string& pem_path) {
  std::string cluster = absl::StrCat("    server: ", server_url, "\n");
  if (insecure) {
    absl::StrAppend(&cluster, "    insecure-skip-tls-verify: true\n");
  } else if (!ca_file.empty()) {
    absl::StrAppend(&cluster, "    certificate-authority: ", std::filesystem::absolute(ca_file).string(),
                    "\n");
  }
  std::string user = NodeUserName(node_name);
  std::string text = absl::StrCat(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: default-cluster\n  cluster:\n", cluster,
      "contexts:\n- name: default-context\n  context:\n    cluster: default-cluster\n    user: ", user,
      "\ncurrent-context: default-context\nusers:\n- name: ", user,
      "\n  user:\n    client-certificate: ", pem_path, "\n    client-key: ", pem_path, "\n");
  return base::WriteFileAtomically(path, text, 0600);
}

absl::StatusOr<NodeCertificate> RequestNodeCertificate(client::Client* client, const std::string& node_name,
                                                       absl::Duration timeout, absl::Duration poll,
                                                       const std::function<bool()>& cancelled) {
  absl::StatusOr<std::string> key = http::NewPrivateKeyPem();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> request =
      http::NewCertificateRequestPem(*key, NodeUserName(node_name), {kNodesGroup});
  if (!request.ok()) return request.status();
  // An ECDSA key signs but never enciphers: the kubelet asks for exactly these usages.
  json::value csr =
      json::object{{"apiVersion", "certificates.k8s.io/v1"},
                   {"kind", "CertificateSigningRequest"},
                   {"metadata", json::object{{"generateName", "node-csr-"}}},
                   {"spec", json::object{{"request", absl::Base64Escape(*request)},
                                         {"signerName", kKubeletClientSigner},
                                         {"usages", json::array{"digital signature", "client auth"}}}}};
  absl::StatusOr<client::Object> created = client->Create(Csrs(), "", std::move(csr));
  if (!created.ok()) return created.status();
  std::string name = base::GetString(**created, {"metadata", "name"});
  spdlog::info("requested a client certificate for node {}: CertificateSigningRequest {}", node_name, name);
  absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<client::Object> current = client->Get(Csrs(), "", name);
    if (current.ok()) {
      const json::value& obj = **current;
      for (const char* refusal : {"Denied", "Failed"}) {
        if (const json::value* c = Condition(obj, refusal)) {
          return absl::PermissionDeniedError(absl::StrCat("CertificateSigningRequest ", name, " ", refusal,
                                                          ": ", base::GetString(*c, {"reason"}), " ",
                                                          base::GetString(*c, {"message"})));
        }
      }
      std::string issued;
      if (absl::Base64Unescape(base::GetString(obj, {"status", "certificate"}), &issued) && !issued.empty()) {
        if (!http::KeyMatchesCertificate(*key, issued)) {
          return absl::InternalError(
              absl::StrCat("CertificateSigningRequest ", name, ": certificate for another key"));
        }
        return MakeNodeCertificate(*std::move(key), std::move(issued));
      }
    } else if (client::HttpCode(current.status()) == 404) {
      return absl::NotFoundError(absl::StrCat("CertificateSigningRequest ", name, " was deleted"));
    }
    if (absl::Now() >= give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no certificate issued for CertificateSigningRequest ", name, " within ",
          absl::FormatDuration(timeout), " (is it approved? kubectl certificate approve ", name, ")"));
    }
    if (cancelled && cancelled()) return absl::CancelledError("stopped waiting for a certificate");
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(poll));
  }
}

absl::Time RotationDeadline(absl::Time not_before, absl::Time not_after, double jitter) {
  absl::Duration lifetime = not_after - not_before;
  return not_before + lifetime * (0.7 + 0.2 * jitter);
}

}  // namespace skiff::agent::certificate
