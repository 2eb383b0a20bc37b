// BatchWriter: kube-apiserver's "batch" audit mode. Requests hand it finished lines and go on; one
// writer thread takes everything queued at once and writes it to the Sink in a single batch, so a
// line reaches the file (write(2), surviving kill -9) within milliseconds under light load and
// batches grow by themselves under heavy load (the writer lingers a few milliseconds after each
// write, so it is not woken for every line). The queue is bounded in lines and bytes: when it is
// full, new lines are dropped and counted, never blocking a request, and the writer logs a warning
// with the count (at most every 10 s). Kubernetes' "blocking" mode, which would stall requests on a
// slow disk, is deliberately not offered.
// Thread-safety: Enqueue from any thread. Ownership: owns the Sink and the thread; destruction
// writes what is queued, then joins. Failure: write errors are logged (rate-limited); those lines are lost.
#ifndef SKIFF_APISERVER_AUDIT_BATCH_WRITER_H_
#define SKIFF_APISERVER_AUDIT_BATCH_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "apiserver/audit/sink.h"

namespace skiff::apiserver::audit {

struct BatchWriterOptions {
  size_t max_queued_lines = 10000;             // kube-apiserver's --audit-log-batch-buffer-size default
  size_t max_queued_bytes = size_t{64} << 20;  // so large objects cannot exhaust memory either
  absl::Duration warning_interval = absl::Seconds(10);
  // After each write the writer waits this long for more lines (or until the queue is half full),
  // so under load it writes a few hundred batches a second instead of being woken for every line.
  absl::Duration linger = absl::Milliseconds(5);
};

class BatchWriter {
 public:
  BatchWriter(std::unique_ptr<Sink> sink, BatchWriterOptions options);
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues one line (ending with '\n'); false if the queue was full and the line was dropped.
  bool Enqueue(std::string line);
  // Waits until every line queued before the call has been handed to the sink.
  void Flush();
  // Lines dropped so far because the queue was full.
  int64_t dropped() const { return dropped_.load(); }

 private:
  void Run();
  bool HalfFullLocked() const;

  std::unique_ptr<Sink> sink_;
  const BatchWriterOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;  // the writer: lines queued or stopping
  std::condition_variable done_;  // Flush: a batch was written
  std::vector<std::string> queue_;
  size_t queued_bytes_ = 0;
  int64_t enqueued_ = 0;  // lines accepted so far
  int64_t written_ = 0;   // ... of which handed to the sink
  bool stopping_ = false;
  bool writer_idle_ = false;          // waiting for lines: the next Enqueue must wake it
  bool half_full_signalled_ = false;  // the lingering writer was told the queue is half full
  std::atomic<int64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_BATCH_WRITER_H_
