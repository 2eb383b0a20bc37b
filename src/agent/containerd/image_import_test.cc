#include "agent/containerd/image_import.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

using ::testing::ElementsAre;

TEST(ParseImportedNamesTest, ReadsCtrOutput) {
  EXPECT_THAT(ParseImportedNames("unpacking skiff.local/pause:3.10 (sha256:abc)...done\n"
                                 "unpacking docker.io/library/x:1 (sha256:def)...done\n"),
              ElementsAre("skiff.local/pause:3.10", "docker.io/library/x:1"));
  EXPECT_TRUE(ParseImportedNames("ctr: something failed\n").empty());
}

}  // namespace
}  // namespace skiff::agent::containerd
