#include "agent/dns/message.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "agent/dns/ldns.h"

namespace skiff::agent::dns {
namespace {

constexpr size_t kMaxName = 255;
constexpr size_t kMaxUdpReply = 4096;  // above this, fragments get lost more than TCP costs

uint16_t Be16(std::string_view p, size_t off) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[off]) << 8) | static_cast<uint8_t>(p[off + 1]));
}

void PutBe16(std::string* out, size_t off, uint16_t v) {
  (*out)[off] = static_cast<char>(v >> 8);
  (*out)[off + 1] = static_cast<char>(v & 0xff);
}

void AppendBe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

// Skips a (possibly compressed) name; false when it runs off the packet or is malformed.
bool SkipName(std::string_view p, size_t* off) {
  size_t o = *off;
  for (;;) {
    if (o >= p.size()) return false;
    uint8_t len = static_cast<uint8_t>(p[o]);
    if ((len & 0xc0) == 0xc0) {
      if (o + 2 > p.size()) return false;
      *off = o + 2;
      return true;
    }
    if (len & 0xc0) return false;
    if (len == 0) {
      *off = o + 1;
      return true;
    }
    o += 1 + len;
  }
}

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

ldns_rdf* Dname(const std::string& name) { return ldns_dname_new_frm_str((name + ".").c_str()); }

ldns_rdf* Int16(uint16_t v) { return ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, v); }
ldns_rdf* Int32(ldns_rdf_type type, uint32_t v) { return ldns_native2rdf_int32(type, v); }

// Our record as an ldns RR (nullptr when a name cannot be encoded).
ldns_rr* ToLdns(const Rr& r) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rdf* owner = Dname(r.name);
  if (!rr || !owner) {
    if (owner) ldns_rdf_deep_free(owner);
    if (rr) ldns_rr_free(rr);
    return nullptr;
  }
  ldns_rr_set_owner(rr, owner);
  ldns_rr_set_ttl(rr, r.ttl);
  ldns_rr_set_type(rr, static_cast<ldns_rr_type>(r.type));
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  std::vector<ldns_rdf*> rdfs;
  switch (r.type) {
    case kTypeA:
      rdfs.push_back(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, r.address.data()));
      break;
    case kTypeAaaa:
      rdfs.push_back(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, r.address.data()));
      break;
    case kTypeCname:
    case kTypePtr:
    case kTypeNs:
      rdfs.push_back(Dname(r.target));
      break;
    case kTypeSrv:
      rdfs = {Int16(r.priority), Int16(r.weight), Int16(r.port), Dname(r.target)};
      break;
    case kTypeTxt: {
      std::string str(1, static_cast<char>(std::min<size_t>(r.target.size(), 255)));
      str.append(r.target, 0, 255);
      rdfs.push_back(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, str.size(), str.data()));
      break;
    }
    case kTypeSoa:
      rdfs = {Dname(r.target),
              Dname(r.mbox),
              Int32(LDNS_RDF_TYPE_INT32, r.serial),
              Int32(LDNS_RDF_TYPE_PERIOD, 7200),    // refresh
              Int32(LDNS_RDF_TYPE_PERIOD, 1800),    // retry
              Int32(LDNS_RDF_TYPE_PERIOD, 86400),   // expire
              Int32(LDNS_RDF_TYPE_PERIOD, r.ttl)};  // negative-caching TTL
      break;
    default:
      break;
  }
  bool ok = true;
  for (ldns_rdf* rdf : rdfs) {
    if (!rdf || !ok) {
      ok = false;
      if (rdf) ldns_rdf_deep_free(rdf);
      continue;
    }
    ldns_rr_push_rdf(rr, rdf);
  }
  if (!ok) {
    ldns_rr_free(rr);
    return nullptr;
  }
  return rr;
}

