#include "apiserver/audit/rotating_file.h"

#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "apiserver/audit/backups.h"
#include "base/file.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::audit {
namespace {

namespace fs = std::filesystem;

class RotatingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/audit-rotation-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/logs/audit.log";
    clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 12, 7, 8, 0, 0), absl::UTCTimeZone()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<RotatingFile> Open(RotationOptions options) {
    auto f = RotatingFile::Open(path_, options, &clock_);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : nullptr;
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ + "/logs"))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string Read(const std::string& name) {
    return base::ReadFile(dir_ + "/logs/" + name).value_or("<missing>");
  }

  std::string dir_;
  std::string path_;
  base::testing::FakeClock clock_;
};

std::string Line(char c, size_t bytes) { return std::string(bytes - 1, c) + "\n"; }

TEST_F(RotatingFileTest, RotatesBySizeIntoTimestampedBackups) {
  auto f = Open({.max_bytes = 100, .max_backups = 10});
  ASSERT_TRUE(f->Write({Line('a', 40), Line('b', 40)}).ok());
  EXPECT_EQ(Names(), std::vector<std::string>{"audit.log"});
  clock_.Advance(absl::Milliseconds(1500));
  // 80 + 40 > 100: the file is rotated before this line.
  ASSERT_TRUE(f->Write({Line('c', 40)}).ok());
  f->WaitForRetention();
  EXPECT_EQ(Names(), (std::vector<std::string>{"audit-2026-12-07T08-00-01.500.log", "audit.log"}));
  EXPECT_EQ(Read("audit-2026-12-07T08-00-01.500.log"), Line('a', 40) + Line('b', 40));
  EXPECT_EQ(Read("audit.log"), Line('c', 40));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RotatingFileTest, SplitsABatchAtLineBoundariesAndGivesAHugeLineItsOwnFile) {
  auto f = Open({.max_bytes = 100, .max_backups = 0});
  ASSERT_TRUE(f->Write({Line('a', 60), Line('b', 60), Line('c', 250), Line('d', 10)}).ok());
  f->WaitForRetention();
  std::vector<Backup> backups = ListBackups(path_);
  ASSERT_EQ(backups.size(), 3u);  // newest first, one millisecond apart under a still clock
  EXPECT_EQ(base::ReadFile(backups[2].path).value_or(""), Line('a', 60));
  EXPECT_EQ(base::ReadFile(backups[1].path).value_or(""), Line('b', 60));
  EXPECT_EQ(base::ReadFile(backups[0].path).value_or(""), Line('c', 250));
  EXPECT_EQ(Read("audit.log"), Line('d', 10));
}

TEST_F(RotatingFileTest, KeepsAtMostMaxBackupsNewestFirst) {
  auto f = Open({.max_bytes = 50, .max_backups = 3});
  for (int i = 0; i < 8; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(f->Write({Line(static_cast<char>('a' + i), 40)}).ok());
  }
  f->WaitForRetention();
  // 8 lines, one per file: 7 rotations, the newest 3 backups remain.
  std::vector<Backup> backups = ListBackups(path_);
  ASSERT_EQ(backups.size(), 3u);
  EXPECT_EQ(base::ReadFile(backups[0].path).value_or(""), Line('g', 40));
  EXPECT_EQ(base::ReadFile(backups[2].path).value_or(""), Line('e', 40));
  EXPECT_EQ(Read("audit.log"), Line('h', 40));
}

TEST_F(RotatingFileTest, RemovesBackupsOlderThanMaxAge) {
  auto f = Open({.max_bytes = 50, .max_backups = 0, .max_age_days = 2});
  ASSERT_TRUE(f->Write({Line('a', 40), Line('b', 40)}).ok());  // backup at day 0
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(f->Write({Line('c', 40)}).ok());  // backup at day 1
  f->WaitForRetention();
  EXPECT_EQ(ListBackups(path_).size(), 2u);
  clock_.Advance(absl::Hours(25));
  ASSERT_TRUE(f->Write({Line('d', 40)}).ok());  // backup at day 2+; day 0 is now older than 2 days
  f->WaitForRetention();
  std::vector<Backup> backups = ListBackups(path_);
  ASSERT_EQ(backups.size(), 2u);
  EXPECT_EQ(base::ReadFile(backups[1].path).value_or(""), Line('b', 40));
}

TEST_F(RotatingFileTest, CompressesBackupsWithGzip) {
  auto f = Open({.max_bytes = 50, .max_backups = 2, .compress = true});
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(f->Write({Line(static_cast<char>('a' + i), 40)}).ok());
  }
  f->WaitForRetention();
  // Rotated at 2 s (a), 3 s (b) and 4 s (c); the newest two remain.
  EXPECT_EQ(Names(), (std::vector<std::string>{"audit-2026-12-07T08-00-03.000.log.gz",
                                               "audit-2026-12-07T08-00-04.000.log.gz", "audit.log"}));
  gzFile gz = gzopen((dir_ + "/logs/audit-2026-12-07T08-00-03.000.log.gz").c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  char buf[100] = {};
  int n = gzread(gz, buf, sizeof(buf));
  gzclose(gz);
  EXPECT_EQ(std::string(buf, n), Line('b', 40));
}

TEST_F(RotatingFileTest, AppendsToAnExistingFileAndPrunesOldBackupsAtOpen) {
  fs::create_directories(dir_ + "/logs");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        base::WriteFileAtomically(BackupPath(path_, clock_.Now() - absl::Minutes(i + 1)), "old\n", 0600)
            .ok());
  }
  ASSERT_TRUE(base::WriteFileAtomically(path_, "earlier\n", 0600).ok());
  auto f = Open({.max_bytes = 1000, .max_backups = 2});
  f->WaitForRetention();
  EXPECT_EQ(ListBackups(path_).size(), 2u);
  ASSERT_TRUE(f->Write({"later\n"}).ok());
  EXPECT_EQ(Read("audit.log"), "earlier\nlater\n");
}

TEST(BackupsTest, NamesLikeLumberjack) {
  absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 12, 7, 8, 0, 0), absl::UTCTimeZone()) + absl::Milliseconds(7);
  EXPECT_EQ(BackupPath("/var/log/audit.log", t), "/var/log/audit-2026-12-07T08-00-00.007.log");
  EXPECT_EQ(BackupPath("audit", t), "./audit-2026-12-07T08-00-00.007");
  EXPECT_EQ(BackupPath("/x/kube.audit.json", t), "/x/kube.audit-2026-12-07T08-00-00.007.json");
}

}  // namespace
}  // namespace skiff::apiserver::audit
