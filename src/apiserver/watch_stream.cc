#include "apiserver/watch_stream.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

constexpr absl::Duration kBookmarkInterval = absl::Seconds(5);

}  // namespace

WatchStream::WatchStream(WatchCache* cache, WatchTicker* ticker, WatchParams params)
    : cache_(cache), ticker_(ticker), params_(std::move(params)), last_bookmark_(absl::Now()) {}

bool WatchStream::WriteLocked(std::string line) {
  return WriteSharedLocked(std::make_shared<const std::string>(std::move(line)));
}

bool WatchStream::WriteSharedLocked(std::shared_ptr<const std::string> line) {
  if (stopped_ || !sink_) return false;
  if (!sink_->Write(std::move(line))) {
    stopped_ = true;
    return false;
  }
  return true;
}

bool WatchStream::OnEvent(EventType type, const ObjectPtr& object) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return false;
  last_revision_ = std::max(last_revision_, object->revision);
  if (!params_.formatter) return WriteSharedLocked(object->EventLine(type));
  absl::StatusOr<std::string> formatted = params_.formatter(type, object);
  if (!formatted.ok()) {
    WriteLocked(absl::StrCat("{\"type\":\"ERROR\",\"object\":", base::ToJson(api::StatusObject(formatted.status())),
                             "}\n"));
    stopped_ = true;  // the ticker closes the stream
    return false;
  }
  return WriteLocked(absl::StrCat("{\"type\":\"", EventTypeName(type), "\",\"object\":", *formatted, "}\n"));
}

void WatchStream::OnProgress(int64_t revision) {
  int64_t seen = progress_.load();
  while (revision > seen && !progress_.compare_exchange_weak(seen, revision)) {
  }
}

void WatchStream::Start(std::shared_ptr<http::StreamSink> sink) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    sink_ = sink;
    last_revision_ = params_.from_revision;
  }
  auto id = cache_->StartWatch(params_.resource_prefix, params_.key_prefix, params_.from_revision, params_.filter,
                               shared_from_this());
  std::lock_guard<std::mutex> lock(mu_);
  if (!id.ok()) {
    if (absl::IsOutOfRange(id.status())) {
      WriteLocked(absl::StrCat("{\"type\":\"ERROR\",\"object\":", base::ToJson(api::StatusObject(api::GoneError(
                                                                        std::string(id.status().message())))),
                               "}\n"));
    }
    stopped_ = true;
    sink_->Close();
    return;
  }
  watch_id_ = *id;
  if (stopped_) {
    sink_->Close();
    return;
  }
  ticker_->Add(shared_from_this());
}

void WatchStream::Stop() {
  std::shared_ptr<http::StreamSink> sink;
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    sink = sink_;
    id = watch_id_;
  }
  if (id) cache_->StopWatch(params_.resource_prefix, id);
  ticker_->Remove(this);
  if (sink) sink->Close();
}

void WatchStream::Tick(absl::Time now) {
  bool expired = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      expired = true;
    } else if (now >= params_.deadline) {
      expired = true;
    } else if (params_.bookmarks && now - last_bookmark_ >= kBookmarkInterval) {
      last_bookmark_ = now;
      int64_t rev = std::max(last_revision_, progress_.load());
      last_revision_ = rev;
      WriteLocked(absl::StrCat("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"", params_.bookmark_kind,
                               "\",\"apiVersion\":\"", params_.bookmark_api_version,
                               "\",\"metadata\":{\"resourceVersion\":\"", rev,
                               "\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n"));
    }
  }
  if (expired) Stop();
}

WatchTicker::WatchTicker() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      // 100 ms: timeoutSeconds ends streams promptly; bookmarks keep their own interval.
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (stopping_) break;
      std::vector<std::shared_ptr<WatchStream>> streams(streams_.begin(), streams_.end());
      lock.unlock();
      absl::Time now = absl::Now();
      for (const auto& s : streams) s->Tick(now);
      lock.lock();
    }
  });
}

WatchTicker::~WatchTicker() {
  std::set<std::shared_ptr<WatchStream>> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    streams.swap(streams_);
  }
  cv_.notify_all();
  thread_.join();
}

void WatchTicker::Add(std::shared_ptr<WatchStream> stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stopping_) streams_.insert(std::move(stream));
}

void WatchTicker::Remove(WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (it->get() == stream) {
      streams_.erase(it);
      return;
    }
  }
}

}  // namespace skiff::apiserver
