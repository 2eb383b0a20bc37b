// RecordTable: every DNS name the cluster domain holds, computed from Services and EndpointSlices
// per the Kubernetes DNS specification (github.com/kubernetes/dns docs/specification.md) and
// CoreDNS's kubernetes plugin: service A/AAAA, headless endpoint A/AAAA and hostnames, ExternalName
// CNAMEs, SRV for named ports, PTR for cluster IPs and headless endpoints, "pods insecure" pod
// names, the zone's SOA/NS and dns-version TXT. Lookup() decides between an authoritative answer
// (records, NODATA or NXDOMAIN with the SOA) and forwarding the question upstream.
//
// Thread-safety: immutable after construction; Lookup() may run on any number of threads.
// Ownership: copies what it needs out of the objects. Failure: malformed objects or fields are
// skipped (bad input never stops the table from being built).
#ifndef SKIFF_AGENT_DNS_RECORDS_H_
#define SKIFF_AGENT_DNS_RECORDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "client/client.h"

namespace skiff::agent::dns {

// DNS type codes used here (RFC 1035 and successors).
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeSrv = 33;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeIxfr = 251;
inline constexpr uint16_t kTypeAxfr = 252;
inline constexpr uint16_t kTypeAny = 255;
inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;

// One resource record. Names are lower case, dotted, without the trailing dot.
struct Rr {
  std::string name;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string address;                          // A: 4 bytes, AAAA: 16 bytes, network order
  std::string target;                           // CNAME, PTR, NS, SRV target; SOA mname; TXT text
  std::string mbox;                             // SOA rname
  uint32_t serial = 0;                          // SOA
  uint16_t priority = 0, weight = 0, port = 0;  // SRV
};

struct Answer {
  enum class Action {
    kAnswer,   // authoritative reply from the fields below
    kForward,  // not ours: relay the query upstream
  };
  Action action = Action::kAnswer;
  int rcode = 0;  // 0 NOERROR, 3 NXDOMAIN
  std::vector<Rr> answer, authority, additional;
  // Set when the answer ends in a CNAME to a name outside the cluster domain: the server
  // resolves it upstream and appends those records (only for types other than CNAME).
  std::string chase;
};

// The reverse-lookup name of a 4- or 16-byte address ("4.3.2.1.in-addr.arpa", nibbles.ip6.arpa).
std::string ReverseName(const std::string& address_bytes);

class RecordTable {
 public:
  struct Config {
    std::string domain = "cluster.local";
    uint32_t ttl = 5;
    uint32_t serial = 1;                      // SOA serial (the build time, in seconds)
    std::vector<std::string> nameserver_ips;  // addresses of ns.dns.<domain>
  };

  // `services` are core/v1 Services, `slices` discovery.k8s.io/v1 EndpointSlices (all namespaces).
  RecordTable(Config config, const std::vector<client::Object>& services,
              const std::vector<client::Object>& slices);

  // `name` lower case, dotted, without the trailing dot; `odd_name` when a label of the query
  // held a '.' (such a name is never ours). `qtype` ANY returns every record of the name.
  Answer Lookup(const std::string& name, bool odd_name, uint16_t qtype) const;

  // True for the cluster domain and names below it.
  bool InZone(const std::string& name) const;
  size_t name_count() const { return names_.size(); }
  const Config& config() const { return config_; }

 private:
  void Add(Rr rr);
  void AddEmptyNonTerminals(const std::string& name);
  void AddService(const boost::json::value& svc, const std::vector<const boost::json::value*>& slices);
  void LookupInto(const std::string& name, uint16_t qtype, int depth, Answer* out) const;
  bool SynthesizePod(const std::string& name, uint16_t qtype, Answer* out) const;
  Rr Soa(const std::string& zone) const;
  void AddAdditional(const Rr& rr, Answer* out) const;

  Config config_;
  std::string suffix_;                                       // "." + domain
  absl::flat_hash_map<std::string, std::vector<Rr>> names_;  // empty vector: empty non-terminal
};

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_RECORDS_H_
