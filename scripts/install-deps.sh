#!/usr/bin/env bash
# Installs the Debian 12 packages skiff needs to build, run and test. Idempotent: installs only
# what is missing. kubectl is not a Debian package; the end-to-end tests need it on PATH.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libabsl-dev libssl-dev libsqlite3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev
  libjemalloc-dev python3 python3-pytest python3-kubernetes python3-yaml
  # CEL validation rules: matches() and schema patterns (RE2 syntax)
  libre2-dev
  # node agent: gRPC for CRI, the container runtime, CNI plugins, service proxy, DNS
  libgrpc++-dev protobuf-compiler-grpc libldns-dev libnftables-dev
  containerd runc containernetworking-plugins nftables iproute2
  # test images and tools: busybox for test containers, OCI tooling, dig
  busybox-static umoci skopeo dnsutils
  # bench/wrk_create_bench: creates from an outside HTTP load tool
  wrk
  # the etcd store backend and its tests (3.4 on Debian 12); tests start their own on free ports
  etcd-server etcd-client
  # the ingress data plane (the agent supervises its own haproxy) and the ingress bench's load tool
  haproxy wrk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's etcd-server starts a system etcd (unauthenticated, on 127.0.0.1:2379) that skiff does not
# use: when this script is what installed it, stop it and keep it from starting at boot. An etcd the
# machine already had is left alone.
if [[ " ${missing[*]:-} " == *" etcd-server "* ]] && command -v systemctl >/dev/null &&
   systemctl list-unit-files etcd.service >/dev/null 2>&1; then
  ${sudo_cmd:-} systemctl disable --now etcd.service || true
fi
# Likewise Debian's haproxy starts a system haproxy on its sample config; skiff's agent runs its own.
if [[ " ${missing[*]:-} " == *" haproxy "* ]] && command -v systemctl >/dev/null &&
   systemctl list-unit-files haproxy.service >/dev/null 2>&1; then
  ${sudo_cmd:-} systemctl disable --now haproxy.service || true
fi
