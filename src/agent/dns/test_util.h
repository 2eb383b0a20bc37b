// Test helpers for the cluster DNS tests (header-only, not part of the library): build queries
// and read replies with ldns, exchange them with a server over real loopback sockets, and a fake
// upstream nameserver that answers from a callback over UDP and TCP.
//
// Thread-safety: the free functions are reentrant; FakeUpstream serves from its own thread and
// its counters are atomic. Ownership: FakeUpstream owns its sockets and thread (joined by the
// destructor). Failure: helpers return empty strings / rcode -1 instead of failing, and the tests
// assert on that.
#ifndef SKIFF_AGENT_DNS_TEST_UTIL_H_
#define SKIFF_AGENT_DNS_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "agent/dns/ldns.h"

namespace skiff::agent::dns::testing {

// A query for name/type; `edns_size` > 0 adds an OPT record advertising it.
inline std::string MakeQuery(const std::string& name, uint16_t type, uint16_t id = 4242, int edns_size = 0,
                             uint16_t klass = LDNS_RR_CLASS_IN) {
  ldns_pkt* pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), static_cast<ldns_rr_type>(type),
                                     static_cast<ldns_rr_class>(klass), LDNS_RD);
  if (!pkt) return "";
  ldns_pkt_set_id(pkt, id);
  if (edns_size > 0) ldns_pkt_set_edns_udp_size(pkt, static_cast<uint16_t>(edns_size));
  uint8_t* wire = nullptr;
  size_t size = 0;
  std::string out;
  if (ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK) out.assign(reinterpret_cast<char*>(wire), size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

inline std::string RrText(const ldns_rr* rr) {
  std::string out;
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  char* type = ldns_rr_type2str(ldns_rr_get_type(rr));
  out = std::string(owner) + " " + type;
  free(owner);
  free(type);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    char* rd = ldns_rdf2str(ldns_rr_rdf(rr, i));
    out += std::string(" ") + rd;
    free(rd);
  }
  return out;
}

// A reply, with records as "owner TYPE rdata..." (absolute names, no TTL).
struct Reply {
  int rcode = -1;  // -1: did not parse
  uint16_t id = 0;
  bool tc = false, aa = false, rd = false, ra = false, edns = false;
  size_t size = 0;
  std::string qname;
  std::vector<std::string> answer, authority, additional;
  std::vector<uint32_t> ttls;  // of every record, all sections
};

inline Reply ParseReply(const std::string& wire) {
  Reply r;
  r.size = wire.size();
  ldns_pkt* pkt = nullptr;
  if (wire.empty() ||
      ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()) != LDNS_STATUS_OK) {
    return r;
  }
  r.rcode = ldns_pkt_get_rcode(pkt);
  r.id = ldns_pkt_id(pkt);
  r.tc = ldns_pkt_tc(pkt);
  r.aa = ldns_pkt_aa(pkt);
  r.rd = ldns_pkt_rd(pkt);
  r.ra = ldns_pkt_ra(pkt);
  r.edns = ldns_pkt_edns(pkt);
  if (ldns_pkt_qdcount(pkt) > 0) {
    char* q = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
    r.qname = q;
    free(q);
  }
  auto collect = [&](ldns_rr_list* list, std::vector<std::string>* out) {
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
      out->push_back(RrText(ldns_rr_list_rr(list, i)));
      r.ttls.push_back(ldns_rr_ttl(ldns_rr_list_rr(list, i)));
    }
  };
  collect(ldns_pkt_answer(pkt), &r.answer);
  collect(ldns_pkt_authority(pkt), &r.authority);
  collect(ldns_pkt_additional(pkt), &r.additional);
  ldns_pkt_free(pkt);
  return r;
}

