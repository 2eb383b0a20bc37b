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

TEST(HasCgroupMountTest, FindsCgroupV1OrV2ByFilesystemType) {
  const std::string v1 = "25 24 0:22 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory\n";
  const std::string v2 = "30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n";
  // What `ip netns exec` leaves: a fresh sysfs, nothing mounted below it.
  const std::string none =
      "22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:50 / /sys rw - sysfs skiff-mn-1 rw\n"
      "41 22 0:51 / /mnt/cgroup-notes rw - tmpfs cgroup rw\n";
  EXPECT_TRUE(HasCgroupMount(v1));
  EXPECT_TRUE(HasCgroupMount(v2));
  EXPECT_FALSE(HasCgroupMount(none));
  EXPECT_FALSE(HasCgroupMount(""));
}

}  // namespace
}  // namespace skiff::agent::containerd
