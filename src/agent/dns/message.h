// DNS messages for the cluster DNS server: a cheap parser for incoming queries (header, the one
// question, the EDNS0 OPT record; no allocation beyond the lower-cased name) and builders for
// replies. Answers with records are encoded by ldns (with name compression); error replies
// (FORMERR, SERVFAIL, ...) and ID/flag patches are a few bytes done by hand.
//
// Thread-safety: pure functions. Ownership: ParsedQuery points into the caller's packet bytes,
// which must outlive it. Failure: ParseQuery classifies bad input (drop / FORMERR / NOTIMP) and
// never reads outside the packet; builders return an empty string only when ldns cannot encode.
#ifndef SKIFF_AGENT_DNS_MESSAGE_H_
#define SKIFF_AGENT_DNS_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/dns/records.h"

namespace skiff::agent::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMinUdpSize = 512;     // without EDNS0 (RFC 1035)
inline constexpr uint16_t kOurUdpSize = 1232;  // advertised in our OPT records (DNS flag day 2020)
inline constexpr size_t kMaxTcpMessage = 65535;

enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

struct ParsedQuery {
  uint16_t id = 0;
  uint16_t flags = 0;  // header flags word as received
  uint8_t opcode = 0;
  bool has_question = false;
  std::string_view qname_wire;  // the question name as sent (original case), into the packet
  std::string name;             // lower case, dotted, no trailing dot; "" = the root
  bool odd_name = false;        // a label holds '.', so `name` is ambiguous
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t question_end = 0;  // offset just past the question
  bool edns = false;
  uint16_t udp_size = 0;  // the client's advertised size (raw)
  uint8_t edns_version = 0;
  bool dnssec_ok = false;

  bool recursion_desired() const { return (flags & 0x0100) != 0; }
  // The largest UDP reply this client accepts.
  size_t udp_limit() const;
};

enum class ParseStatus {
  kOk,
  kDrop,     // too short for a header, or a response: never answer
  kFormErr,  // answerable with FORMERR (the ID is known)
  kNotImp,   // opcode other than QUERY
};

ParseStatus ParseQuery(std::string_view packet, ParsedQuery* query);

// A reply with just the header, the question (when parsed) and our OPT record (when the client
// sent one): for FORMERR, SERVFAIL, NOTIMP, REFUSED and BADVERS (`rcode` 16 goes into the OPT).
std::string BuildErrorReply(std::string_view packet, const ParsedQuery& query, int rcode);

// The reply to `query` for a lookup `answer`, at most `limit` bytes: when the records don't fit,
// additional records go first, then answers are cut and TC is set (the question always stays).
// Built for the lower-cased name with ID 0 so it can be cached; see PatchReply.
std::string BuildAnswerReply(const ParsedQuery& query, const Answer& answer, size_t limit);

// Makes a cached (or relayed) reply fit `query`: its ID, its RD and CD flags and the original
// case of its question name. `reply` must hold the same question as `query`.
void PatchReply(const ParsedQuery& query, char* reply, size_t size);

// A relayed upstream reply that exceeds `limit`: header and question only, with TC set.
std::string TruncateRelayed(std::string_view reply, const ParsedQuery& query);

// A standard query for `name` (dotted) / `qtype` with recursion desired and EDNS0, for chasing a
// CNAME upstream. Empty when the name cannot be encoded.
std::string BuildQuery(uint16_t id, const std::string& name, uint16_t qtype);

// Our reply for an answer whose CNAME chain leaves the cluster (`answer.chase`), completed with the
// answer records and rcode of `upstream_reply` (the reply to BuildQuery(answer.chase)). Falls back
// to the CNAME alone when the upstream reply does not parse.
std::string BuildChasedReply(const ParsedQuery& query, const Answer& answer, std::string_view upstream_reply,
                             size_t limit);

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_MESSAGE_H_
