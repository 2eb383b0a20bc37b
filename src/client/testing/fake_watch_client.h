// FakeWatchClient: a Client whose list answers and watch streams a test scripts, for unit tests of
// the reflector and informers. Only List and Watch work (the rest return Unimplemented); lists page
// by key when a limit is given. Set/Remove change what the next list returns; Send/EndWatches drive
// every open watch synchronously on the calling thread; ExpireNextWatch refuses the next Watch
// with 410 (OutOfRange); FailLists makes lists fail.
// Thread-safety: every method is safe from any thread. Ownership: watch handles must be destroyed
// before the client. Failure: none beyond the scripted ones.
#ifndef SKIFF_CLIENT_TESTING_FAKE_WATCH_CLIENT_H_
#define SKIFF_CLIENT_TESTING_FAKE_WATCH_CLIENT_H_

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "boost/json.hpp"
#include "client/client.h"
#include "client/informer.h"

namespace skiff::client::testing {

namespace json = boost::json;

// A minimal pod: namespace, name, resourceVersion and (optionally) spec.nodeName.
inline Object TestPod(const std::string& ns, const std::string& name, int rv, const std::string& node = "") {
  json::object spec;
  if (!node.empty()) spec["nodeName"] = node;
  return std::make_shared<const json::value>(json::object{
      {"metadata", json::object{{"namespace", ns}, {"name", name}, {"resourceVersion", std::to_string(rv)}}},
      {"spec", std::move(spec)}});
}

class FakeWatchClient : public Client {
 public:
  struct Watcher {
    std::string resource_version;
    WatchEventHandler on_event;
    WatchEndHandler on_end;
    bool ended = false;
  };
  class Handle : public WatchHandle {
   public:
    Handle(FakeWatchClient* c, int id) : c_(c), id_(id) {}
    ~Handle() override {
      std::lock_guard<std::mutex> lock(c_->mu_);
      c_->watchers_.erase(id_);
    }

   private:
    FakeWatchClient* c_;
    int id_;
  };

  absl::StatusOr<Object> Get(const api::ResourceInfo&, const std::string&, const std::string&) override {
    return absl::UnimplementedError("get");
  }
  // Pages by key when options.limit is set; the continue token is the last key of the page.
  absl::StatusOr<ObjectList> List(const api::ResourceInfo&, const std::string&, const ListOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++list_requests_;
    if (failing_lists_ > 0) {
      --failing_lists_;
      return absl::UnavailableError("scripted list failure");
    }
    if (options.continue_token.empty()) ++lists_;
    ObjectList out;
    auto it = options.continue_token.empty() ? objects_.begin() : objects_.upper_bound(options.continue_token);
    for (; it != objects_.end(); ++it) {
      if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
        out.continue_token = KeyOf(*out.items.back());
        break;
      }
      out.items.push_back(it->second);
    }
    out.resource_version = std::to_string(rv_);
    return out;
  }
  absl::StatusOr<Object> Create(const api::ResourceInfo&, const std::string&, json::value,
                                const WriteOptions&) override {
    return absl::UnimplementedError("create");
  }
  absl::StatusOr<Object> Update(const api::ResourceInfo&, const std::string&, json::value, const std::string&,
                                const WriteOptions&) override {
    return absl::UnimplementedError("update");
  }
  absl::StatusOr<Object> Patch(const api::ResourceInfo&, const std::string&, const std::string&, PatchType,
                               const json::value&, const PatchOptions&) override {
    return absl::UnimplementedError("patch");
  }
  absl::Status Delete(const api::ResourceInfo&, const std::string&, const std::string&,
                      const DeleteOptions&) override {
    return absl::UnimplementedError("delete");
  }
  absl::StatusOr<json::value> CreateSubresource(const api::ResourceInfo&, const std::string&,
                                                const std::string&, const std::string&,
                                                json::value) override {
    return absl::UnimplementedError("subresource");
  }
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo&, const std::string&,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override {
    std::lock_guard<std::mutex> lock(mu_);
    watch_versions_.push_back(options.resource_version);
    if (expire_next_watch_) {
      expire_next_watch_ = false;
      return absl::OutOfRangeError("too old resource version");
    }
    int id = next_id_++;
    watchers_[id] = Watcher{options.resource_version, std::move(on_event), std::move(on_end)};
    return std::unique_ptr<WatchHandle>(new Handle(this, id));
  }

  // Test controls.
  void Set(const Object& obj) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_[KeyOf(*obj)] = obj;
    rv_ = std::max<int64_t>(rv_,
                            std::stoll(std::string((*obj).at("metadata").at("resourceVersion").as_string())));
  }
  void Remove(const std::string& key, int rv) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(key);
    rv_ = rv;
  }
  void Send(WatchEventType type, const Object& obj) {
    std::vector<WatchEventHandler> handlers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, w] : watchers_) handlers.push_back(w.on_event);
    }
    for (auto& h : handlers) h(WatchEvent{type, obj});
  }
  void EndWatches(absl::Status status) {
    std::vector<WatchEndHandler> ends;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, w] : watchers_) {
        if (!w.ended) ends.push_back(w.on_end);
        w.ended = true;
      }
    }
    for (auto& e : ends) e(status);
  }
  int ActiveWatches() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (auto& [id, w] : watchers_) n += w.ended ? 0 : 1;
    return n;
  }
  // Lists begun (a paginated list counts once) and List requests (one per page).
  int lists() {
    std::lock_guard<std::mutex> lock(mu_);
    return lists_;
  }
  int list_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return list_requests_;
  }
  std::vector<std::string> watch_versions() {
    std::lock_guard<std::mutex> lock(mu_);
    return watch_versions_;
  }
  // The next `n` List requests fail with Unavailable.
  void FailLists(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_lists_ = n;
  }
  void ExpireNextWatch() {
    std::lock_guard<std::mutex> lock(mu_);
    expire_next_watch_ = true;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Object> objects_;
  int64_t rv_ = 1;
  int lists_ = 0;
  int list_requests_ = 0;
  int failing_lists_ = 0;
  int next_id_ = 1;
  bool expire_next_watch_ = false;
  std::map<int, Watcher> watchers_;
  std::vector<std::string> watch_versions_;
};

}  // namespace skiff::client::testing

#endif  // SKIFF_CLIENT_TESTING_FAKE_WATCH_CLIENT_H_
