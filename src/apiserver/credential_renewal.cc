#include "apiserver/credential_renewal.h"

#include <utility>

#include "apiserver/kubeconfig.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

// Fingerprint of the certificate file, "" when unreadable (then it counts as changed).
std::string Fingerprint(const std::string& path) {
  absl::StatusOr<http::X509Ptr> cert = http::LoadCertificate(path);
  if (!cert.ok()) return "";
  return http::CertificateFingerprint(cert->get()).value_or("");
}

}  // namespace

CredentialRenewal::CredentialRenewal(CredentialRenewalOptions options, http::HttpServer* server)
    : options_(std::move(options)), server_(server) {}

CredentialRenewal::~CredentialRenewal() { Stop(); }

absl::StatusOr<bool> CredentialRenewal::RenewNow() {
  std::string serving = http::PkiPathsFor(options_.data_dir).server_cert;
  std::string before = Fingerprint(serving);
  absl::StatusOr<ServerCredentials> creds =
      EnsureServerCredentials(options_.data_dir, options_.server_url, options_.pki);
  if (!creds.ok()) return creds.status();
  if (Fingerprint(serving) == before && !before.empty()) return false;
  if (absl::Status st = server_->ReloadCertificate(); !st.ok()) return st;
  spdlog::info("serving the renewed certificate {}", serving);
  return true;
}

void CredentialRenewal::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval), [this] { return stopping_; })) {
      lock.unlock();
      if (absl::StatusOr<bool> renewed = RenewNow(); !renewed.ok()) {
        spdlog::warn("renewing the server's certificates: {}", renewed.status().ToString());
      }
      lock.lock();
    }
  });
}

void CredentialRenewal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace skiff::apiserver
