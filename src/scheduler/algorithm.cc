#include "scheduler/algorithm.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scheduler/filters.h"
#include "scheduler/scores.h"

namespace skiff::scheduler {
namespace {

constexpr size_t kMinFeasibleNodesToFind = 100;
constexpr int kMinFeasibleNodesPercentageToFind = 5;
constexpr int kBasePercentageOfNodesToScore = 50;
constexpr size_t kChunkSize = 32;

}  // namespace

Algorithm::Algorithm(AlgorithmOptions options) : options_(options) {
  if (options_.parallelism > 1) pool_ = std::make_unique<base::ThreadPool>(options_.parallelism - 1);
}

Algorithm::~Algorithm() = default;

size_t Algorithm::NumFeasibleNodesToFind(size_t num_nodes, int percentage) {
  if (num_nodes < kMinFeasibleNodesToFind || percentage >= 100) return num_nodes;
  int adaptive = percentage;
  if (adaptive <= 0) {
    adaptive = kBasePercentageOfNodesToScore - static_cast<int>(num_nodes / 125);
    adaptive = std::max(adaptive, kMinFeasibleNodesPercentageToFind);
  }
  size_t n = num_nodes * static_cast<size_t>(adaptive) / 100;
  return std::max(n, kMinFeasibleNodesToFind);
}

void Algorithm::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // Helpers that wake up after the caller took the last item must not hold it up (on a busy
  // machine a thread-pool wake-up can take longer than the work): they find the work closed and
  // leave without touching `fn`; the caller waits only for helpers that entered before closing.
  struct Shared {
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    bool closed = false;
    int active = 0;
    const std::function<void(size_t)>* fn = nullptr;
    size_t n = 0;
  };
  auto shared = std::make_shared<Shared>();
  shared->fn = &fn;
  shared->n = n;
  size_t helpers =
      pool_ == nullptr ? 0 : std::min<size_t>(n - 1, static_cast<size_t>(options_.parallelism - 1));
  for (size_t h = 0; h < helpers; ++h) {
    pool_->Submit([shared] {
      {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (shared->closed) return;
        ++shared->active;
      }
      for (size_t i = shared->next.fetch_add(1); i < shared->n; i = shared->next.fetch_add(1))
        (*shared->fn)(i);
      std::lock_guard<std::mutex> lock(shared->mu);
      if (--shared->active == 0) shared->cv.notify_all();
    });
  }
  for (size_t i = shared->next.fetch_add(1); i < n; i = shared->next.fetch_add(1)) fn(i);
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->closed = true;
  shared->cv.wait(lock, [&] { return shared->active == 0; });
}

ScheduleResult Algorithm::Schedule(const PodInfo& pod, const Snapshot& snapshot) {
  ScheduleResult result;
  const size_t n = snapshot.nodes.size();
  if (n == 0) {
    result.message = "no nodes available to schedule pods";
    return result;
  }
  CycleState state = PreFilter(pod, snapshot);
  const size_t want = NumFeasibleNodesToFind(n, options_.percentage_of_nodes_to_score);
  const size_t start = next_start_ % n;

  std::atomic<size_t> found{0};
  std::atomic<size_t> processed{0};
  std::mutex mu;
  std::vector<size_t> feasible_offsets;  // offsets from `start`, to keep the visiting order
  std::vector<size_t> failed;            // snapshot indices; reasons are built only if none fits
  const size_t chunks = (n + kChunkSize - 1) / kChunkSize;
  auto run_chunk = [&](size_t chunk) {
    size_t local_ok[kChunkSize], local_failed[kChunkSize];
    size_t num_ok = 0, num_failed = 0;
    size_t end = std::min(n, (chunk + 1) * kChunkSize);
    for (size_t off = chunk * kChunkSize; off < end; ++off) {
      if (found.load(std::memory_order_relaxed) >= want) break;
      size_t idx = start + off < n ? start + off : start + off - n;
      if (Feasible(state, *snapshot.nodes[idx])) {
        local_ok[num_ok++] = off;
        found.fetch_add(1, std::memory_order_relaxed);
      } else {
        local_failed[num_failed++] = idx;
      }
    }
    processed.fetch_add(num_ok + num_failed);
    if (num_ok + num_failed == 0) return;
    std::lock_guard<std::mutex> lock(mu);
    feasible_offsets.insert(feasible_offsets.end(), local_ok, local_ok + num_ok);
    failed.insert(failed.end(), local_failed, local_failed + num_failed);
  };
  if (n <= kChunkSize * 2) {
    for (size_t c = 0; c < chunks; ++c) run_chunk(c);
  } else {
    ParallelFor(chunks, run_chunk);
  }
  result.evaluated = processed.load();
  next_start_ = (start + result.evaluated) % n;

  std::sort(feasible_offsets.begin(), feasible_offsets.end());
  if (feasible_offsets.size() > want) feasible_offsets.resize(want);
  result.feasible = feasible_offsets.size();
  if (feasible_offsets.empty()) {
    // Every node was evaluated and failed: now say why, node by node.
    std::sort(failed.begin(), failed.end());
    result.failures.reserve(failed.size());
    for (size_t idx : failed) result.failures.emplace_back(idx, RunFilters(state, *snapshot.nodes[idx]));
    result.message = FitErrorMessage(n, result.failures);
    return result;
  }
  std::vector<const NodeInfo*> feasible;
  feasible.reserve(feasible_offsets.size());
  for (size_t off : feasible_offsets) feasible.push_back(snapshot.nodes[(start + off) % n].get());
  if (feasible.size() == 1) {
    result.node = feasible[0]->name();
    return result;
  }
  std::vector<int64_t> scores = ScoreNodes(pod, snapshot, feasible);
  // Reservoir sampling among the top scores spreads equal pods over equal nodes.
  int64_t best = -1;
  size_t ties = 0;
  for (size_t i = 0; i < feasible.size(); ++i) {
    if (scores[i] > best) {
      best = scores[i];
      ties = 1;
      result.node = feasible[i]->name();
    } else if (scores[i] == best && std::uniform_int_distribution<size_t>(0, ties++)(rng_) == 0) {
      result.node = feasible[i]->name();
    }
  }
  return result;
}

std::string FitErrorMessage(size_t num_nodes, const std::vector<std::pair<size_t, FilterResult>>& failures) {
  std::map<std::string, size_t> histogram;
  for (const auto& [idx, r] : failures) {
    for (const auto& reason : r.reasons) ++histogram[reason];
  }
  std::vector<std::string> parts;
  for (const auto& [reason, count] : histogram) parts.push_back(absl::StrCat(count, " ", reason));
  std::sort(parts.begin(), parts.end());
  std::string msg = absl::StrCat("0/", num_nodes, " nodes are available:");
  if (!parts.empty()) absl::StrAppend(&msg, " ", absl::StrJoin(parts, ", "), ".");
  return msg;
}

}  // namespace skiff::scheduler
