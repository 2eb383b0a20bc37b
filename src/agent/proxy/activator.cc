#include "agent/proxy/activator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/resources.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::proxy {
namespace {

constexpr char kServiceUnavailable[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 47\r\n"
    "Connection: close\r\n\r\nno ready endpoint for this service in time (503)\n";

// The connection's close() (by its owner) then sends RST instead of FIN.
void ResetOnClose(int fd) {
  linger l{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A TCP connection to ip:port within `timeout`, or -1.
int ConnectWithin(const Backend& backend, absl::Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(backend.port));
  if (inet_pton(AF_INET, backend.ip.c_str(), &addr.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
  int err = 0;
  socklen_t len = sizeof(err);
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Copies both ways until both directions reached end of stream (or an error, or `stopping`).
void Splice(int a, int b, const std::atomic<bool>& stopping) {
  char buffer[64 * 1024];
  bool open[2] = {true, true};  // a->b, b->a
  const int from[2] = {a, b}, to[2] = {b, a};
  while ((open[0] || open[1]) && !stopping) {
    pollfd p[2];
    int n = 0, index[2];
    for (int i = 0; i < 2; ++i) {
      if (!open[i]) continue;
      p[n] = {.fd = from[i], .events = POLLIN, .revents = 0};
      index[n++] = i;
    }
    if (poll(p, n, 500) < 0 && errno != EINTR) return;
    for (int k = 0; k < n; ++k) {
      if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int i = index[k];
      ssize_t got = recv(from[i], buffer, sizeof(buffer), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got < 0) return;  // reset: end both directions
        open[i] = false;
        shutdown(to[i], SHUT_WR);
        continue;
      }
      if (!WriteAll(to[i], buffer, static_cast<size_t>(got))) return;
    }
  }
}

}  // namespace

bool LooksLikeHttp(absl::string_view prefix) {
  static constexpr const char* kMethods[] = {"GET ",  "HEAD ",    "POST ",    "PUT ",  "DELETE ",
                                             "PATCH ", "OPTIONS ", "CONNECT ", "TRACE "};
  for (const char* method : kMethods) {
    if (absl::StartsWith(prefix, method)) return true;
  }
  return false;
}

struct Activator::Connection {
  int fd = -1;  // the client's; closed (and set to -1) by the connection's thread under mu_
  std::thread thread;
  std::atomic<bool> done{false};
};

Activator::Activator(client::Client* client, ActivationTable* table, ActivatorOptions options)
    : client_(client), table_(table), options_(std::move(options)) {}

Activator::~Activator() { Stop(); }

absl::Status Activator::Start() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("activator socket: ", strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options_.port));
  if (inet_pton(AF_INET, options_.listen_address.c_str(), &addr.sin_addr) != 1) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("activator address ", options_.listen_address));
  }
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("activator listener on ", options_.listen_address, ":", options_.port, ": ", error));
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  stopping_ = false;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("activator: listening on {}:{}", options_.listen_address, port_);
  return absl::OkStatus();
}

void Activator::Stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  if (accept_thread_.joinable()) accept_thread_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mu_);
    for (auto& c : connections_) {
      if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR);
    }
    connections.swap(connections_);
  }
  table_->Close();  // wakes the held connections (splicing ones see their sockets shut down)
  for (auto& c : connections) {
    if (c->thread.joinable()) c->thread.join();
  }
}

ActivatorStats Activator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Activator::Reap() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void Activator::AcceptLoop() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (!stopping_) spdlog::warn("activator: accept: {}", strerror(errno));
      return;
    }
    Reap();
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* c = connection.get();
    {
      std::lock_guard lock(mu_);
      ++stats_.accepted;
      connections_.push_back(std::move(connection));
    }
    c->thread = std::thread([this, c] {
      Serve(c);
      // Closed under the lock, so that Stop never shuts down a descriptor number reused since.
      std::lock_guard lock(mu_);
      close(c->fd);
      c->fd = -1;
      c->done = true;
    });
  }
}

