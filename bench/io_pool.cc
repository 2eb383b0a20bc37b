#include "io_pool.h"

#include <cstdio>
#include <exception>

#include "boost/asio/co_spawn.hpp"

namespace skiff::bench {

void WaitGroup::Add(int n) {
  std::lock_guard lock(mu_);
  pending_ += n;
}

void WaitGroup::Done() {
  std::lock_guard lock(mu_);
  if (--pending_ <= 0) cv_.notify_all();
}

bool WaitGroup::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return pending_ <= 0; });
}

int WaitGroup::pending() {
  std::lock_guard lock(mu_);
  return pending_;
}

IoPool::IoPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
  for (auto& context : contexts_) {
    threads_.emplace_back([ctx = context.get()] { ctx->run(); });
  }
}

IoPool::~IoPool() { Stop(); }

boost::asio::io_context& IoPool::Next() { return *contexts_[next_.fetch_add(1) % contexts_.size()]; }

void IoPool::Stop() {
  for (auto& guard : guards_) guard.reset();
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void Spawn(boost::asio::io_context& context, boost::asio::awaitable<void> task, WaitGroup* group) {
  if (group != nullptr) group->Add(1);
  boost::asio::co_spawn(context, std::move(task), [group](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: coroutine failed: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "bench: coroutine failed\n");
      }
    }
    if (group != nullptr) group->Done();
  });
}

}  // namespace skiff::bench
