#include "bench_util.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace skiff::bench {
namespace {

TEST(PercentileTest, NearestRank) {
  std::vector<int64_t> sorted;
  for (int i = 1; i <= 100; ++i) sorted.push_back(i);
  EXPECT_EQ(Percentile(sorted, 50), 50);
  EXPECT_EQ(Percentile(sorted, 99), 99);
  EXPECT_EQ(Percentile(sorted, 100), 100);
  EXPECT_EQ(Percentile(sorted, 0), 1);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
}

TEST(SummarizeTest, SortsAndAverages) {
  LatencySummary s = Summarize({30, 10, 20, 40});
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.p50_ns, 20);
  EXPECT_EQ(s.p99_ns, 40);
  EXPECT_EQ(s.max_ns, 40);
  EXPECT_EQ(s.mean_ns, 25);
}

TEST(FindIntFieldTest, QuotedAndBare) {
  EXPECT_EQ(FindIntField(R"({"data":{"sentNs":"123456789"}})", "sentNs"), 123456789);
  EXPECT_EQ(FindIntField(R"({"n":-42,"m":1})", "n"), -42);
  // managedFields spell the key "f:sentNs"; that must not match.
  EXPECT_EQ(FindIntField(R"({"f:sentNs":{}})", "sentNs"), std::nullopt);
  EXPECT_EQ(FindIntField(R"({"sentNs":"abc"})", "sentNs"), std::nullopt);
  EXPECT_EQ(FindIntField("{}", "sentNs"), std::nullopt);
}

TEST(MakePayloadTest, SizeAndAlphabet) {
  std::string payload = MakePayload(1024, 3);
  ASSERT_EQ(payload.size(), 1024u);
  for (char ch : payload) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch))) << ch;
  EXPECT_NE(payload, MakePayload(1024, 4));
  EXPECT_EQ(payload, MakePayload(1024, 3));
  EXPECT_NE(payload.find_first_not_of(payload[0]), std::string::npos);
}

TEST(ProcTest, ReadsOwnProcess) {
  auto rss = ReadProcStatusKb(getpid(), "VmRSS");
  ASSERT_TRUE(rss.ok()) << rss.status();
  EXPECT_GT(*rss, 0);
  auto writes = ReadProcIo(getpid(), "write_bytes");
  ASSERT_TRUE(writes.ok()) << writes.status();
  EXPECT_GE(*writes, 0);
  EXPECT_FALSE(ReadProcStatusKb(getpid(), "NoSuchField").ok());
  auto before = ReadProcCpuSeconds(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  volatile uint64_t spin = 0;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100)) spin = spin + 1;
  auto after = ReadProcCpuSeconds(getpid());
  ASSERT_TRUE(after.ok());
  EXPECT_GT(*after, *before);  // clock ticks are 10 ms; 100 ms of spinning must show
  EXPECT_FALSE(ReadProcCpuSeconds(999999999).ok());
}

TEST(MachineInfoTest, HasCpus) {
  MachineInfo info = ReadMachineInfo();
  EXPECT_GT(info.cpus, 0);
  EXPECT_GT(info.mem_total_kb, 0);
  EXPECT_FALSE(info.cpu_model.empty());
}

TEST(ReportTest, AlignsKeys) {
  Report report("title");
  report.Section("s");
  report.Add("a", "1");
  report.Add("longer", "2");
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  report.Print(out);
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_NE(text.find("== title =="), std::string::npos);
  EXPECT_NE(text.find("  a       1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  longer  2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace skiff::bench