void Activator::Serve(Connection* connection) {
  const int fd = connection->fd;
  sockaddr_in original{};
  socklen_t len = sizeof(original);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &original, &len) != 0) {
    ResetOnClose(fd);
    std::lock_guard lock(mu_);
    ++stats_.rejected;
    return;
  }
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &original.sin_addr, ip, sizeof(ip));
  const int port = ntohs(original.sin_port);
  std::optional<ActivationTable::Match> match = table_->Resolve(ip, port);
  {
    std::lock_guard lock(mu_);
    if (!match || stats_.held >= options_.max_held) {
      ++stats_.rejected;
      if (!match) spdlog::warn("activator: no service scaled to zero answers {}:{}", ip, port);
      ResetOnClose(fd);
      return;
    }
    ++stats_.held;
  }
  const absl::Time accepted = absl::Now();
  const absl::Time deadline = accepted + options_.timeout;
  const bool first = BeginActivation(match->key);
  absl::Time scaled = accepted;
  if (first) {
    if (absl::Status s = ScaleFromZero(match->ns, match->target); !s.ok()) {
      spdlog::warn("activator: scaling {} {}/{} from zero for service {}: {}", match->target.kind, match->ns,
                   match->target.name, match->key, s.ToString());
    }
    scaled = absl::Now();
  }
  std::vector<Backend> backends;
  int backend_fd = -1;
  while (backend_fd < 0 && !stopping_) {
    backends = table_->WaitForBackends(match->key, match->port_name, deadline);
    if (backends.empty()) break;
    if (first && scaled != absl::InfinitePast()) {
      // The phases of a cold start as the activator sees them (bench/coldstart_bench reads this).
      spdlog::info("activator: {} activated: scale written after {} ms, endpoint programmed after {} ms",
                   match->key, absl::ToInt64Milliseconds(scaled - accepted),
                   absl::ToInt64Milliseconds(absl::Now() - accepted));
      scaled = absl::InfinitePast();  // once
    }
    // Spread the held connections over the endpoints.
    static std::atomic<uint64_t> next{0};
    const size_t start = next++ % backends.size();
    for (size_t i = 0; i < backends.size() && backend_fd < 0; ++i) {
      backend_fd = ConnectWithin(backends[(start + i) % backends.size()], options_.connect_timeout);
    }
    if (backend_fd < 0) {
      // Programmed but not accepting yet: try again shortly, within the deadline.
      if (absl::Now() + absl::Milliseconds(50) >= deadline) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  if (first) EndActivation(match->key);
  {
    std::lock_guard lock(mu_);
    --stats_.held;
    ++(backend_fd >= 0 ? stats_.spliced : stats_.timed_out);
  }
  if (backend_fd < 0) {
    char prefix[16];
    const ssize_t got = recv(fd, prefix, sizeof(prefix), MSG_PEEK | MSG_DONTWAIT);
    if (got > 0 && LooksLikeHttp(absl::string_view(prefix, static_cast<size_t>(got)))) {
      WriteAll(fd, kServiceUnavailable, sizeof(kServiceUnavailable) - 1);
      shutdown(fd, SHUT_WR);
    } else {
      ResetOnClose(fd);
    }
    spdlog::warn("activator: no endpoint of {} port {} within {}", match->key, match->port_name,
                 absl::FormatDuration(options_.timeout));
    return;
  }
  Splice(fd, backend_fd, stopping_);
  close(backend_fd);
}

bool Activator::BeginActivation(const std::string& key) {
  std::lock_guard lock(mu_);
  return activating_.insert(key).second;
}

void Activator::EndActivation(const std::string& key) {
  std::lock_guard lock(mu_);
  activating_.erase(key);
}

absl::Status Activator::ScaleFromZero(const std::string& ns, const ScaleTarget& target) {
  const api::ResourceInfo* resource = api::FindResourceByApiVersionKind(target.api_version, target.kind);
  if (resource == nullptr) {
    return absl::NotFoundError(absl::StrCat("no resource for ", target.api_version, " ", target.kind));
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<client::Object> current = client_->Get(*resource, ns, target.name);
    if (!current.ok()) return current.status();
    if (base::GetInt(**current, {"spec", "replicas"}, 1) > 0) return absl::OkStatus();
    boost::json::object metadata{{"name", target.name},
                                 {"namespace", ns},
                                 {"resourceVersion", base::GetString(**current, {"metadata", "resourceVersion"})}};
    boost::json::value scale = boost::json::object{{"apiVersion", "autoscaling/v1"},
                                                   {"kind", "Scale"},
                                                   {"metadata", std::move(metadata)},
                                                   {"spec", boost::json::object{{"replicas", 1}}}};
    absl::StatusOr<client::Object> written = client_->Update(*resource, ns, std::move(scale), "scale");
    if (written.ok()) {
      std::lock_guard lock(mu_);
      ++stats_.scale_writes;
      spdlog::info("activator: scaled {} {}/{} from 0 to 1", target.kind, ns, target.name);
      return absl::OkStatus();
    }
    if (client::HttpCode(written.status()) != 409) return written.status();  // else re-read and retry
  }
  return absl::AbortedError("the scale kept changing under the activator");
}

}  // namespace skiff::agent::proxy
