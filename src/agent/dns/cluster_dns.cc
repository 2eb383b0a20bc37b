#include "agent/dns/cluster_dns.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/dns/forwarder.h"
#include "agent/dns/message.h"
#include "agent/dns/query_handler.h"
#include "agent/dns/records.h"
#include "agent/dns/upstreams.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ip/v6_only.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"
#include "client/informer.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr int kBatch = 64;              // datagrams per recvmmsg/sendmmsg
constexpr size_t kMaxQuery = 4096;      // larger UDP queries are dropped
constexpr int kSocketBuffer = 4 << 20;  // absorbs bursts while a batch is answered

absl::Status ErrnoStatus(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Fills a sockaddr for ip:port; false when `ip` is not numeric.
bool ToSockaddr(const HostPort& hp, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(hp.ip, ec);
  if (ec) return false;
  udp::endpoint ep(address, hp.port);
  std::memcpy(ss, ep.data(), ep.size());
  *len = static_cast<socklen_t>(ep.size());
  return true;
}

}  // namespace

class ClusterDns::Impl {
 public:
  Impl(client::SharedInformers* informers, ClusterDnsOptions options)
      : services_(&informers->For(client::Resource("", "v1", "services"))),
        slices_(&informers->For(client::Resource("discovery.k8s.io", "v1", "endpointslices"))),
        options_(std::move(options)),
        handler_(options_.cluster_domain, options_.cache_entries) {}

  ~Impl() { Stop(); }

