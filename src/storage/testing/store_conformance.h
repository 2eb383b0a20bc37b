// The Store conformance suite: parameterised GoogleTest cases that check every Store backend
// against the contract in storage/store.h (errors, revisions, MVCC reads, pagination, watches,
// compaction, concurrency, reopening).
//
// A backend's test binary instantiates it once:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreBackend{"sqlite", [](const std::string& dir) {...}}),
//                            StoreBackendName);
//
// Passing StoreBackendName (defined in store_conformance.cc) also makes the linker keep the test
// cases, which live in this static library.
//
// The factory opens (or reopens) the backend's store with its data in `dir`; calling it again with
// the same dir after the previous store is destroyed must see the same data. It returns null on
// failure (the test then fails).
//
// Thread-safety: GoogleTest runs the cases one at a time; the cases start their own threads.
// Ownership: the fixture owns the store and a fresh temporary directory per test, removed after.
// Failure: reported as GoogleTest failures.
#ifndef SKIFF_STORAGE_TESTING_STORE_CONFORMANCE_H_
#define SKIFF_STORAGE_TESTING_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/store.h"

namespace skiff::storage {

using StoreFactory = std::function<std::unique_ptr<Store>(const std::string& dir)>;

struct StoreBackend {
  std::string name;  // Used in test names; letters, digits and '_' only.
  StoreFactory factory;
};

// Names each instantiation after its backend.
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the store and opens it again from the same directory.
  void Reopen();

  Store& store() { return *store_; }
  const std::string& dir() const { return dir_; }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_TESTING_STORE_CONFORMANCE_H_
