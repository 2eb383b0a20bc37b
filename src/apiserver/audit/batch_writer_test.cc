#include "apiserver/audit/batch_writer.h"

#include <filesystem>

#include "absl/synchronization/notification.h"
#include "apiserver/audit/rotating_file.h"
#include "base/file.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::audit {
namespace {

// A real RotatingFile whose writes can be held up, to fill the queue as a stalled disk would.
class StallableFile : public Sink {
 public:
  StallableFile(std::unique_ptr<RotatingFile> file, absl::Notification* release,
                std::vector<size_t>* batches = nullptr)
      : file_(std::move(file)), release_(release), batches_(batches) {}
  absl::Status Write(const std::vector<std::string>& lines) override {
    if (!entered_.HasBeenNotified()) entered_.Notify();  // only the writer thread calls Write
    release_->WaitForNotification();
    if (batches_) batches_->push_back(lines.size());
    return file_->Write(lines);
  }
  absl::Notification entered_;

 private:
  std::unique_ptr<RotatingFile> file_;
  absl::Notification* release_;
  std::vector<size_t>* batches_;  // sizes of the batches written
};

class BatchWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/audit-writer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<RotatingFile> File() {
    auto f = RotatingFile::Open(dir_ + "/audit.log", {}, &clock_);
    EXPECT_TRUE(f.ok());
    return std::move(*f);
  }
  std::string Content() { return base::ReadFile(dir_ + "/audit.log").value_or(""); }

  std::string dir_;
  base::testing::FakeClock clock_;
};

TEST_F(BatchWriterTest, WritesLinesInOrderAndFlushWaitsForThem) {
  BatchWriter writer(File(), {});
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    expected += line;
    ASSERT_TRUE(writer.Enqueue(line));
  }
  writer.Flush();
  EXPECT_EQ(Content(), expected);
  EXPECT_EQ(writer.dropped(), 0);
}

TEST_F(BatchWriterTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  absl::Notification release;
  std::vector<size_t> batches;
  auto sink = std::make_unique<StallableFile>(File(), &release, &batches);
  StallableFile* stalled = sink.get();
  {
    BatchWriter writer(std::move(sink), {.max_queued_lines = 5, .max_queued_bytes = 1 << 20});
    ASSERT_TRUE(writer.Enqueue("first\n"));
    stalled->entered_.WaitForNotification();  // the writer holds "first" and is stuck in the sink
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(writer.Enqueue("queued\n"));
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(writer.Enqueue("dropped\n"));
    EXPECT_EQ(writer.dropped(), 3);
    release.Notify();
    writer.Flush();
    EXPECT_TRUE(writer.Enqueue("after\n"));  // room again
  }
  EXPECT_EQ(Content(), "first\nqueued\nqueued\nqueued\nqueued\nqueued\nafter\n");
  // Everything queued while the sink was stuck went out as one batch.
  ASSERT_GE(batches.size(), 2u);
  EXPECT_EQ(batches[1], 5u);
}

TEST_F(BatchWriterTest, QueueIsBoundedInBytesToo) {
  absl::Notification release;
  auto sink = std::make_unique<StallableFile>(File(), &release);
  StallableFile* stalled = sink.get();
  BatchWriter writer(std::move(sink), {.max_queued_lines = 1000, .max_queued_bytes = 100});
  ASSERT_TRUE(writer.Enqueue("x\n"));
  stalled->entered_.WaitForNotification();
  EXPECT_TRUE(writer.Enqueue(std::string(99, 'a') + "\n"));
  EXPECT_FALSE(writer.Enqueue("b\n"));
  EXPECT_EQ(writer.dropped(), 1);
  release.Notify();
}

TEST_F(BatchWriterTest, DestructionWritesWhatIsQueued) {
  {
    BatchWriter writer(File(), {});
    for (int i = 0; i < 100; ++i) writer.Enqueue("x\n");
  }
  EXPECT_EQ(Content().size(), 200u);
}

}  // namespace
}  // namespace skiff::apiserver::audit
