#include "agent/node/local_path_cleaner.h"

#include <filesystem>
#include <fstream>

#include "api/object_meta.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

TEST(LocalPathCleanerTest, OnlyDirectoriesDirectlyUnderTheRoot) {
  EXPECT_TRUE(IsLocalPathVolumeDir("/r/local-path", "/r/local-path/pvc-1_ns_data"));
  EXPECT_FALSE(IsLocalPathVolumeDir("/r/local-path", "/r/local-path/pvc-1/../../etc"));
  EXPECT_FALSE(IsLocalPathVolumeDir("/r/local-path", "/r/local-path/other"));
  EXPECT_FALSE(IsLocalPathVolumeDir("/r/local-path", "/r/local-pathx/pvc-1"));
  EXPECT_FALSE(IsLocalPathVolumeDir("", "/pvc-1"));
}

TEST(LocalPathCleanerTest, RemovesItsNodesDirectoryThenTheFinalizer) {
  fs::path root = fs::temp_directory_path() / ("skiff-local-path-" + std::to_string(::getpid()));
  fs::create_directories(root / "pvc-1_ns_a");
  fs::create_directories(root / "pvc-2_ns_b");
  std::ofstream(root / "pvc-1_ns_a" / "file") << "data";
  client::testing::FakeClient fake;
  const auto& pvs = client::Resource("", "v1", "persistentvolumes");
  auto add = [&](const std::string& name, const std::string& node, const std::string& dir) {
    json::value pv = json::object{
        {"metadata", {{"name", name},
                      {"annotations", {{"skiff.io/local-path-node", node}}},
                      {"finalizers", json::array{"kubernetes.io/pv-protection", "skiff.io/local-path-cleanup"}}}},
        {"spec", {{"hostPath", {{"path", (root / dir).string()}}}}}};
    ASSERT_TRUE(fake.Create(pvs, "", pv).ok());
    ASSERT_TRUE(fake.Delete(pvs, "", name).ok());
  };
  add("pvc-1", "n1", "pvc-1_ns_a");
  add("pvc-2", "n2", "pvc-2_ns_b");  // another node's
  client::SharedInformers informers(&fake);
  LocalPathCleaner cleaner(&fake, &informers, "n1", root.string());
  cleaner.Start();
  informers.Start();
  ASSERT_TRUE(base::testing::WaitFor([&] {
    client::Object pv = fake.Peek(pvs, "", "pvc-1");
    return pv && !api::HasFinalizer(*pv, "skiff.io/local-path-cleanup");
  }));
  EXPECT_FALSE(fs::exists(root / "pvc-1_ns_a"));
  EXPECT_EQ(api::Finalizers(*fake.Peek(pvs, "", "pvc-1")), std::vector<std::string>{"kubernetes.io/pv-protection"});
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(fs::exists(root / "pvc-2_ns_b"));
  EXPECT_TRUE(api::HasFinalizer(*fake.Peek(pvs, "", "pvc-2"), "skiff.io/local-path-cleanup"));
  cleaner.Stop();
  informers.Stop();
  fs::remove_all(root);
}

}  // namespace
}  // namespace skiff::agent::node
