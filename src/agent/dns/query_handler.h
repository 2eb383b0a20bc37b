// QueryHandler: the synchronous part of answering one DNS query: parse it, reject what we don't
// serve (FORMERR, NOTIMP, BADVERS, REFUSED for other classes and zone transfers), answer cluster
// names from the current RecordTable through its reply cache, and say when the query has to go
// upstream (a foreign name, or a CNAME leaving the cluster). Sockets live in ClusterDns.
//
// Thread-safety: Handle() from any number of threads; SetTable() swaps the table (and its cache)
// atomically for later queries. Ownership: shares the table. Failure: every input gets a
// Disposition; nothing here throws or crashes on bad bytes.
#ifndef SKIFF_AGENT_DNS_QUERY_HANDLER_H_
#define SKIFF_AGENT_DNS_QUERY_HANDLER_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/dns/message.h"
#include "agent/dns/records.h"
#include "agent/dns/response_cache.h"

namespace skiff::agent::dns {

class QueryHandler {
 public:
  enum class Disposition {
    kReply,    // send *reply
    kDrop,     // send nothing
    kForward,  // relay the packet upstream, then the reply (with the client's ID)
    kChase,    // resolve answer->chase upstream, then BuildChasedReply
  };

  QueryHandler(std::string cluster_domain, size_t cache_entries);

  // `tcp` lifts the size limit to 64 KiB; otherwise the client's EDNS0 size (512 without) holds.
  // *query is filled for every disposition but kDrop; *answer only for kChase.
  Disposition Handle(std::string_view packet, bool tcp, ParsedQuery* query, std::string* reply,
                     Answer* answer) const;

  // Until the first table, cluster names get SERVFAIL (never a false NXDOMAIN).
  void SetTable(std::shared_ptr<const RecordTable> table);
  std::shared_ptr<const RecordTable> table() const;

 private:
  struct Snapshot {
    explicit Snapshot(std::shared_ptr<const RecordTable> t, size_t entries)
        : table(std::move(t)), cache(entries) {}
    std::shared_ptr<const RecordTable> table;
    ResponseCache cache;
  };
  bool InDomain(const std::string& name) const;

  std::string domain_;
  std::string suffix_;
  size_t cache_entries_;
  mutable std::mutex mu_;
  std::shared_ptr<Snapshot> snapshot_;
};

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_QUERY_HANDLER_H_
