// StorageFixture: what a unit test of an admission plug-in (or anything else on the write path)
// runs on — a real SQLite store in a fresh temporary directory, a started WatchCache with the
// catalogue's field indexer, the schema admission and a ResourceStorage over them — plus
// shorthands for creating objects from JSON text. Tests add their plug-ins with
// storage()->AddAdmissionPlugin.
// Thread-safety: the parts are as thread-safe as they are on their own; build and destroy the
// fixture on one thread. Ownership: owns every part and the directory, which the destructor removes
// after tearing the parts down (storage, cache, store). Plug-ins and watchers the test adds are
// borrowed: destroy them before the fixture.
// Failure: Open returns the store's or the cache's error; the helpers return ResourceStorage's.
#ifndef SKIFF_APISERVER_TESTING_STORAGE_FIXTURE_H_
#define SKIFF_APISERVER_TESTING_STORAGE_FIXTURE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/resources.h"
#include "apiserver/resource_storage.h"
#include "apiserver/schema_admission.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "storage/store.h"

namespace skiff::apiserver::testing {

class StorageFixture {
 public:
  // `clock` (borrowed) is the ResourceStorage's; `namespaces` are created at once.
  static absl::StatusOr<std::unique_ptr<StorageFixture>> Open(
      base::Clock* clock = &base::RealClock(), std::initializer_list<std::string_view> namespaces = {});
  ~StorageFixture();
  StorageFixture(const StorageFixture&) = delete;
  StorageFixture& operator=(const StorageFixture&) = delete;

  storage::Store* store() const { return store_.get(); }
  WatchCache* cache() const { return cache_.get(); }
  ResourceStorage* storage() const { return storage_.get(); }
  // The fixture's own temporary directory (the store's file is state.db in it).
  const std::filesystem::path& dir() const { return dir_; }

  // The built-in resource `plural` of `group`/`version`; aborts the test binary on an unknown one.
  static const api::ResourceInfo& Resource(std::string_view plural, std::string_view group = "",
                                           std::string_view version = "v1");
  // Creates the object `json` (text) of `resource` in `ns`.
  absl::StatusOr<ObjectPtr> Create(const api::ResourceInfo& resource, const std::string& ns,
                                   std::string_view json, WriteOptions options = {}) const;
  // The same for a core/v1 resource by its plural.
  absl::StatusOr<ObjectPtr> Create(std::string_view plural, const std::string& ns, std::string_view json,
                                   WriteOptions options = {}) const;
  absl::Status CreateNamespace(const std::string& name) const;

 private:
  StorageFixture() = default;

  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<WatchCache> cache_;
  std::unique_ptr<SchemaAdmission> schema_;
  std::unique_ptr<ResourceStorage> storage_;
};

}  // namespace skiff::apiserver::testing

#endif  // SKIFF_APISERVER_TESTING_STORAGE_FIXTURE_H_
