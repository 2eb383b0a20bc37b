#include "agent/kubelet/images_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "CLI/CLI.hpp"

namespace skiff::agent::kubelet {
namespace {

using ::testing::HasSubstr;

TEST(ImagesCommandTest, HumanSizeUsesDecimalUnits) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(999), "999B");
  EXPECT_EQ(HumanSize(1000), "1kB");
  EXPECT_EQ(HumanSize(1234567), "1.235MB");
  EXPECT_EQ(HumanSize(312000000), "312MB");
}

TEST(ImagesCommandTest, TableHasOneRowPerTagSorted) {
  cri::v1::ListImagesResponse images;
  auto* busybox = images.add_images();
  busybox->set_id("sha256:0123456789abcdef0123");
  busybox->add_repo_tags("skiff.local/busybox:1.35");
  busybox->add_repo_tags("localhost:5000/busybox");
  busybox->set_size(1200000);
  auto* pause = images.add_images();
  pause->set_id("sha256:fedcba9876543210fedc");
  pause->add_repo_tags("skiff.local/pause:3.10");
  pause->set_size(800);
  auto* untagged = images.add_images();
  untagged->set_id("sha256:aaaaaaaaaaaaaaaaaaaa");
  untagged->add_repo_digests("docker.io/library/x@sha256:bbbb");
  untagged->set_size(5);
  std::string table = FormatImageTable(images);
  EXPECT_EQ(table,
            "REPOSITORY               TAG      IMAGE ID        SIZE\n"
            "docker.io/library/x      <none>   aaaaaaaaaaaaa   5B\n"
            "localhost:5000/busybox   <none>   0123456789abc   1.2MB\n"
            "skiff.local/busybox      1.35     0123456789abc   1.2MB\n"
            "skiff.local/pause        3.10     fedcba9876543   800B\n");
}

TEST(ImagesCommandTest, ParsesSubcommandsAndFailsWithoutSocket) {
  CLI::App app;
  ImagesFlags flags;
  AddImagesFlags(app.add_subcommand("images"), &flags);
  const char* import_args[] = {"skiff", "images", "import", "/tmp/x.tar", "--data-dir", "/nonexistent/agent"};
  app.parse(6, import_args);
  EXPECT_EQ(flags.action, ImagesAction::kImport);
  EXPECT_EQ(flags.archive, "/tmp/x.tar");
  EXPECT_EQ(flags.data_dir, "/nonexistent/agent");
  EXPECT_EQ(ImagesSocket(flags.data_dir), "/nonexistent/agent/containerd/containerd.sock");
  EXPECT_EQ(RunImages(flags), 1);  // no containerd there

  CLI::App app2;
  ImagesFlags list_flags;
  AddImagesFlags(app2.add_subcommand("images"), &list_flags);
  const char* list_args[] = {"skiff", "images", "ls"};
  app2.parse(3, list_args);
  EXPECT_EQ(list_flags.action, ImagesAction::kList);
  EXPECT_EQ(list_flags.data_dir, kDefaultAgentDataDir);
  EXPECT_EQ(RunImages(ImagesFlags{}), 1);
}

}  // namespace
}  // namespace skiff::agent::kubelet
