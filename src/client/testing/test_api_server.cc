#include "client/testing/test_api_server.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "api/schema.h"
#include "apiserver/selection.h"
#include "boost/json.hpp"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::client::testing {

TestApiServer::TestApiServer(base::Clock* clock) {
  static std::atomic<int> counter{0};
  dir_ = (std::filesystem::temp_directory_path() /
          absl::StrCat("skiff-client-test-", ::getpid(), "-", counter++))
             .string();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  storage::SqliteOptions options;
  options.path = dir_ + "/state.db";
  auto store = storage::SqliteStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "TestApiServer: %s\n", store.status().ToString().c_str());
    std::abort();
  }
  store_ = std::move(*store);
  apiserver::WatchCache::Options cache_options;
  cache_options.field_indexer = apiserver::CatalogueFieldIndexer();
  cache_ = std::make_unique<apiserver::WatchCache>(store_.get(), cache_options);
  if (auto s = cache_->Start(); !s.ok()) {
    std::fprintf(stderr, "TestApiServer: %s\n", s.ToString().c_str());
    std::abort();
  }
  admission_ = std::make_unique<apiserver::SchemaAdmission>(api::BuiltinSchemas());
  storage_ = std::make_unique<apiserver::ResourceStorage>(
      store_.get(), cache_.get(), clock ? clock : &base::RealClock(), admission_.get());
  client_ = std::make_unique<InProcessClient>(storage_.get(), "test-client", clock);
  const api::ResourceInfo* namespaces = api::FindResource("", "v1", "namespaces");
  for (const char* ns : {"default", "kube-system"}) {
    boost::json::value obj = boost::json::object{{"metadata", boost::json::object{{"name", ns}}}};
    (void)storage_->Create(*namespaces, "", std::move(obj), apiserver::WriteOptions{});
  }
}

TestApiServer::~TestApiServer() {
  client_.reset();
  storage_.reset();
  cache_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_);
}

}  // namespace skiff::client::testing
