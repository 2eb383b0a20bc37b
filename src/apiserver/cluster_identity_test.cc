#include "apiserver/cluster_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gtest/gtest.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver {
namespace {

class ClusterIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-identity-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "first" / "pki");
    storage::SqliteOptions options;
    options.path = (dir_ / "state.db").string();
    auto store = storage::SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    for (const auto& rel : ClusterIdentityFiles()) {
      ASSERT_TRUE(base::WriteFileAtomically(Path("first", rel), "content of " + rel, 0600).ok());
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& server, const std::string& rel) {
    return (dir_ / server / rel).string();
  }
  std::string Dir(const std::string& server) { return (dir_ / server).string(); }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(ClusterIdentityTest, SealedDataOpensOnlyWithItsToken) {
  auto sealed = SealWithToken("the CA key", "s3cret");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("the CA key"), std::string::npos);
  auto opened = OpenWithToken(*sealed, "s3cret");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "the CA key");
  EXPECT_TRUE(absl::IsFailedPrecondition(OpenWithToken(*sealed, "guess").status()));
  EXPECT_NE(*SealWithToken("the CA key", "s3cret"), *sealed);  // fresh salt and nonce each time
  EXPECT_TRUE(absl::IsDataLoss(OpenWithToken("{}", "s3cret").status()));
  EXPECT_TRUE(absl::IsDataLoss(OpenWithToken("not json", "s3cret").status()));
}

TEST_F(ClusterIdentityTest, ALaterServerTakesTheFirstServersIdentity) {
  auto nothing_yet = FetchClusterIdentity(store_.get(), Dir("second"), "s3cret");
  ASSERT_TRUE(nothing_yet.ok()) << nothing_yet.status();
  EXPECT_FALSE(*nothing_yet);
  ASSERT_TRUE(PublishClusterIdentity(store_.get(), Dir("first"), "s3cret").ok());
  auto stored = store_->List("/bootstrap/registry/");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->kvs.size(), 1u);
  EXPECT_EQ(stored->kvs[0].value.find("content of"), std::string::npos);  // encrypted

  auto joined = FetchClusterIdentity(store_.get(), Dir("second"), "s3cret");
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_TRUE(*joined);
  for (const auto& rel : ClusterIdentityFiles()) {
    EXPECT_EQ(*base::ReadFile(Path("second", rel)), "content of " + rel);
    struct stat st {};
    ASSERT_EQ(stat(Path("second", rel).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, rel.ends_with(".crt") ? 0644u : 0600u) << rel;
  }
  // Publishing again (every start does) changes nothing; so does a second fetch.
  ASSERT_TRUE(PublishClusterIdentity(store_.get(), Dir("first"), "s3cret").ok());
  ASSERT_TRUE(PublishClusterIdentity(store_.get(), Dir("second"), "s3cret").ok());
  EXPECT_TRUE(*FetchClusterIdentity(store_.get(), Dir("second"), "s3cret"));
}

TEST_F(ClusterIdentityTest, AnotherTokenOrAnotherClustersDataDirIsRefused) {
  ASSERT_TRUE(PublishClusterIdentity(store_.get(), Dir("first"), "s3cret").ok());
  auto wrong = FetchClusterIdentity(store_.get(), Dir("second"), "other");
  EXPECT_TRUE(absl::IsFailedPrecondition(wrong.status())) << wrong.status();
  EXPECT_NE(wrong.status().message().find("another --token"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(Path("second", "pki/ca.key")));
  // Another cluster in the same store under another prefix is no conflict.
  auto elsewhere = FetchClusterIdentity(store_.get(), Dir("second"), "other", "/other-cluster");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_FALSE(*elsewhere);

  // A data dir with a CA of its own (another cluster's) does not join.
  ASSERT_TRUE(
      base::WriteFileAtomically(Path("second", "pki/ca.crt"), "another CA", 0644, base::ParentDirs::kCreate)
          .ok());
  auto mixed = FetchClusterIdentity(store_.get(), Dir("second"), "s3cret");
  EXPECT_TRUE(absl::IsFailedPrecondition(mixed.status())) << mixed.status();
  EXPECT_NE(mixed.status().message().find("belongs to another cluster"), std::string::npos);
}

}  // namespace
}  // namespace skiff::apiserver
