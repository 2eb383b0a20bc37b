// TableState: the complete desired content of one nftables table (sets, verdict maps and chains
// with their rules) as a value, and the text of the transactions that load it:
//  * FullTransaction replaces the table (delete if present, then create everything);
//  * DiffTransaction changes a table holding `before` into `after` and touches nothing else:
//    new sets and chains are added, changed chains are flushed and refilled, set elements are
//    deleted and added one by one, and chains then sets that are gone are removed last — ordered
//    so that no command refers to something absent. "" when nothing differs.
// Thread-safety: pure functions over values. Ownership: values.
// Failure: none here; the kernel may refuse a transaction (see proxy/nft.h), applying none of it.
#ifndef SKIFF_AGENT_NETPOL_TABLE_STATE_H_
#define SKIFF_AGENT_NETPOL_TABLE_STATE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

namespace skiff::agent::netpol {

struct SetState {
  bool is_map = false;
  std::string spec;                // inside the braces: "type ipv4_addr;" or "type ipv4_addr : verdict;"
  std::set<std::string> elements;  // "10.1.0.2", "10.1.0.2 . tcp . 80", "10.1.0.2 : goto c"
  bool operator==(const SetState&) const = default;
};

struct ChainState {
  std::string spec;  // a base chain's "type filter hook forward priority filter; policy accept;", or ""
  std::vector<std::string> rules;
  bool operator==(const ChainState&) const = default;
};

struct TableState {
  std::map<std::string, SetState> sets;
  std::map<std::string, ChainState> chains;
  bool operator==(const TableState&) const = default;
};

// `table` is the table's name in family ip.
std::string FullTransaction(const std::string& table, const TableState& state);
std::string DiffTransaction(const std::string& table, const TableState& before, const TableState& after);
// Deletes the table; harmless when it does not exist.
std::string DeleteTableTransaction(const std::string& table);

}  // namespace skiff::agent::netpol

#endif  // SKIFF_AGENT_NETPOL_TABLE_STATE_H_
