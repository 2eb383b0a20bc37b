#include "agent/server/cri_log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "gtest/gtest.h"

namespace skiff::agent::server {
namespace {

class CriLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cri_log_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/0.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& text, bool append = false) {
    std::ofstream out(path_, append ? std::ios::app : std::ios::trunc);
    out << text;
  }

  std::string Read(const LogOptions& options) {
    std::string out;
    absl::Status s = StreamLog(
        path_, options,
        [&](std::string_view d) {
          out.append(d);
          return true;
        },
        nullptr, nullptr);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::string dir_;
  std::string path_;
};

constexpr char kThreeLines[] =
    "2024-05-01T10:00:00.000000001Z stdout F one\n"
    "2024-05-01T10:00:01.5Z stderr F two\n"
    "2024-05-01T10:00:02Z stdout F three\n";

TEST(ParseCriLogLineTest, ParsesFields) {
  auto e = ParseCriLogLine("2024-05-01T10:00:00.123456789Z stderr P hello world");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->timestamp, "2024-05-01T10:00:00.123456789Z");
  EXPECT_EQ(e->stream, "stderr");
  EXPECT_TRUE(e->partial);
  EXPECT_EQ(e->message, "hello world");
  EXPECT_EQ(absl::ToUnixNanos(e->time), 1714557600123456789);
}

TEST(ParseCriLogLineTest, EmptyMessageAndOffsets) {
  auto e = ParseCriLogLine("2024-05-01T12:00:00+02:00 stdout F");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->message, "");
  EXPECT_FALSE(e->partial);
  EXPECT_EQ(absl::ToUnixSeconds(e->time), 1714557600);
}

TEST(ParseCriLogLineTest, RejectsGarbage) {
  EXPECT_FALSE(ParseCriLogLine("hello").ok());
  EXPECT_FALSE(ParseCriLogLine("notatime stdout F x").ok());
  EXPECT_FALSE(ParseCriLogLine("2024-05-01T10:00:00Z stdin F x").ok());
  EXPECT_FALSE(ParseCriLogLine("2024-05-01T10:00:00Z stdout X x").ok());
}

TEST(ParseLogOptionsTest, ReadsKubeletParameters) {
  std::map<std::string, std::string> q = {{"follow", "true"},   {"timestamps", "1"},  {"tailLines", "5"},
                                          {"limitBytes", "10"}, {"previous", "True"}, {"sinceSeconds", "60"}};
  auto lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = q.find(n);
    if (it == q.end()) return std::nullopt;
    return it->second;
  };
  absl::Time now = absl::FromUnixSeconds(1000);
  auto o = ParseLogOptions(lookup, now);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->follow);
  EXPECT_TRUE(o->timestamps);
  EXPECT_TRUE(o->previous);
  EXPECT_EQ(o->tail_lines, 5);
  EXPECT_EQ(o->limit_bytes, 10);
  EXPECT_EQ(o->since, absl::FromUnixSeconds(940));
  q["tailLines"] = "x";
  EXPECT_FALSE(ParseLogOptions(lookup, now).ok());
  q["tailLines"] = "1";
  q["sinceTime"] = "yesterday";
  EXPECT_FALSE(ParseLogOptions(lookup, now).ok());
}

TEST_F(CriLogTest, PlainAndTimestamps) {
  Write(kThreeLines);
  EXPECT_EQ(Read({}), "one\ntwo\nthree\n");
  LogOptions o;
  o.timestamps = true;
  EXPECT_EQ(Read(o),
            "2024-05-01T10:00:00.000000001Z one\n2024-05-01T10:00:01.5Z two\n2024-05-01T10:00:02Z three\n");
}

TEST_F(CriLogTest, PartialLinesAreJoined) {
  Write(
      "2024-05-01T10:00:00Z stdout P hel\n"
      "2024-05-01T10:00:00Z stdout P lo \n"
      "2024-05-01T10:00:01Z stdout F world\n"
      "2024-05-01T10:00:02Z stdout F next\n");
  EXPECT_EQ(Read({}), "hello world\nnext\n");
  LogOptions o;
  o.timestamps = true;
  EXPECT_EQ(Read(o), "2024-05-01T10:00:00Z hello world\n2024-05-01T10:00:02Z next\n");
}

