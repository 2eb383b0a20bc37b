#include "storage/etcd/etcd_watch_stream.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace skiff::storage {
namespace {

// The Store's form of an etcd event; the value is moved out of `event`.
WatchEvent ToWatchEvent(mvccpb::Event& event, const KeyMapping& keys) {
  WatchEvent out;
  out.kv.key = keys.FromEtcd(event.kv().key());
  out.kv.mod_revision = event.kv().mod_revision() - kRevisionOffset;
  if (event.type() == mvccpb::Event::DELETE) {
    out.type = WatchEvent::Type::kDelete;
    out.kv.create_revision = event.has_prev_kv() ? event.prev_kv().create_revision() - kRevisionOffset
                                                 : 0;  // its history was compacted
    out.kv.value = std::move(*event.mutable_prev_kv()->mutable_value());
  } else {
    out.type = WatchEvent::Type::kPut;
    out.kv.create_revision = event.kv().create_revision() - kRevisionOffset;
    out.created = event.kv().create_revision() == event.kv().mod_revision();
    out.kv.value = std::move(*event.mutable_kv()->mutable_value());
  }
  return out;
}

}  // namespace

struct EtcdWatchStream::Watcher {
  int64_t id = 0;
  std::string key;
  std::string range_end;
  WatchCallback on_events;
  WatchErrorCallback on_error;
  std::atomic<int64_t> resume_revision{0};  // etcd revision to (re)start from
  std::mutex delivery_mu;                   // held while a callback runs
  bool stopped = false;                     // under delivery_mu: no more callbacks
};

// One Watch stream on the client's completion queue, from its start until its Finish completed
// and no write of it is in flight; only then may it be destroyed (the connection thread does).
struct EtcdWatchStream::Connection {
  // The tag of one kind of operation of the stream: the completion thread calls its handler.
  struct Op final : CompletionTag {
    using Handler = void (EtcdWatchStream::*)(Connection&, bool);
    Op(EtcdWatchStream* stream, Connection* connection, Handler handler)
        : stream(stream), connection(connection), handler(handler) {}
    void Completed(bool ok) override { (stream->*handler)(*connection, ok); }
    void* tag() { return static_cast<CompletionTag*>(this); }
    EtcdWatchStream* stream;
    Connection* connection;
    Handler handler;
  };

  explicit Connection(EtcdWatchStream* owner)
      : started(owner, this, &EtcdWatchStream::OnStarted),
        read(owner, this, &EtcdWatchStream::OnRead),
        written(owner, this, &EtcdWatchStream::OnWritten),
        finished(owner, this, &EtcdWatchStream::OnFinished) {}

  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientAsyncReaderWriterInterface<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream;
  Op started, read, written, finished;
  etcdserverpb::WatchResponse response;           // filled by the read in flight (completion thread only)
  bool received = false;                          // a response arrived (read after the end)
  // Under the stream's mu_:
  std::deque<etcdserverpb::WatchRequest> outbox;  // the front one is being written while `writing`
  bool is_started = false;
  bool writing = false;
  bool reading_ended = false;  // a read (or the start) failed: the stream is over
  bool finish_started = false;
  bool finish_done = false;
  grpc::Status status;  // set by Finish
};

class EtcdWatchStream::Handle : public WatchHandle {
 public:
  Handle(EtcdWatchStream* stream, int64_t id) : stream_(stream), id_(id) {}
  ~Handle() override { stream_->Remove(id_); }

 private:
  EtcdWatchStream* stream_;
  int64_t id_;
};

EtcdWatchStream::EtcdWatchStream(EtcdClient* client) : client_(client) {
  delivery_thread_ = std::thread([this] { RunDelivery(); });
  thread_ = std::thread([this] { Run(); });
}

EtcdWatchStream::~EtcdWatchStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (connection_) connection_->context.TryCancel();
  }
  connection_ended_.notify_all();
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    delivery_stopping_ = true;
  }
  queue_filled_.notify_one();
  delivery_thread_.join();
}

void EtcdWatchStream::Enqueue(etcdserverpb::WatchResponse response) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(response));
  }
  if (was_empty) queue_filled_.notify_one();  // otherwise the delivery thread is not asleep
}

void EtcdWatchStream::RunDelivery() {
  std::vector<etcdserverpb::WatchResponse> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_filled_.wait(lock, [this] { return delivery_stopping_ || !queue_.empty(); });
      if (delivery_stopping_) return;
      batch.swap(queue_);
    }
    OnResponses(batch);
  }
}

