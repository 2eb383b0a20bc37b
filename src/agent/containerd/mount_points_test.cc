#include "agent/containerd/mount_points.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

using ::testing::ElementsAre;

TEST(PathIsUnderTest, ComparesWholeComponents) {
  EXPECT_TRUE(PathIsUnder("/a/b", "/a/b"));
  EXPECT_TRUE(PathIsUnder("/a/b/c", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a/bc", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/x", ""));
}

TEST(MountPointsUnderTest, FiltersDecodesAndOrdersDeepestFirst) {
  std::string mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:40 / /d/containerd/state/x/rootfs rw - overlay overlay rw\n"
      "41 22 0:41 / /d/containerd/state/x/rootfs/dev/shm rw - tmpfs shm rw\n"
      "42 22 0:42 / /d/pods/with\\040space rw - tmpfs tmpfs rw\n"
      "43 22 0:43 / /dx/other rw - tmpfs tmpfs rw\n"
      "44 22 0:44 / /d rw - tmpfs tmpfs rw\n";
  EXPECT_THAT(MountPointsUnder(mountinfo, "/d"),
              ElementsAre("/d/containerd/state/x/rootfs/dev/shm", "/d/containerd/state/x/rootfs",
                          "/d/pods/with space", "/d"));
}

}  // namespace
}  // namespace skiff::agent::containerd
