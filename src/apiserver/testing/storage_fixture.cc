#include "apiserver/testing/storage_fixture.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "api/schema.h"
#include "apiserver/selection.h"
#include "base/json.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver::testing {

absl::StatusOr<std::unique_ptr<StorageFixture>> StorageFixture::Open(
    base::Clock* clock, std::initializer_list<std::string_view> namespaces) {
  // Unique per process and per fixture, so tests of one binary (or parallel binaries) never share.
  static std::atomic<int> next{0};
  std::unique_ptr<StorageFixture> f(new StorageFixture());
  f->dir_ = std::filesystem::temp_directory_path() /
            absl::StrCat("skiff-storage-fixture-", ::getpid(), "-", next.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(f->dir_, ec);
  if (!std::filesystem::create_directories(f->dir_, ec)) {
    return absl::InternalError(absl::StrCat("cannot create ", f->dir_.string(), ": ", ec.message()));
  }
  storage::SqliteOptions options;
  options.path = (f->dir_ / "state.db").string();
  auto store = storage::SqliteStore::Open(options);
  if (!store.ok()) return store.status();
  f->store_ = std::move(*store);
  WatchCache::Options cache_options;
  cache_options.field_indexer = CatalogueFieldIndexer();
  f->cache_ = std::make_unique<WatchCache>(f->store_.get(), cache_options);
  if (auto s = f->cache_->Start(); !s.ok()) return s;
  f->schema_ = std::make_unique<SchemaAdmission>(api::BuiltinSchemas());
  f->storage_ = std::make_unique<ResourceStorage>(f->store_.get(), f->cache_.get(), clock, f->schema_.get());
  for (std::string_view ns : namespaces) {
    if (auto s = f->CreateNamespace(std::string(ns)); !s.ok()) return s;
  }
  return f;
}

StorageFixture::~StorageFixture() {
  storage_.reset();
  cache_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

const api::ResourceInfo& StorageFixture::Resource(std::string_view plural, std::string_view group,
                                                  std::string_view version) {
  const api::ResourceInfo* r =
      api::FindResource(std::string(group), std::string(version), std::string(plural));
  if (!r) {
    std::cerr << "StorageFixture: no resource " << group << "/" << version << " " << plural << "\n";
    std::abort();  // a typo in a test, not a condition to test
  }
  return *r;
}

absl::StatusOr<ObjectPtr> StorageFixture::Create(const api::ResourceInfo& resource, const std::string& ns,
                                                 std::string_view json, WriteOptions options) const {
  auto parsed = base::ParseJson(json);
  if (!parsed.ok()) return parsed.status();
  return storage_->Create(resource, ns, std::move(*parsed), options);
}

absl::StatusOr<ObjectPtr> StorageFixture::Create(std::string_view plural, const std::string& ns,
                                                 std::string_view json, WriteOptions options) const {
  return Create(Resource(plural), ns, json, std::move(options));
}

absl::Status StorageFixture::CreateNamespace(const std::string& name) const {
  return Create("namespaces", "", absl::StrCat(R"({"metadata":{"name":")", name, R"("}})")).status();
}

}  // namespace skiff::apiserver::testing
