#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-file-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_;
};

TEST_F(FileTest, WritesAtomicallyWithTheGivenMode) {
  std::string path = dir_ + "/a";
  ASSERT_TRUE(WriteFileAtomically(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, std::string("t\0o", 3), 0640).ok());
  EXPECT_EQ(ReadFile(path).value(), std::string("t\0o", 3));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FileTest, ParentDirectoriesAreCreatedOnlyWhenAsked) {
  std::string path = dir_ + "/x/y/z";
  EXPECT_EQ(WriteFileAtomically(path, "v", 0644).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomically(path, "v", 0644, ParentDirs::kCreate).ok());
  EXPECT_EQ(ReadFile(path).value(), "v");
  // A parent that is a regular file fails.
  EXPECT_FALSE(WriteFileAtomically(path + "/sub/conf", "x", 0644, ParentDirs::kCreate).ok());
}

TEST_F(FileTest, ReadFileReportsMissingFilesAsNotFound) {
  absl::StatusOr<std::string> missing = ReadFile(dir_ + "/missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_ + "/missing"), std::string_view::npos);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/empty", "", 0644).ok());
  EXPECT_EQ(ReadFile(dir_ + "/empty").value(), "");
}

TEST_F(FileTest, WriteFileIfAbsentKeepsAnExistingFile) {
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileIfAbsent(path, "first", 0600).ok());
  EXPECT_EQ(WriteFileIfAbsent(path, "second", 0600).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(path).value(), "first");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST(UniqueFdTest, ClosesOnScopeExitAndMoves) {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
  UniqueFd c(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int kept = c.release();
  EXPECT_FALSE(c.valid());
  EXPECT_NE(fcntl(kept, F_GETFD), -1);
  close(kept);
}

}  // namespace
}  // namespace skiff::base