  absl::Status Start() {
    if (started_) return absl::FailedPreconditionError("cluster DNS already started");
    started_ = true;
    for (const std::string& text : options_.listen) {
      absl::StatusOr<HostPort> hp = ParseHostPort(text, 53);
      if (!hp.ok()) return hp.status();
      listen_.push_back(*hp);
    }
    if (listen_.empty()) return absl::InvalidArgumentError("cluster DNS needs a listen address");
    absl::StatusOr<std::vector<HostPort>> upstreams =
        ChooseUpstreams(options_.upstreams, options_.resolv_conf, listen_);
    if (!upstreams.ok()) return upstreams.status();
    std::vector<udp::endpoint> endpoints;
    for (const HostPort& hp : *upstreams) {
      boost::system::error_code ec;
      asio::ip::address address = asio::ip::make_address(hp.ip, ec);
      if (!ec) endpoints.emplace_back(address, hp.port);
    }
    if (endpoints.empty())
      spdlog::warn("cluster DNS: no upstream nameservers; names outside the cluster fail");
    forwarder_ =
        std::make_unique<Forwarder>(io_.get_executor(), std::move(endpoints), options_.forward_timeout);

    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return ErrnoStatus("eventfd");
    for (const HostPort& hp : listen_) {
      absl::Status s = Bind(hp);
      if (!s.ok()) {
        CloseSockets();
        return s;
      }
    }

    client::InformerHandlers handlers;
    handlers.on_add = [this](const client::Object&) { MarkDirty(); };
    handlers.on_update = [this](const client::Object&, const client::Object&) { MarkDirty(); };
    handlers.on_delete = [this](const client::Object&) { MarkDirty(); };
    service_handlers_ = services_->AddHandlers(handlers);
    slice_handlers_ = slices_->AddHandlers(handlers);
    services_->Start();  // no-ops when the set's owner started them
    slices_->Start();

    rebuild_thread_ = std::thread([this] { RebuildLoop(); });
    for (auto& tcp : acceptors_) {
      asio::co_spawn(io_, Accept(tcp.get()), [](std::exception_ptr e) { LogException(e, "accept"); });
    }
    work_.emplace(io_.get_executor());
    io_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "dns-io");
      io_.run();
    });
    for (auto& s : udp_) {
      UdpSocket* socket = s.get();
      socket->thread = std::thread([this, socket] { UdpLoop(socket); });
    }
    spdlog::info("cluster DNS: serving {} on {} ({} upstreams)", options_.cluster_domain,
                 absl::StrJoin(options_.listen, ","), upstreams->size());
    return absl::OkStatus();
  }

  void Stop() {
    services_->RemoveHandlers(service_handlers_);
    slices_->RemoveHandlers(slice_handlers_);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (rebuild_thread_.joinable()) rebuild_thread_.join();
    if (wake_fd_ >= 0) {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
    }
    for (auto& s : udp_) {
      if (s->thread.joinable()) s->thread.join();
    }
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    CloseSockets();
  }

  bool WaitForSync(absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return generation_ > 0; });
  }

  uint64_t generation() const {
    std::lock_guard lock(mu_);
    return generation_;
  }

  std::vector<int> udp_ports() const {
    std::vector<int> out;
    for (const auto& s : udp_) out.push_back(s->port);
    return out;
  }
  std::vector<int> tcp_ports() const { return tcp_ports_; }

 private:
  struct UdpSocket {
    int fd = -1;
    int port = 0;
    std::thread thread;
  };

  static void LogException(std::exception_ptr e, const char* what) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::warn("cluster DNS: {}: {}", what, ex.what());
    } catch (...) {
      spdlog::warn("cluster DNS: {}: unknown error", what);
    }
  }

  // UDP first, then TCP on the same port. When the kernel picks the port (port 0) and that TCP port
  // is taken, both are tried again on a new port, so clients can always use one port for both.
  absl::Status Bind(const HostPort& hp) {
    absl::Status s;
    for (int attempt = 0; attempt < 32; ++attempt) {
      s = BindOnce(hp);
      if (s.ok() || hp.port != 0 || !absl::IsAlreadyExists(s)) return s;
    }
    return s;
  }

  absl::Status BindOnce(const HostPort& hp) {
    sockaddr_storage ss;
    socklen_t len = 0;
    if (!ToSockaddr(hp, &ss, &len))
      return absl::InvalidArgumentError(absl::StrCat("bad listen address ", hp.ip));
    auto socket = std::make_unique<UdpSocket>();
    socket->fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (socket->fd < 0) return ErrnoStatus("udp socket");
    int on = 1;
    if (ss.ss_family == AF_INET6) setsockopt(socket->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    setsockopt(socket->fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof(kSocketBuffer));
    setsockopt(socket->fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof(kSocketBuffer));
    if (bind(socket->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      absl::Status s = ErrnoStatus(absl::StrCat("bind udp ", hp.ip, ":", hp.port));
      close(socket->fd);
      return s;
    }
    sockaddr_storage bound;
    socklen_t bound_len = sizeof(bound);
    getsockname(socket->fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    socket->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                     : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    int udp_port = socket->port;
    udp_.push_back(std::move(socket));

    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(hp.ip, ec);
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    tcp::endpoint ep(address, static_cast<uint16_t>(udp_port));
    acceptor->open(ep.protocol(), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("tcp socket: ", ec.message()));
    acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (address.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      auto udp = std::move(udp_.back());
      udp_.pop_back();
      close(udp->fd);
      std::string what = absl::StrCat("bind tcp ", hp.ip, ":", udp_port, ": ", ec.message());
      // Taken by someone else: a kernel-chosen port is worth another try (see Bind).
      return ec == boost::system::errc::address_in_use ? absl::AlreadyExistsError(what)
                                                       : absl::UnavailableError(what);
    }
    tcp_ports_.push_back(acceptor->local_endpoint().port());
    acceptors_.push_back(std::move(acceptor));
    return absl::OkStatus();
  }

  void CloseSockets() {
    for (auto& s : udp_) {
      if (s->fd >= 0) close(s->fd);
      s->fd = -1;
    }
    boost::system::error_code ec;
    for (auto& a : acceptors_) a->close(ec);
    if (wake_fd_ >= 0) close(wake_fd_);
    wake_fd_ = -1;
  }

  void MarkDirty() {
    {
      std::lock_guard lock(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  }

  // Rebuilds the table after changes; events during a build coalesce into the next one.
  void RebuildLoop() {
    pthread_setname_np(pthread_self(), "dns-rebuild");
    std::vector<std::string> ns_ips;
    for (const HostPort& hp : listen_) ns_ips.push_back(hp.ip);
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_ || dirty_; });
        if (stopping_) return;
        if (!dirty_ || !services_->HasSynced() || !slices_->HasSynced()) continue;
        dirty_ = false;
      }
      RecordTable::Config config;
      config.domain = options_.cluster_domain;
      config.ttl = options_.ttl;
      config.serial = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
      config.nameserver_ips = ns_ips;
      handler_.SetTable(std::make_shared<const RecordTable>(config, services_->List(), slices_->List()));
      {
        std::lock_guard lock(mu_);
        ++generation_;
      }
      cv_.notify_all();
    }
  }

  void UdpLoop(UdpSocket* socket) {
    pthread_setname_np(pthread_self(), "dns-udp");  // names show in top and bench CPU figures
    const int fd = socket->fd;
    std::vector<std::array<char, kMaxQuery>> buffers(kBatch);
    std::array<mmsghdr, kBatch> in{};
    std::array<iovec, kBatch> in_iov{};
    std::array<sockaddr_storage, kBatch> peers{};
    std::array<mmsghdr, kBatch> out{};
    std::array<iovec, kBatch> out_iov{};
    std::vector<std::string> replies(kBatch);
    ParsedQuery query;
    Answer answer;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0 && errno != EINTR) {
        spdlog::error("cluster DNS: poll: {}", std::strerror(errno));
        return;
      }
      if (fds[1].revents) return;
      for (;;) {
        for (int i = 0; i < kBatch; ++i) {
          in_iov[i] = {buffers[i].data(), kMaxQuery};
          in[i].msg_hdr = {};
          in[i].msg_hdr.msg_name = &peers[i];
          in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
          in[i].msg_hdr.msg_iov = &in_iov[i];
          in[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        int m = 0;
        for (int i = 0; i < n; ++i) {
          if (in[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
          std::string_view packet(buffers[i].data(), in[i].msg_len);
          switch (handler_.Handle(packet, false, &query, &replies[m], &answer)) {
            case QueryHandler::Disposition::kDrop:
              continue;
            case QueryHandler::Disposition::kReply:
              out_iov[m] = {replies[m].data(), replies[m].size()};
              out[m].msg_hdr = {};
              out[m].msg_hdr.msg_name = &peers[i];
              out[m].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
              out[m].msg_hdr.msg_iov = &out_iov[m];
              out[m].msg_hdr.msg_iovlen = 1;
              ++m;
              break;
            case QueryHandler::Disposition::kForward:
              answer = Answer{};
              [[fallthrough]];
            case QueryHandler::Disposition::kChase:
              SpawnUdpUpstream(fd, std::string(packet), peers[i], in[i].msg_hdr.msg_namelen,
                               std::move(answer));
              answer = Answer{};
              break;
          }
        }
        for (int sent = 0; sent < m;) {
          int k = sendmmsg(fd, out.data() + sent, m - sent, 0);
          if (k <= 0) break;  // the client's problem (e.g. unreachable); UDP has no retry
          sent += k;
        }
        if (n < kBatch) break;
      }
    }
  }

  void SpawnUdpUpstream(int fd, std::string packet, sockaddr_storage peer, socklen_t peer_len,
                        Answer answer) {
    asio::co_spawn(io_, UdpUpstream(fd, std::move(packet), peer, peer_len, std::move(answer)),
                   [](std::exception_ptr e) { LogException(e, "forward"); });
  }

  asio::awaitable<void> UdpUpstream(int fd, std::string packet, sockaddr_storage peer, socklen_t peer_len,
                                    Answer answer) {
    std::string reply = co_await Upstream(&packet, false, &answer);
    if (!reply.empty()) {
      sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&peer), peer_len);
    }
  }

  // The reply for a query that needs the upstreams: relayed, or our CNAME completed by them.
  // Pointer parameters (owned by the awaiting frame): GCC 12 destroys temporaries passed by
  // value to a coroutine inside a co_await expression twice.
  asio::awaitable<std::string> Upstream(const std::string* packet_in, bool tcp, const Answer* answer_in) {
    const std::string& packet = *packet_in;
    const Answer& answer = *answer_in;
    ParsedQuery q;
    if (ParseQuery(packet, &q) != ParseStatus::kOk) co_return "";
    const size_t limit = tcp ? kMaxTcpMessage : q.udp_limit();
    if (forwards_.load() >= options_.max_concurrent_forwards) {
      co_return BuildErrorReply(packet, q, static_cast<int>(Rcode::kRefused));
    }
    ++forwards_;
    struct Release {
      std::atomic<size_t>* n;
      ~Release() { --*n; }
    } release{&forwards_};
    if (!answer.chase.empty()) {
      std::string query = BuildQuery(0, answer.chase, q.qtype);
      absl::StatusOr<std::string> upstream = absl::InvalidArgumentError("bad CNAME target");
      if (!query.empty()) upstream = co_await forwarder_->Resolve(query, tcp);
      std::string reply =
          upstream.ok() ? BuildChasedReply(q, answer, *upstream, limit) : BuildAnswerReply(q, answer, limit);
      if (reply.empty()) co_return BuildErrorReply(packet, q, static_cast<int>(Rcode::kServFail));
      PatchReply(q, reply.data(), reply.size());
      co_return reply;
    }
    absl::StatusOr<std::string> reply = co_await forwarder_->Resolve(packet, tcp);
    if (!reply.ok()) co_return BuildErrorReply(packet, q, static_cast<int>(Rcode::kServFail));
    if (reply->size() > limit) co_return TruncateRelayed(*reply, q);
    co_return std::move(*reply);
  }

  asio::awaitable<void> Accept(tcp::acceptor* acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(kNoThrow);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {  // e.g. EMFILE: back off instead of spinning
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      if (tcp_connections_ >= options_.max_tcp_connections) continue;  // the socket closes here
      ++tcp_connections_;
      asio::co_spawn(io_, ServeTcp(std::move(socket)), [this](std::exception_ptr e) {
        --tcp_connections_;
        LogException(e, "tcp");
      });
    }
  }

  // RFC 7766: length-prefixed messages, answered in order, until the client goes quiet.
  asio::awaitable<void> ServeTcp(tcp::socket socket) {
    const auto idle = absl::ToChronoNanoseconds(options_.tcp_idle_timeout);
    asio::steady_timer timer(io_);
    ParsedQuery query;
    Answer answer;
    std::string reply;
    for (;;) {
      std::array<uint8_t, 2> len{};
      timer.expires_after(idle);
      auto got_len =
          co_await (asio::async_read(socket, asio::buffer(len), kNoThrow) || timer.async_wait(kNoThrow));
      if (got_len.index() == 1 || std::get<0>(std::get<0>(got_len))) co_return;
      std::string packet((len[0] << 8) | len[1], '\0');
      timer.expires_after(idle);
      auto got =
          co_await (asio::async_read(socket, asio::buffer(packet), kNoThrow) || timer.async_wait(kNoThrow));
      if (got.index() == 1 || std::get<0>(std::get<0>(got))) co_return;
      switch (handler_.Handle(packet, true, &query, &reply, &answer)) {
        case QueryHandler::Disposition::kDrop:
          co_return;
        case QueryHandler::Disposition::kReply:
          break;
        case QueryHandler::Disposition::kForward:
          answer = Answer{};
          reply = co_await Upstream(&packet, true, &answer);
          break;
        case QueryHandler::Disposition::kChase:
          reply = co_await Upstream(&packet, true, &answer);
          break;
      }
      if (reply.empty()) co_return;
      std::string framed(2, '\0');
      framed[0] = static_cast<char>(reply.size() >> 8);
      framed[1] = static_cast<char>(reply.size() & 0xff);
      framed += reply;
      timer.expires_after(idle);
      auto wrote =
          co_await (asio::async_write(socket, asio::buffer(framed), kNoThrow) || timer.async_wait(kNoThrow));
      if (wrote.index() == 1 || std::get<0>(std::get<0>(wrote))) co_return;
    }
  }

  client::Informer* services_;
  client::Informer* slices_;
  client::Informer::HandlerId service_handlers_ = 0;
  client::Informer::HandlerId slice_handlers_ = 0;
  ClusterDnsOptions options_;
  QueryHandler handler_;
  bool started_ = false;
  std::vector<HostPort> listen_;
  // The io_context outlives everything its pending coroutines reference.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<int> tcp_ports_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  int wake_fd_ = -1;
  std::thread io_thread_;
  std::thread rebuild_thread_;
  std::atomic<size_t> forwards_{0};
  size_t tcp_connections_ = 0;  // only touched on the io thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = true;
  bool stopping_ = false;
  uint64_t generation_ = 0;
};

ClusterDns::ClusterDns(client::SharedInformers* informers, ClusterDnsOptions options)
    : impl_(std::make_unique<Impl>(informers, std::move(options))) {}
ClusterDns::~ClusterDns() = default;
absl::Status ClusterDns::Start() { return impl_->Start(); }
void ClusterDns::Stop() { impl_->Stop(); }
bool ClusterDns::WaitForSync(absl::Duration timeout) { return impl_->WaitForSync(timeout); }
uint64_t ClusterDns::generation() const { return impl_->generation(); }
std::vector<int> ClusterDns::udp_ports() const { return impl_->udp_ports(); }
std::vector<int> ClusterDns::tcp_ports() const { return impl_->tcp_ports(); }

}  // namespace skiff::agent::dns
