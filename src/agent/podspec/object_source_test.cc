#include "agent/podspec/object_source.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "client/testing/test_api_server.h"

namespace skiff::agent::podspec {
namespace {

TEST(ClientObjectSourceTest, ReadsObjectsAndRewordsNotFound) {
  client::testing::TestApiServer server;
  auto cm =
      base::ParseJson(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"k":"v"}})");
  ASSERT_TRUE(server.client()->Create(client::Resource("", "v1", "configmaps"), "default", *cm).ok());
  ClientObjectSource source(server.client());
  auto got = source.Get(ObjectKind::kConfigMap, "default", "cfg");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(base::GetString(**got, {"data", "k"}), "v");
  auto missing = source.Get(ObjectKind::kSecret, "default", "nope");
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(), "secret \"nope\" not found");
  auto pv = source.Get(ObjectKind::kPersistentVolume, "ignored", "pv");
  EXPECT_EQ(pv.status().message(), "persistentvolume \"pv\" not found");
}

TEST(MapObjectSourceTest, AddReplaceRemove) {
  MapObjectSource source;
  source.Add(ObjectKind::kSecret,
             base::ParseJson(R"({"metadata":{"name":"s","namespace":"a"},"data":{}})").value());
  EXPECT_TRUE(source.Get(ObjectKind::kSecret, "a", "s").ok());
  EXPECT_FALSE(source.Get(ObjectKind::kSecret, "b", "s").ok());
  EXPECT_FALSE(source.Get(ObjectKind::kConfigMap, "a", "s").ok());
  source.Remove(ObjectKind::kSecret, "a", "s");
  EXPECT_TRUE(absl::IsNotFound(source.Get(ObjectKind::kSecret, "a", "s").status()));
}

}  // namespace
}  // namespace skiff::agent::podspec
