#include "apiserver/store_migration.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver {
namespace {

class StoreMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "skiff_migration_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<storage::SqliteStore> Open(const std::string& name) {
    storage::SqliteOptions options;
    options.path = dir_ + "/" + name + ".db";
    options.compaction_interval = absl::ZeroDuration();
    auto store = storage::SqliteStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string dir_;
};

// A data dir written by the first layout opens with the same objects under Kubernetes keys, and
// a second run (as after a crash half-way) changes nothing more.
TEST_F(StoreMigrationTest, FirstLayoutDataDirMovesToKubernetesKeys) {
  auto store = Open("state");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/registry/core/pods/default/a", "pod a").ok());
  ASSERT_TRUE(store->Create("/registry/core/namespaces/default", "ns").ok());
  ASSERT_TRUE(store->Create("/registry/apps/deployments/default/d", "deploy").ok());
  ASSERT_TRUE(store->Create("/registry/core/services/default/kubernetes", "svc").ok());
  // Interrupted earlier run: the new key exists already, the old one is still there.
  ASSERT_TRUE(store->Create("/registry/core/secrets/default/s", "secret").ok());
  ASSERT_TRUE(store->Create("/registry/secrets/default/s", "secret").ok());
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(store->Create(absl::StrCat("/registry/core/configmaps/default/cm", i), "cm").ok());

  auto moved = MigrateKeyLayout(*store);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 105);
  EXPECT_EQ(store->Get("/registry/pods/default/a")->value, "pod a");
  EXPECT_EQ(store->Get("/registry/namespaces/default")->value, "ns");
  EXPECT_EQ(store->Get("/registry/deployments/default/d")->value, "deploy");
  EXPECT_EQ(store->Get("/registry/services/specs/default/kubernetes")->value, "svc");
  EXPECT_EQ(store->Get("/registry/secrets/default/s")->value, "secret");
  EXPECT_EQ(*store->Count("/registry/core/"), 0);
  EXPECT_EQ(*store->Count("/registry/apps/"), 0);
  EXPECT_EQ(*store->Count("/registry/configmaps/default/"), 100);
  EXPECT_EQ(*store->Count("/registry/"), 105);

  int64_t revision = store->CurrentRevision();
  auto again = MigrateKeyLayout(*store);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(store->CurrentRevision(), revision);
}

TEST_F(StoreMigrationTest, ImportCopiesEverythingInTheNewLayoutAndRefusesANonEmptyTarget) {
  auto source = Open("source");
  auto target = Open("target");
  ASSERT_NE(source, nullptr);
  ASSERT_NE(target, nullptr);
  for (int i = 0; i < 4500; ++i)  // more than one page
    ASSERT_TRUE(source->Create(absl::StrCat("/registry/configmaps/ns/cm", i), absl::StrCat("v", i)).ok());
  ASSERT_TRUE(source->Create("/registry/core/pods/ns/old-layout", "pod").ok());
  auto copied = ImportObjects(*source, *target);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, 4501);
  EXPECT_EQ(*target->Count("/registry/configmaps/ns/"), 4500);
  EXPECT_EQ(target->Get("/registry/configmaps/ns/cm4321")->value, "v4321");
  EXPECT_EQ(target->Get("/registry/pods/ns/old-layout")->value, "pod");

  auto twice = ImportObjects(*source, *target);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition) << twice.status();
  EXPECT_EQ(*target->Count("/registry/"), 4501);
}

}  // namespace
}  // namespace skiff::apiserver