TEST_F(CriLogTest, TailCountsLogicalLines) {
  Write(
      "2024-05-01T10:00:00Z stdout F a\n"
      "2024-05-01T10:00:01Z stdout P b1\n"
      "2024-05-01T10:00:01Z stdout F b2\n"
      "2024-05-01T10:00:02Z stdout F c\n");
  LogOptions o;
  o.tail_lines = 2;
  EXPECT_EQ(Read(o), "b1b2\nc\n");
  o.tail_lines = 1;
  EXPECT_EQ(Read(o), "c\n");
  o.tail_lines = 0;
  EXPECT_EQ(Read(o), "");
  o.tail_lines = 10;
  EXPECT_EQ(Read(o), "a\nb1b2\nc\n");
}

TEST_F(CriLogTest, TailWithTrailingPartialLine) {
  Write(
      "2024-05-01T10:00:00Z stdout F a\n"
      "2024-05-01T10:00:01Z stdout F b\n"
      "2024-05-01T10:00:02Z stdout P unfinished\n");
  LogOptions o;
  o.tail_lines = 2;
  EXPECT_EQ(Read(o), "b\nunfinished");
  o.tail_lines = 1;
  EXPECT_EQ(Read(o), "unfinished");
}

TEST_F(CriLogTest, TailOffsetOfEmptyFile) {
  Write("");
  auto offset = TailStartOffset(path_, 3);
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, 0);
  EXPECT_EQ(TailStartOffset(dir_ + "/missing.log", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CriLogTest, SinceSkipsOlderEntries) {
  Write(kThreeLines);
  LogOptions o;
  o.since = absl::FromUnixSeconds(1714557601);  // 10:00:01Z
  EXPECT_EQ(Read(o), "two\nthree\n");
}

TEST_F(CriLogTest, LimitBytesCutsOutputIncludingPrefixes) {
  Write(kThreeLines);
  LogOptions o;
  o.limit_bytes = 6;
  EXPECT_EQ(Read(o), "one\ntw");
  o.timestamps = true;
  o.limit_bytes = 33;
  EXPECT_EQ(Read(o), "2024-05-01T10:00:00.000000001Z on");
}

TEST_F(CriLogTest, IncompleteLastLineWaitsForItsNewline) {
  Write("2024-05-01T10:00:00Z stdout F done\n2024-05-01T10:00:01Z stdout F half");
  EXPECT_EQ(Read({}), "done\n");
}

TEST_F(CriLogTest, FollowStreamsUntilTheContainerStops) {
  Write("2024-05-01T10:00:00Z stdout F first\n");
  std::atomic<bool> running{true};
  std::string out;
  std::mutex mu;
  std::thread reader([&] {
    LogOptions o;
    o.follow = true;
    absl::Status s = StreamLog(
        path_, o,
        [&](std::string_view d) {
          std::lock_guard<std::mutex> lock(mu);
          out.append(d);
          return true;
        },
        [&] { return running.load(); }, nullptr, absl::Milliseconds(5));
    EXPECT_TRUE(s.ok());
  });
  auto seen = [&](const std::string& want) {
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (out == want) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  EXPECT_TRUE(seen("first\n"));
  Write("2024-05-01T10:00:01Z stdout F sec", true);
  Write("ond-written-in-pieces", true);
  Write("\n2024-05-01T10:00:02Z stdout F third\n", true);
  EXPECT_TRUE(seen("first\nsecond-written-in-pieces\nthird\n")) << out;
  // Written just before the container stops: still delivered.
  Write("2024-05-01T10:00:03Z stdout F last words\n", true);
  running = false;
  reader.join();
  EXPECT_EQ(out, "first\nsecond-written-in-pieces\nthird\nlast words\n");
}

TEST_F(CriLogTest, FollowStopsOnRequestAndWhenEmitRefuses) {
  Write(kThreeLines);
  std::atomic<bool> stop{false};
  LogOptions o;
  o.follow = true;
  int calls = 0;
  absl::Status s = StreamLog(
      path_, o,
      [&](std::string_view) {
        ++calls;
        return false;
      },
      [] { return true; }, &stop, absl::Milliseconds(5));
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 1);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    stop = true;
  });
  s = StreamLog(
      path_, o, [](std::string_view) { return true; }, [] { return true; }, &stop, absl::Milliseconds(5));
  stopper.join();
  EXPECT_TRUE(s.ok());
}

}  // namespace
}  // namespace skiff::agent::server