std::unique_ptr<WatchHandle> EtcdWatchStream::Add(const std::string& prefix, int64_t after_revision,
                                                  WatchCallback on_events, WatchErrorCallback on_error) {
  auto watcher = std::make_shared<Watcher>();
  const std::string etcd_prefix = client_->keys().ToEtcd(prefix);
  watcher->key = etcd_prefix.empty() ? std::string(1, '\0') : etcd_prefix;
  watcher->range_end = PrefixRangeEnd(etcd_prefix);
  watcher->on_events = std::move(on_events);
  watcher->on_error = std::move(on_error);
  watcher->resume_revision = std::max<int64_t>(after_revision, 0) + kRevisionOffset + 1;
  std::lock_guard<std::mutex> lock(mu_);
  watcher->id = next_id_++;
  watchers_[watcher->id] = watcher;
  SendCreate(*watcher);
  return std::make_unique<Handle>(this, watcher->id);
}

void EtcdWatchStream::SendCreate(const Watcher& watcher) {
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(watcher.key);
  create->set_range_end(watcher.range_end);
  create->set_start_revision(watcher.resume_revision.load());
  create->set_prev_kv(true);
  create->set_progress_notify(true);
  create->set_watch_id(watcher.id);
  Send(std::move(request));
}

void EtcdWatchStream::Send(etcdserverpb::WatchRequest request) {
  // Without a stream the connection thread creates every watcher when the next one is up.
  if (!connection_ || connection_->reading_ended) return;
  Connection& connection = *connection_;
  connection.outbox.push_back(std::move(request));
  if (connection.is_started && !connection.writing) StartWrite(connection);
}

void EtcdWatchStream::StartWrite(Connection& connection) {
  connection.writing = true;
  connection.stream->Write(connection.outbox.front(), connection.written.tag());
}

void EtcdWatchStream::OnStarted(Connection& connection, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ok) {
    connection.reading_ended = true;
    FinishWhenDone(connection);
    return;
  }
  connection.is_started = true;
  connection.stream->Read(&connection.response, connection.read.tag());
  if (!connection.outbox.empty()) StartWrite(connection);
}

void EtcdWatchStream::OnRead(Connection& connection, bool ok) {
  if (ok) {
    // Only this thread touches the response and issues reads, one at a time.
    connection.received = true;
    Enqueue(std::move(connection.response));
    connection.response.Clear();
    connection.stream->Read(&connection.response, connection.read.tag());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  connection.reading_ended = true;
  FinishWhenDone(connection);
}

void EtcdWatchStream::OnWritten(Connection& connection, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  connection.writing = false;
  if (!ok) {
    // The stream broke: end it (its reads fail too) and re-create every watcher on the next one.
    connection.outbox.clear();
    connection.context.TryCancel();
  } else {
    connection.outbox.pop_front();
    if (!connection.outbox.empty() && !connection.reading_ended) StartWrite(connection);
  }
  if (connection.finish_done) connection_ended_.notify_all();
}

void EtcdWatchStream::FinishWhenDone(Connection& connection) {
  if (!connection.reading_ended || connection.finish_started) return;
  connection.finish_started = true;
  connection.stream->Finish(&connection.status, connection.finished.tag());
}

void EtcdWatchStream::OnFinished(Connection& connection, bool) {
  std::lock_guard<std::mutex> lock(mu_);
  connection.finish_done = true;
  connection_ended_.notify_all();
}

void EtcdWatchStream::Remove(int64_t id) {
  std::shared_ptr<Watcher> watcher;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watchers_.find(id);
    if (it != watchers_.end()) {
      watcher = it->second;
      watchers_.erase(it);
      etcdserverpb::WatchRequest request;
      request.mutable_cancel_request()->set_watch_id(id);
      Send(std::move(request));
    }
  }
  if (watcher) {
    std::lock_guard<std::mutex> lock(watcher->delivery_mu);  // waits for a running callback
    watcher->stopped = true;
  }
}

void EtcdWatchStream::Run() {
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = absl::ToChronoMilliseconds(client_->options().dial_timeout);
  while (true) {
    size_t index = 0;
    std::shared_ptr<grpc::Channel> channel = client_->CurrentChannel(&index);
    // Connect first, so that a member that is down is skipped quickly.
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::milliseconds(500))) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      client_->FailedOver(index);
      continue;
    }
    auto stub = etcdserverpb::Watch::NewStub(channel);
    grpc::Status status;
    bool received = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      connection_ = std::make_unique<Connection>(this);
      Connection& connection = *connection_;
      // As etcd's own client: a member cut off from the leader ends the stream instead of going quiet.
      connection.context.AddMetadata("hasleader", "true");
      connection.stream = stub->PrepareAsyncWatch(&connection.context, client_->completion_queue());
      for (const auto& [id, watcher] : watchers_) SendCreate(*watcher);  // written once it started
      connection.stream->StartCall(connection.started.tag());
      connection_ended_.wait(lock, [&] { return connection.finish_done && !connection.writing; });
      status = connection.status;
      received = connection.received;
      connection_.reset();
      if (stopping_) return;
    }
    spdlog::warn("etcd watch stream to {} ended ({}); reconnecting", client_->options().endpoints[index],
                 status.error_message());
    client_->FailedOver(index);
    if (received) backoff = std::chrono::milliseconds(100);
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, max_backoff);
  }
}

