#include "agent/dns/query_handler.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace skiff::agent::dns {
namespace {

constexpr int kBadVers = 16;

// Everything a cached reply depends on besides the ID and flags PatchReply restores.
std::string CacheKey(const ParsedQuery& q) {
  std::string key;
  key.reserve(q.name.size() + 8);
  key.append(q.name);
  key.push_back('\0');
  key.push_back(static_cast<char>(q.qtype >> 8));
  key.push_back(static_cast<char>(q.qtype & 0xff));
  key.push_back(static_cast<char>(q.qclass & 0xff));
  key.push_back(q.edns ? 'E' : '-');
  return key;
}

}  // namespace

QueryHandler::QueryHandler(std::string cluster_domain, size_t cache_entries)
    : domain_(absl::AsciiStrToLower(cluster_domain)), cache_entries_(cache_entries) {
  while (!domain_.empty() && domain_.back() == '.') domain_.pop_back();
  suffix_ = "." + domain_;
}

void QueryHandler::SetTable(std::shared_ptr<const RecordTable> table) {
  auto snapshot = std::make_shared<Snapshot>(std::move(table), cache_entries_);
  std::lock_guard lock(mu_);
  snapshot_ = std::move(snapshot);
}

std::shared_ptr<const RecordTable> QueryHandler::table() const {
  std::lock_guard lock(mu_);
  return snapshot_ ? snapshot_->table : nullptr;
}

bool QueryHandler::InDomain(const std::string& name) const {
  return name == domain_ || absl::EndsWith(name, suffix_);
}

QueryHandler::Disposition QueryHandler::Handle(std::string_view packet, bool tcp, ParsedQuery* q,
                                               std::string* reply, Answer* answer) const {
  switch (ParseQuery(packet, q)) {
    case ParseStatus::kDrop:
      return Disposition::kDrop;
    case ParseStatus::kFormErr:
      *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kFormErr));
      return Disposition::kReply;
    case ParseStatus::kNotImp:
      *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kNotImp));
      return Disposition::kReply;
    case ParseStatus::kOk:
      break;
  }
  if (q->edns && q->edns_version > 0) {  // RFC 6891 6.1.3: we only speak EDNS version 0
    *reply = BuildErrorReply(packet, *q, kBadVers);
    return Disposition::kReply;
  }
  std::shared_ptr<Snapshot> snap;
  {
    std::lock_guard lock(mu_);
    snap = snapshot_;
  }
  bool ours = InDomain(q->name);
  if (q->qclass != kClassIn && q->qclass != kClassAny) {
    if (!ours) return Disposition::kForward;  // e.g. CHAOS queries: the upstream's business
    *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kRefused));
    return Disposition::kReply;
  }
  if (!snap) {
    if (!ours) return Disposition::kForward;
    *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kServFail));
    return Disposition::kReply;
  }
  if (ours && (q->qtype == kTypeAxfr || q->qtype == kTypeIxfr)) {  // no zone transfers
    *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kRefused));
    return Disposition::kReply;
  }
  size_t limit = tcp ? kMaxTcpMessage : q->udp_limit();
  // Keys of the full reply and of its truncated form for this client's size.
  std::string key = q->odd_name ? "" : CacheKey(*q);
  std::string truncated_key;
  if (!key.empty() && snap->cache.Get(key, reply)) {
    if (reply->size() <= limit) {
      PatchReply(*q, reply->data(), reply->size());
      return Disposition::kReply;
    }
    truncated_key = absl::StrCat(key, limit);
    if (snap->cache.Get(truncated_key, reply)) {
      PatchReply(*q, reply->data(), reply->size());
      return Disposition::kReply;
    }
  }
  Answer found = snap->table->Lookup(q->name, q->odd_name, q->qtype);
  if (found.action == Answer::Action::kForward) return Disposition::kForward;
  if (!found.chase.empty()) {
    *answer = std::move(found);
    return Disposition::kChase;
  }
  *reply = BuildAnswerReply(*q, found, kMaxTcpMessage);
  if (reply->empty()) {
    *reply = BuildErrorReply(packet, *q, static_cast<int>(Rcode::kServFail));
    return Disposition::kReply;
  }
  if (!key.empty()) snap->cache.Put(key, *reply);
  if (reply->size() > limit) {
    *reply = BuildAnswerReply(*q, found, limit);
    if (!key.empty())
      snap->cache.Put(truncated_key.empty() ? absl::StrCat(key, limit) : truncated_key, *reply);
  }
  PatchReply(*q, reply->data(), reply->size());
  return Disposition::kReply;
}

}  // namespace skiff::agent::dns
