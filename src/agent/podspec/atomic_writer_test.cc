#include "agent/podspec/atomic_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace skiff::agent::podspec {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class AtomicWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podspec-aw-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ / "vol";
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<std::string> Entries() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }
  std::vector<std::string> TimestampDirs() {
    std::vector<std::string> out;
    for (const auto& name : Entries()) {
      if (name.starts_with("..") && name != "..data") out.push_back(name);
    }
    return out;
  }

  fs::path root_;
  fs::path dir_;
};

TEST_F(AtomicWriterTest, WritesLayoutWithModes) {
  AtomicWriter writer(dir_.string());
  auto changed = writer.Write({{"a.txt", {"alpha", 0600}}, {"sub/dir/b.txt", {"beta", 0644}}});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_THAT(Entries(), UnorderedElementsAre("..data", TimestampDirs().at(0), "a.txt", "sub"));
  EXPECT_TRUE(fs::is_symlink(dir_ / "..data"));
  EXPECT_EQ(fs::read_symlink(dir_ / "..data").string(), TimestampDirs().at(0));
  EXPECT_TRUE(TimestampDirs().at(0).starts_with("..20"));
  EXPECT_EQ(fs::read_symlink(dir_ / "a.txt").string(), "..data/a.txt");
  EXPECT_EQ(fs::read_symlink(dir_ / "sub").string(), "..data/sub");
  EXPECT_EQ(Read(dir_ / "a.txt"), "alpha");
  EXPECT_EQ(Read(dir_ / "sub/dir/b.txt"), "beta");
  struct stat st;
  ASSERT_EQ(stat((dir_ / "a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((dir_ / "sub/dir/b.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(AtomicWriterTest, UpdateReplacesInPlaceAndRemovesOldDirs) {
  AtomicWriter writer(dir_.string());
  ASSERT_TRUE(writer.Write({{"a.txt", {"v1", 0644}}, {"old.txt", {"gone soon", 0644}}}).ok());
  std::string first = TimestampDirs().at(0);
  // A reader holding the directory open through the user-visible path sees the new content.
  fs::path visible = dir_ / "a.txt";
  auto changed = writer.Write({{"a.txt", {"v2", 0644}}, {"new.txt", {"hello", 0644}}});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Read(visible), "v2");
  EXPECT_EQ(Read(dir_ / "new.txt"), "hello");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "old.txt")));
  ASSERT_EQ(TimestampDirs().size(), 1u);
  EXPECT_NE(TimestampDirs().at(0), first);
  EXPECT_FALSE(fs::exists(dir_ / first));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "..data_tmp")));
}

TEST_F(AtomicWriterTest, SameContentIsANoOpButModeChangeIsNot) {
  AtomicWriter writer(dir_.string());
  ASSERT_TRUE(writer.Write({{"a", {"x", 0644}}}).ok());
  std::string first = TimestampDirs().at(0);
  auto again = writer.Write({{"a", {"x", 0644}}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_THAT(TimestampDirs(), ElementsAre(first));
  auto mode = writer.Write({{"a", {"x", 0400}}});
  ASSERT_TRUE(mode.ok());
  EXPECT_TRUE(*mode);
  EXPECT_NE(TimestampDirs().at(0), first);
}

TEST_F(AtomicWriterTest, EmptyPayloadAndStaleDirs) {
  AtomicWriter writer(dir_.string());
  ASSERT_TRUE(writer.Write({{"a", {"x", 0644}}}).ok());
  fs::create_directory(dir_ / "..2000_01_01_00_00_00.123456");  // left by a crash
  auto changed = writer.Write({});
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_THAT(Entries(), UnorderedElementsAre("..data", TimestampDirs().at(0)));
}

TEST_F(AtomicWriterTest, RejectsBadPaths) {
  AtomicWriter writer(dir_.string());
  for (const char* bad : {"/abs", "../up", "a/../b", "..hidden", ""}) {
    auto result = writer.Write({{bad, {"x", 0644}}});
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << bad;
  }
  EXPECT_TRUE(AtomicWriter::ValidatePath("a/.b/c").ok());
  EXPECT_TRUE(AtomicWriter::ValidatePath("a..b").ok());
}

// A reader of the user-visible path (as a container reading its token) sees one complete version or
// the next while the writer keeps replacing the files: never a missing, empty, partial or mixed one.
TEST_F(AtomicWriterTest, ConcurrentReaderNeverSeesAPartialFile) {
  const std::string a(256 * 1024, 'a');
  const std::string b(256 * 1024, 'b');
  AtomicWriter writer(dir_.string());
  ASSERT_TRUE(writer.Write({{"token", {a}}, {"namespace", {"ns-a"}}}).ok());
  std::atomic<bool> done = false;
  std::atomic<int> bad = 0;
  std::atomic<int> reads = 0;
  std::thread reader([&] {
    while (!done) {
      std::string token = Read(dir_ / "token");
      std::string ns = Read(dir_ / "namespace");
      if (token != a && token != b) ++bad;
      if (ns != "ns-a" && ns != "ns-b") ++bad;
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) {
    const bool odd = i % 2 == 1;
    ASSERT_TRUE(writer.Write({{"token", {odd ? a : b}}, {"namespace", {odd ? "ns-a" : "ns-b"}}}).ok());
  }
  while (reads < 50) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(bad, 0) << "of " << reads << " reads";
  EXPECT_EQ(TimestampDirs().size(), 1u);  // old payload directories are removed
}

}  // namespace
}  // namespace skiff::agent::podspec
