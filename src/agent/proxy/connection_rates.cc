#include "agent/proxy/connection_rates.h"

#include <sstream>

#include "boost/json.hpp"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace skiff::agent::proxy {

std::map<std::string, uint64_t> ParseCounters(const std::string& nft_output) {
  // counter conns-Q2MZ7A3K-default/web {
  //         packets 3 bytes 180
  // }
  std::map<std::string, uint64_t> out;
  std::string current;
  std::istringstream lines(nft_output);
  std::string line;
  while (std::getline(lines, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&text, "counter ")) {
      current.clear();
      absl::ConsumeSuffix(&text, "{");
      text = absl::StripAsciiWhitespace(text);
      absl::ConsumePrefix(&text, "\"");
      absl::ConsumeSuffix(&text, "\"");
      // conns-<8 hash characters>-<namespace>/<name>
      if (!absl::ConsumePrefix(&text, "conns-") || text.size() < 10 || text[8] != '-') continue;
      current = std::string(text.substr(9));
      continue;
    }
    if (current.empty() || !absl::StartsWith(text, "packets ")) continue;
    std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
    uint64_t packets = 0;
    if (words.size() >= 2 && absl::SimpleAtoi(words[1], &packets)) out[current] = packets;
    current.clear();
  }
  return out;
}

std::string ServiceStatsJson(const std::vector<ServiceRates>& parts, absl::Duration window) {
  ServiceRates total;
  for (const ServiceRates& part : parts) {
    for (const auto& [service, rate] : part) total[service] += rate;
  }
  boost::json::array services;
  for (const auto& [service, rate] : total) {
    const size_t slash = service.find('/');
    if (slash == std::string::npos) continue;
    services.push_back(boost::json::object{{"namespace", service.substr(0, slash)},
                                           {"name", service.substr(slash + 1)},
                                           {"requestsPerSecond", rate}});
  }
  return boost::json::serialize(boost::json::object{
      {"windowSeconds", absl::ToInt64Seconds(window)}, {"services", std::move(services)}});
}

void ConnectionRates::Record(absl::Time now, const std::map<std::string, uint64_t>& counts) {
  std::lock_guard lock(mu_);
  for (auto it = samples_.begin(); it != samples_.end();) {
    it = counts.contains(it->first) ? std::next(it) : samples_.erase(it);
  }
  for (const auto& [service, count] : counts) {
    auto& history = samples_[service];
    if (!history.empty() && count < history.back().second) history.clear();  // a new counter
    history.emplace_back(now, count);
    // Keep one sample at or before the start of the window, so a full window is measured.
    while (history.size() > 2 && history[1].first <= now - window_) history.pop_front();
  }
}

bool ConnectionRates::ReadSince(absl::Time since) const {
  std::lock_guard lock(mu_);
  return last_read_ >= since;
}

ServiceRates ConnectionRates::Rates() const {
  std::lock_guard lock(mu_);
  last_read_ = absl::Now();
  ServiceRates out;
  for (const auto& [service, history] : samples_) {
    double rate = 0;
    if (history.size() >= 2) {
      const double seconds = absl::ToDoubleSeconds(history.back().first - history.front().first);
      if (seconds > 0) rate = static_cast<double>(history.back().second - history.front().second) / seconds;
    }
    out[service] = rate;
  }
  return out;
}

}  // namespace skiff::agent::proxy