inline sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Sends one datagram and waits for one reply ("" on timeout).
inline std::string UdpExchange(int port, const std::string& query, int timeout_ms = 3000) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = Loopback(port);
  sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  pollfd p{fd, POLLIN, 0};
  std::string out;
  if (poll(&p, 1, timeout_ms) == 1) {
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

inline bool ReadFull(int fd, char* buf, size_t n) {
  while (n > 0) {
    ssize_t got = read(fd, buf, n);
    if (got <= 0) return false;
    buf += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// Sends every query on one TCP connection (all written first: pipelined), then reads one reply
// per query; missing replies are "".
inline std::vector<std::string> TcpExchange(int port, const std::vector<std::string>& queries) {
  std::vector<std::string> replies(queries.size());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(port);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string out;
    for (const std::string& q : queries) {
      out.push_back(static_cast<char>(q.size() >> 8));
      out.push_back(static_cast<char>(q.size() & 0xff));
      out += q;
    }
    if (write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size())) {
      for (std::string& reply : replies) {
        unsigned char len[2];
        if (!ReadFull(fd, reinterpret_cast<char*>(len), 2)) break;
        reply.resize((len[0] << 8) | len[1]);
        if (!ReadFull(fd, reply.data(), reply.size())) break;
      }
    }
  }
  close(fd);
  return replies;
}

// A nameserver on 127.0.0.1 (UDP and TCP on the same port) answering with `respond(query, tcp)`;
// an empty reply means "stay silent".
class FakeUpstream {
 public:
  using Responder = std::function<std::string(const std::string& query, bool tcp)>;

  explicit FakeUpstream(Responder respond) : respond_(std::move(respond)) {
    udp_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr = Loopback(0);
    bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    tcp_ = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    addr = Loopback(port_);
    bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(tcp_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
    close(udp_);
    close(tcp_);
  }

  int port() const { return port_; }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }

  // A reply to `query` (same ID and question) with the given records in text form.
  static std::string Answer(const std::string& query, const std::vector<std::string>& rrs, bool tc = false,
                            int rcode = 0) {
    ldns_pkt* q = nullptr;
    if (ldns_wire2pkt(&q, reinterpret_cast<const uint8_t*>(query.data()), query.size()) != LDNS_STATUS_OK) {
      return "";
    }
    ldns_pkt* r = ldns_pkt_new();
    ldns_pkt_set_id(r, ldns_pkt_id(q));
    ldns_pkt_set_qr(r, true);
    ldns_pkt_set_rd(r, ldns_pkt_rd(q));
    ldns_pkt_set_ra(r, true);
    ldns_pkt_set_tc(r, tc);
    ldns_pkt_set_rcode(r, static_cast<uint8_t>(rcode));
    ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
    for (const std::string& text : rrs) {
      ldns_rr* rr = nullptr;
      if (ldns_rr_new_frm_str(&rr, text.c_str(), 300, nullptr, nullptr) == LDNS_STATUS_OK) {
        ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
      }
    }
    uint8_t* wire = nullptr;
    size_t size = 0;
    std::string out;
    if (ldns_pkt2wire(&wire, r, &size) == LDNS_STATUS_OK) out.assign(reinterpret_cast<char*>(wire), size);
    free(wire);
    ldns_pkt_free(r);
    ldns_pkt_free(q);
    return out;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        char buf[4096];
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(udp_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          ++udp_queries_;
          std::string reply = respond_(std::string(buf, static_cast<size_t>(n)), false);
          if (!reply.empty())
            sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (fds[1].revents & POLLIN) {
        int conn = accept(tcp_, nullptr, nullptr);
        if (conn < 0) continue;
        timeval tv{2, 0};
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        unsigned char len[2];
        if (ReadFull(conn, reinterpret_cast<char*>(len), 2)) {
          std::string query((len[0] << 8) | len[1], '\0');
          if (ReadFull(conn, query.data(), query.size())) {
            ++tcp_queries_;
            std::string reply = respond_(query, true);
            if (!reply.empty()) {
              std::string framed{static_cast<char>(reply.size() >> 8),
                                 static_cast<char>(reply.size() & 0xff)};
              framed += reply;
              [[maybe_unused]] ssize_t w = write(conn, framed.data(), framed.size());
            }
          }
        }
        close(conn);
      }
    }
  }

  Responder respond_;
  int udp_ = -1, tcp_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> udp_queries_{0}, tcp_queries_{0};
  std::thread thread_;
};

}  // namespace skiff::agent::dns::testing

#endif  // SKIFF_AGENT_DNS_TEST_UTIL_H_