std::string LowerWire(std::string_view wire) {
  std::string out(wire);
  // Label length bytes are < 64, so lower-casing them is harmless.
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

struct Sections {
  size_t answers;  // how many of (ours + extra) answers to include
  bool authority;
  bool additional;
  bool truncated;
};

std::string Encode(const ParsedQuery& q, const Answer& a, const ldns_rr_list* extra, int rcode,
                   const Sections& s) {
  PktPtr pkt(ldns_pkt_new());
  if (!pkt) return "";
  ldns_pkt* p = pkt.get();
  ldns_pkt_set_id(p, 0);
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_aa(p, true);
  ldns_pkt_set_rd(p, q.recursion_desired());
  ldns_pkt_set_cd(p, (q.flags & 0x0010) != 0);
  ldns_pkt_set_ra(p, true);
  ldns_pkt_set_tc(p, s.truncated);
  ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
  ldns_pkt_set_rcode(p, static_cast<uint8_t>(rcode));
  if (q.edns) ldns_pkt_set_edns_udp_size(p, kOurUdpSize);

  ldns_rr* question = ldns_rr_new();
  std::string qname = LowerWire(q.qname_wire);
  ldns_rdf* owner = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname.size(), qname.data());
  if (!question || !owner) {
    if (question) ldns_rr_free(question);
    if (owner) ldns_rdf_deep_free(owner);
    return "";
  }
  ldns_rr_set_owner(question, owner);
  ldns_rr_set_type(question, static_cast<ldns_rr_type>(q.qtype));
  ldns_rr_set_class(question, static_cast<ldns_rr_class>(q.qclass));
  ldns_rr_set_question(question, true);
  ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, question);

  auto push = [&](ldns_pkt_section section, const Rr& r) {
    if (ldns_rr* rr = ToLdns(r)) ldns_pkt_push_rr(p, section, rr);
  };
  size_t n = 0;
  for (const Rr& r : a.answer) {
    if (n++ >= s.answers) break;
    push(LDNS_SECTION_ANSWER, r);
  }
  if (extra) {
    for (size_t i = 0; i < ldns_rr_list_rr_count(extra); ++i) {
      if (n++ >= s.answers) break;
      if (ldns_rr* rr = ldns_rr_clone(ldns_rr_list_rr(extra, i)))
        ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
    }
  }
  if (s.authority) {
    for (const Rr& r : a.authority) push(LDNS_SECTION_AUTHORITY, r);
  }
  if (s.additional) {
    for (const Rr& r : a.additional) push(LDNS_SECTION_ADDITIONAL, r);
  }
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK || !wire) {
    free(wire);
    return "";
  }
  std::string out(reinterpret_cast<char*>(wire), size);
  free(wire);
  return out;
}

std::string EncodeWithin(const ParsedQuery& q, const Answer& a, const ldns_rr_list* extra, int rcode,
                         size_t limit) {
  size_t total = a.answer.size() + (extra ? ldns_rr_list_rr_count(extra) : 0);
  std::string full = Encode(q, a, extra, rcode, {total, true, true, false});
  if (full.size() <= limit || full.empty()) return full;
  // Additional records are optional (RFC 2181 9): dropping them needs no TC.
  std::string no_additional = Encode(q, a, extra, rcode, {total, true, false, false});
  if (no_additional.size() <= limit) return no_additional;
  // Keep as many answers as fit, in order, and tell the client to retry over TCP.
  size_t lo = 0, hi = total;  // lo always fits (0 answers: header + question + OPT)
  std::string best = Encode(q, a, extra, rcode, {0, false, false, true});
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    std::string attempt = Encode(q, a, extra, rcode, {mid, false, false, true});
    if (!attempt.empty() && attempt.size() <= limit) {
      lo = mid;
      best = std::move(attempt);
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

}  // namespace

size_t ParsedQuery::udp_limit() const {
  if (!edns) return kMinUdpSize;
  return std::clamp<size_t>(udp_size, kMinUdpSize, kMaxUdpReply);
}

ParseStatus ParseQuery(std::string_view p, ParsedQuery* q) {
  *q = ParsedQuery{};
  if (p.size() < kHeaderSize) return ParseStatus::kDrop;
  q->id = Be16(p, 0);
  q->flags = Be16(p, 2);
  if (q->flags & 0x8000) return ParseStatus::kDrop;  // a response: answering could loop
  q->opcode = (q->flags >> 11) & 0xf;
  uint16_t qdcount = Be16(p, 4), ancount = Be16(p, 6), nscount = Be16(p, 8), arcount = Be16(p, 10);
  size_t off = kHeaderSize;
  if (qdcount >= 1) {
    size_t start = off;
    q->name.reserve(64);
    for (;;) {
      if (off >= p.size()) return q->opcode ? ParseStatus::kNotImp : ParseStatus::kFormErr;
      uint8_t len = static_cast<uint8_t>(p[off]);
      if (len & 0xc0) return q->opcode ? ParseStatus::kNotImp : ParseStatus::kFormErr;  // no compression here
      ++off;
      if (len == 0) break;
      if (off + len > p.size() || off + len - start > kMaxName) {
        return q->opcode ? ParseStatus::kNotImp : ParseStatus::kFormErr;
      }
      if (!q->name.empty()) q->name.push_back('.');
      for (size_t i = 0; i < len; ++i) {
        char c = p[off + i];
        if (c == '.') q->odd_name = true;
        q->name.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
      }
      off += len;
    }
    if (off + 4 > p.size()) return q->opcode ? ParseStatus::kNotImp : ParseStatus::kFormErr;
    q->qname_wire = p.substr(start, off - start);
    q->qtype = Be16(p, off);
    q->qclass = Be16(p, off + 2);
    off += 4;
    q->question_end = off;
    q->has_question = qdcount == 1;
  }
  if (q->opcode != 0) return ParseStatus::kNotImp;
  if (qdcount != 1) return ParseStatus::kFormErr;
  for (uint32_t i = 0; i < static_cast<uint32_t>(ancount) + nscount + arcount; ++i) {
    bool additional = i >= static_cast<uint32_t>(ancount) + nscount;
    size_t name_start = off;
    if (!SkipName(p, &off) || off + 10 > p.size()) return ParseStatus::kFormErr;
    uint16_t type = Be16(p, off), klass = Be16(p, off + 2);
    uint32_t ttl = (static_cast<uint32_t>(Be16(p, off + 4)) << 16) | Be16(p, off + 6);
    uint16_t rdlength = Be16(p, off + 8);
    off += 10;
    if (off + rdlength > p.size()) return ParseStatus::kFormErr;
    off += rdlength;
    if (type != kTypeOpt) continue;
    // RFC 6891 6.1.1: one OPT, in the additional section, owned by the root.
    if (!additional || q->edns || off - rdlength - 10 - name_start != 1) return ParseStatus::kFormErr;
    q->edns = true;
    q->udp_size = klass;
    q->edns_version = static_cast<uint8_t>((ttl >> 16) & 0xff);
    q->dnssec_ok = (ttl & 0x8000) != 0;
  }
  return ParseStatus::kOk;
}

std::string BuildErrorReply(std::string_view packet, const ParsedQuery& query, int rcode) {
  std::string out(kHeaderSize, '\0');
  PutBe16(&out, 0, query.id);
  uint16_t flags = 0x8000 | (static_cast<uint16_t>(query.opcode & 0xf) << 11) | (query.flags & 0x0110) |
                   0x0080 | static_cast<uint16_t>(rcode & 0xf);
  PutBe16(&out, 2, flags);
  if (query.has_question && query.question_end <= packet.size()) {
    PutBe16(&out, 4, 1);
    out.append(packet.substr(kHeaderSize, query.question_end - kHeaderSize));
  }
  if (query.edns) {
    PutBe16(&out, 10, 1);
    out.push_back('\0');  // root owner
    AppendBe16(&out, kTypeOpt);
    AppendBe16(&out, kOurUdpSize);
    AppendBe16(&out, static_cast<uint16_t>((rcode >> 4) << 8));  // extended rcode, version 0
    AppendBe16(&out, 0);                                         // DO=0, Z
    AppendBe16(&out, 0);                                         // no options
  }
  return out;
}

std::string BuildAnswerReply(const ParsedQuery& query, const Answer& answer, size_t limit) {
  return EncodeWithin(query, answer, nullptr, answer.rcode, limit);
}

std::string BuildChasedReply(const ParsedQuery& query, const Answer& answer, std::string_view upstream_reply,
                             size_t limit) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, reinterpret_cast<const uint8_t*>(upstream_reply.data()), upstream_reply.size()) !=
          LDNS_STATUS_OK ||
      !raw) {
    if (raw) ldns_pkt_free(raw);
    return EncodeWithin(query, answer, nullptr, answer.rcode, limit);
  }
  PktPtr upstream(raw);
  int rcode = ldns_pkt_get_rcode(upstream.get());
  if (rcode != 0 && rcode != 3) rcode = 2;  // upstream trouble is our SERVFAIL
  Answer without_soa = answer;
  without_soa.authority.clear();
  return EncodeWithin(query, without_soa, ldns_pkt_answer(upstream.get()), rcode, limit);
}

