#include "agent/certificate/certificate_rotator.h"

#include <random>
#include <utility>

#include "spdlog/spdlog.h"

namespace skiff::agent::certificate {
namespace {

double RandomJitter() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

CertificateRotator::CertificateRotator(client::Client* client, RotatorOptions options,
                                       NodeCertificate current, Install install)
    : client_(client), options_(std::move(options)), install_(std::move(install)) {
  if (!options_.clock) options_.clock = &base::RealClock();
  if (!options_.jitter) options_.jitter = RandomJitter;
  SetCurrent(std::move(current));
}

CertificateRotator::~CertificateRotator() { Stop(); }

void CertificateRotator::SetCurrent(NodeCertificate certificate) {
  current_ = std::move(certificate);
  deadline_ = RotationDeadline(current_.not_before, current_.not_after, options_.jitter());
}

absl::Time CertificateRotator::deadline() const { return deadline_; }

absl::StatusOr<bool> CertificateRotator::RotateIfDue() {
  if (options_.clock->Now() < deadline_) return false;
  spdlog::info("client certificate of node {} expires {}: renewing", options_.node_name,
               absl::FormatTime(current_.not_after));
  absl::StatusOr<NodeCertificate> renewed =
      RequestNodeCertificate(client_, options_.node_name, options_.request_timeout, absl::Seconds(1), [this] {
        std::lock_guard lock(mu_);
        return stopping_;
      });
  if (!renewed.ok()) return renewed.status();
  if (absl::Status st = StoreNodeCertificate(options_.pem_path, *renewed); !st.ok()) return st;
  if (absl::Status st = install_(*renewed); !st.ok()) return st;
  SetCurrent(*std::move(renewed));
  spdlog::info("node {} switched to a client certificate valid until {}", options_.node_name,
               absl::FormatTime(current_.not_after));
  return true;
}

void CertificateRotator::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void CertificateRotator::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertificateRotator::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.check_interval),
                       [this] { return stopping_; })) {
    lock.unlock();
    absl::StatusOr<bool> rotated = RotateIfDue();
    if (!rotated.ok())
      spdlog::warn("renewing the node's client certificate: {}", rotated.status().ToString());
    lock.lock();
  }
}

}  // namespace skiff::agent::certificate
