#include "apiserver/audit/batch_writer.h"

#include "spdlog/spdlog.h"

namespace skiff::apiserver::audit {

BatchWriter::BatchWriter(std::unique_ptr<Sink> sink, BatchWriterOptions options)
    : sink_(std::move(sink)), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool BatchWriter::Enqueue(std::string line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.max_queued_lines ||
        queued_bytes_ + line.size() > options_.max_queued_bytes) {
      dropped_.fetch_add(1);
      return false;
    }
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    wake = writer_idle_ ? queue_.size() == 1 : HalfFullLocked() && !half_full_signalled_;
    if (wake && !writer_idle_) half_full_signalled_ = true;
    ++enqueued_;
  }
  // A writer waiting on an empty queue needs waking; one lingering after a write only when the
  // queue is half full.
  if (wake) wake_.notify_one();
  return true;
}

bool BatchWriter::HalfFullLocked() const {
  return queue_.size() * 2 >= options_.max_queued_lines || queued_bytes_ * 2 >= options_.max_queued_bytes;
}

void BatchWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t target = enqueued_;
  done_.wait(lock, [&] { return written_ >= target; });
}

void BatchWriter::Run() {
  std::vector<std::string> batch;
  int64_t reported_drops = 0;
  absl::Time last_warning = absl::InfinitePast();
  absl::Time last_error = absl::InfinitePast();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    writer_idle_ = true;
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    writer_idle_ = false;
    if (queue_.empty() && stopping_) return;
    batch.swap(queue_);
    queued_bytes_ = 0;
    lock.unlock();
    absl::Status s = sink_->Write(batch);
    absl::Time now = absl::Now();
    if (!s.ok() && now - last_error >= options_.warning_interval) {
      spdlog::error("audit log: {} lines lost: {}", batch.size(), s.ToString());
      last_error = now;
    }
    int64_t drops = dropped_.load();
    if (drops > reported_drops && now - last_warning >= options_.warning_interval) {
      spdlog::warn("audit log: {} events dropped because the queue was full ({} events total since start)",
                   drops - reported_drops, drops);
      reported_drops = drops;
      last_warning = now;
    }
    size_t n = batch.size();
    batch.clear();
    lock.lock();
    written_ += static_cast<int64_t>(n);
    done_.notify_all();
    if (!stopping_ && options_.linger > absl::ZeroDuration()) {
      half_full_signalled_ = false;
      wake_.wait_for(lock, absl::ToChronoMicroseconds(options_.linger),
                     [&] { return stopping_ || HalfFullLocked(); });
    }
  }
}

}  // namespace skiff::apiserver::audit