void PatchReply(const ParsedQuery& query, char* reply, size_t size) {
  if (size < kHeaderSize) return;
  reply[0] = static_cast<char>(query.id >> 8);
  reply[1] = static_cast<char>(query.id & 0xff);
  reply[2] = static_cast<char>((reply[2] & ~0x01) | ((query.flags >> 8) & 0x01));  // RD
  reply[3] = static_cast<char>((reply[3] & ~0x10) | (query.flags & 0x10));         // CD
  if (kHeaderSize + query.qname_wire.size() <= size) {
    std::memcpy(reply + kHeaderSize, query.qname_wire.data(), query.qname_wire.size());
  }
}

std::string TruncateRelayed(std::string_view reply, const ParsedQuery& query) {
  std::string out(reply.substr(0, 4));
  out.resize(kHeaderSize, '\0');
  out[2] = static_cast<char>(out[2] | 0x02);  // TC
  PutBe16(&out, 4, 1);
  out.append(query.qname_wire);
  AppendBe16(&out, query.qtype);
  AppendBe16(&out, query.qclass);
  return out;
}

std::string BuildQuery(uint16_t id, const std::string& name, uint16_t qtype) {
  ldns_rdf* owner = Dname(name);
  if (!owner) return "";
  PktPtr pkt(ldns_pkt_query_new(owner, static_cast<ldns_rr_type>(qtype), LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) return "";
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_edns_udp_size(pkt.get(), kOurUdpSize);
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt.get(), &size) != LDNS_STATUS_OK || !wire) {
    free(wire);
    return "";
  }
  std::string out(reinterpret_cast<char*>(wire), size);
  free(wire);
  return out;
}

}  // namespace skiff::agent::dns