void EtcdWatchStream::OnResponses(std::vector<etcdserverpb::WatchResponse>& responses) {
  std::vector<etcdserverpb::WatchResponse*> run;  // event responses of one watcher, in order
  size_t i = 0;
  while (i < responses.size()) {
    const etcdserverpb::WatchResponse& first = responses[i];
    if (first.canceled() || first.events_size() == 0) {
      OnControl(first);
      ++i;
      continue;
    }
    run.clear();
    for (; i < responses.size() && responses[i].watch_id() == first.watch_id() && !responses[i].canceled() &&
           responses[i].events_size() > 0;
         ++i) {
      run.push_back(&responses[i]);
    }
    std::shared_ptr<Watcher> watcher;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = watchers_.find(first.watch_id()); it != watchers_.end()) watcher = it->second;
    }
    if (watcher) Deliver(*watcher, run.data(), run.size());
    const etcdserverpb::WatchResponse& last = *run.back();  // its values may be moved out; revisions stay
    observed_revision_ =
        std::max(observed_revision_.load(), last.events(last.events_size() - 1).kv().mod_revision());
  }
}

void EtcdWatchStream::OnControl(const etcdserverpb::WatchResponse& response) {
  int64_t header_revision = response.header().revision();
  std::vector<std::shared_ptr<Watcher>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (response.watch_id() == -1) {  // progress for the whole stream (all watchers are synced)
      for (const auto& [id, watcher] : watchers_) targets.push_back(watcher);
    } else if (auto it = watchers_.find(response.watch_id()); it != watchers_.end()) {
      targets.push_back(it->second);
      if (response.canceled()) watchers_.erase(it);
    }
  }
  if (response.canceled()) {
    if (targets.empty()) return;  // our own cancel
    if (response.compact_revision() > 0) {
      Fail(targets.front(), absl::OutOfRangeError(absl::StrCat("etcd watch: history before revision ",
                                                               response.compact_revision() - kRevisionOffset,
                                                               " has been compacted")));
    } else {
      Fail(targets.front(),
           absl::UnavailableError(absl::StrCat("etcd canceled the watch: ", response.cancel_reason())));
    }
    return;
  }
  if (!response.created() && header_revision > 0) {
    // A progress notification: nothing under this watch changed up to header_revision.
    for (const auto& watcher : targets) {
      int64_t resume = watcher->resume_revision.load();
      while (resume < header_revision + 1 &&
             !watcher->resume_revision.compare_exchange_weak(resume, header_revision + 1)) {
      }
    }
    observed_revision_ = std::max(observed_revision_.load(), header_revision);
  }
}

void EtcdWatchStream::Deliver(Watcher& watcher, etcdserverpb::WatchResponse* const* responses, size_t count) {
  std::vector<WatchEvent> events;
  int64_t resume = watcher.resume_revision.load();
  int64_t newest = 0;
  for (size_t r = 0; r < count; ++r) {
    for (mvccpb::Event& event : *responses[r]->mutable_events()) {
      if (event.kv().mod_revision() < resume) continue;  // already delivered before a reconnect
      newest = event.kv().mod_revision();
      events.push_back(ToWatchEvent(event, client_->keys()));
    }
    // As if each response were its own callback: a reconnect's replay of events of this run (it
    // re-creates the watch with the same id) is left out.
    if (newest > 0) resume = std::max(resume, newest + 1);
  }
  if (events.empty()) return;
  std::lock_guard<std::mutex> lock(watcher.delivery_mu);
  if (watcher.stopped) return;
  watcher.on_events(events);
  watcher.resume_revision = newest + 1;
}

void EtcdWatchStream::Fail(const std::shared_ptr<Watcher>& watcher, const absl::Status& error) {
  std::lock_guard<std::mutex> lock(watcher->delivery_mu);
  if (watcher->stopped) return;
  watcher->stopped = true;
  if (watcher->on_error) watcher->on_error(error);
}

}  // namespace skiff::storage
