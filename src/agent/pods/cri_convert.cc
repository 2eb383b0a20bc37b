#include "agent/pods/cri_convert.h"

namespace skiff::agent::pods {

absl::Time FromUnixNanos(int64_t nanos) {
  return nanos == 0 ? absl::InfinitePast() : absl::FromUnixNanos(nanos);
}

ContainerRunState FromCri(cri::v1::ContainerState state) {
  switch (state) {
    case cri::v1::CONTAINER_CREATED:
      return ContainerRunState::kCreated;
    case cri::v1::CONTAINER_RUNNING:
      return ContainerRunState::kRunning;
    case cri::v1::CONTAINER_EXITED:
      return ContainerRunState::kExited;
    default:
      return ContainerRunState::kUnknown;
  }
}

ContainerInstance FromCri(const cri::v1::Container& c) {
  ContainerInstance out;
  out.id = c.id();
  out.sandbox_id = c.pod_sandbox_id();
  auto label = c.labels().find(kContainerNameLabel);
  out.name = label != c.labels().end() ? label->second : c.metadata().name();
  out.attempt = c.metadata().attempt();
  out.state = FromCri(c.state());
  out.created_at = FromUnixNanos(c.created_at());
  out.image = c.image().image();
  out.image_ref = c.image_ref();
  return out;
}

void MergeStatus(const cri::v1::ContainerStatus& s, ContainerInstance* c) {
  c->state = FromCri(s.state());
  if (s.created_at()) c->created_at = FromUnixNanos(s.created_at());
  c->started_at = FromUnixNanos(s.started_at());
  c->finished_at = FromUnixNanos(s.finished_at());
  c->exit_code = s.exit_code();
  c->reason = s.reason();
  c->message = s.message();
  if (!s.image().image().empty()) c->image = s.image().image();
  if (!s.image_ref().empty()) c->image_ref = s.image_ref();
}

SandboxInstance FromCri(const cri::v1::PodSandbox& s) {
  SandboxInstance out;
  out.id = s.id();
  out.attempt = s.metadata().attempt();
  out.ready = s.state() == cri::v1::SANDBOX_READY;
  out.created_at = FromUnixNanos(s.created_at());
  return out;
}

std::vector<std::string> SandboxIps(const cri::v1::PodSandboxStatus& status) {
  std::vector<std::string> ips;
  if (!status.network().ip().empty()) ips.push_back(status.network().ip());
  for (const auto& ip : status.network().additional_ips()) {
    if (!ip.ip().empty()) ips.push_back(ip.ip());
  }
  return ips;
}

}  // namespace skiff::agent::pods
