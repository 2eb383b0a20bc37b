#include "controllers/garbagecollector/garbage_collector.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

class GarbageCollectorTest : public testing::ControllerTest<GarbageCollector> {
 protected:
  void SetUp() override { StartController(GarbageCollector::Options{}); }

  const api::ResourceInfo& rs_ = client::Resource("apps", "v1", "replicasets");
  const api::ResourceInfo& cm_ = client::Resource("", "v1", "configmaps");

  std::string CreateOwner(const std::string& name) {
    auto obj = fake_.Create(rs_, "default", *base::ParseJson(R"({"metadata":{"name":")" + name + R"("}})"));
    EXPECT_TRUE(obj.ok());
    return base::GetString(**obj, {"metadata", "uid"});
  }
  static json::object Ref(const std::string& kind_api, const std::string& kind, const std::string& name,
                          const std::string& uid, bool block) {
    return json::object{{"apiVersion", kind_api}, {"kind", kind},
                        {"name", name},           {"uid", uid},
                        {"controller", true},     {"blockOwnerDeletion", block}};
  }
  void CreateDependent(const std::string& name, json::array refs) {
    json::value cm =
        json::object{{"metadata", json::object{{"name", name}, {"ownerReferences", std::move(refs)}}}};
    ASSERT_TRUE(fake_.Create(cm_, "default", std::move(cm)).ok());
  }
  bool Exists(const api::ResourceInfo& r, const std::string& name) {
    return fake_.Peek(r, "default", name) != nullptr;
  }
  size_t CallIndex(const std::string& call) {
    auto calls = fake_.Calls();
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i] == call) return i;
    }
    return calls.size();
  }
};

TEST_F(GarbageCollectorTest, WatchesEveryStoredResourceOnce) {
  auto resources = GarbageCollector::WatchedResources();
  int pods = 0;
  for (const auto* r : resources) {
    if (r->group.empty() && r->plural == "pods") ++pods;
    EXPECT_TRUE(r->stored);
  }
  EXPECT_EQ(pods, 1);
  EXPECT_GT(resources.size(), 20u);
}

TEST_F(GarbageCollectorTest, KeysNameResourceAndObject) {
  EXPECT_EQ(GarbageCollector::KeyOf(rs_, "ns", "web"), "apps/replicasets|ns/web");
  EXPECT_EQ(GarbageCollector::KeyOf(client::Resource("", "v1", "nodes"), "ns", "n1"), "core/nodes|n1");
}

TEST_F(GarbageCollectorTest, BackgroundDeletesDependentsOfGoneOwner) {
  std::string uid = CreateOwner("web");
  std::string other = CreateOwner("other");
  CreateDependent("a", {Ref("apps/v1", "ReplicaSet", "web", uid, true)});
  CreateDependent("b", {Ref("apps/v1", "ReplicaSet", "web", uid, false)});
  CreateDependent("shared", {Ref("apps/v1", "ReplicaSet", "web", uid, true),
                             Ref("apps/v1", "ReplicaSet", "other", other, true)});
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(Exists(cm_, "a"));  // owners alive: nothing happens

  ASSERT_TRUE(fake_.Delete(rs_, "default", "web", {.propagation_policy = "Background"}).ok());
  EXPECT_TRUE(WaitFor([&] { return !Exists(cm_, "a") && !Exists(cm_, "b"); }));
  // The dependent with another live owner stays, without the reference to the gone owner.
  ASSERT_TRUE(WaitFor([&] {
    auto obj = fake_.Peek(cm_, "default", "shared");
    return obj && base::FindPath(*obj, {"metadata", "ownerReferences"})->as_array().size() == 1;
  }));
  auto shared = fake_.Peek(cm_, "default", "shared");
  EXPECT_EQ(base::GetString(base::FindPath(*shared, {"metadata", "ownerReferences"})->as_array()[0], {"uid"}),
            other);
}

TEST_F(GarbageCollectorTest, DanglingReferenceAtCreationIsCollected) {
  CreateDependent("orphan-of-nothing", {Ref("apps/v1", "ReplicaSet", "never", "uid-never", false)});
  EXPECT_TRUE(WaitFor([&] { return !Exists(cm_, "orphan-of-nothing"); }));
}

TEST_F(GarbageCollectorTest, OwnerRecreatedWithNewUidDoesNotOwn) {
  CreateOwner("web");
  CreateDependent("stale", {Ref("apps/v1", "ReplicaSet", "web", "uid-of-an-older-web", false)});
  EXPECT_TRUE(WaitFor([&] { return !Exists(cm_, "stale"); }));
  EXPECT_TRUE(Exists(rs_, "web"));
}

TEST_F(GarbageCollectorTest, UnservedOwnerKindKeepsDependent) {
  CreateDependent("kept", {Ref("example.com/v1", "Widget", "w", "uid-w", false)});
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(Exists(cm_, "kept"));
}

TEST_F(GarbageCollectorTest, ForegroundDeletesBlockingDependentsBeforeOwner) {
  std::string uid = CreateOwner("web");
  CreateDependent("block", {Ref("apps/v1", "ReplicaSet", "web", uid, true)});
  CreateDependent("free", {Ref("apps/v1", "ReplicaSet", "web", uid, false)});
  ASSERT_TRUE(fake_.Delete(rs_, "default", "web", {.propagation_policy = "Foreground"}).ok());
  EXPECT_TRUE(WaitFor([&] { return !Exists(rs_, "web"); }));
  EXPECT_FALSE(Exists(cm_, "block"));
  EXPECT_TRUE(WaitFor([&] { return !Exists(cm_, "free"); }));
  // The finalizer was removed (the update of the owner) only after the blocking dependent was deleted.
  size_t dependent_deleted = CallIndex("delete configmaps default/block Background");
  size_t finalizer_removed = CallIndex("update replicasets default/web");
  ASSERT_LT(dependent_deleted, fake_.Calls().size());
  ASSERT_LT(finalizer_removed, fake_.Calls().size());
  EXPECT_LT(dependent_deleted, finalizer_removed);
}

TEST_F(GarbageCollectorTest, ForegroundWaitsWhileABlockingDependentCannotBeDeleted) {
  std::string uid = CreateOwner("web");
  CreateDependent("stuck", {Ref("apps/v1", "ReplicaSet", "web", uid, true)});
  fake_.Inject({.resource = "configmaps", .status = absl::UnavailableError("injected")});
  ASSERT_TRUE(fake_.Delete(rs_, "default", "web", {.propagation_policy = "Foreground"}).ok());
  absl::SleepFor(absl::Milliseconds(300));
  auto owner = fake_.Peek(rs_, "default", "web");
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(base::ToJson(*base::FindPath(*owner, {"metadata", "finalizers"})), R"(["foregroundDeletion"])");
  fake_.ClearFaults();
  EXPECT_TRUE(WaitFor([&] { return !Exists(rs_, "web") && !Exists(cm_, "stuck"); }, absl::Seconds(10)));
}

TEST_F(GarbageCollectorTest, OrphanRemovesReferencesThenFinalizer) {
  std::string uid = CreateOwner("web");
  std::string other = CreateOwner("other");
  CreateDependent("a", {Ref("apps/v1", "ReplicaSet", "web", uid, true)});
  CreateDependent("b", {Ref("apps/v1", "ReplicaSet", "web", uid, true),
                        Ref("apps/v1", "ReplicaSet", "other", other, false)});
  ASSERT_TRUE(fake_.Delete(rs_, "default", "web", {.propagation_policy = "Orphan"}).ok());
  EXPECT_TRUE(WaitFor([&] { return !Exists(rs_, "web"); }));
  auto a = fake_.Peek(cm_, "default", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(base::FindPath(*a, {"metadata", "ownerReferences"}), nullptr);
  auto b = fake_.Peek(cm_, "default", "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(base::FindPath(*b, {"metadata", "ownerReferences"})->as_array().size(), 1u);
  // Still there a moment later: orphans are not collected.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(Exists(cm_, "a"));
}

TEST_F(GarbageCollectorTest, ClusterScopedOwnerOfNamespacedDependents) {
  const auto& nodes = client::Resource("", "v1", "nodes");
  auto node = fake_.Create(nodes, "", *base::ParseJson(R"({"metadata":{"name":"n1"}})"));
  ASSERT_TRUE(node.ok());
  CreateDependent("on-node", {Ref("v1", "Node", "n1", base::GetString(**node, {"metadata", "uid"}), false)});
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(Exists(cm_, "on-node"));
  ASSERT_TRUE(fake_.Delete(nodes, "", "n1").ok());
  EXPECT_TRUE(WaitFor([&] { return !Exists(cm_, "on-node"); }));
}

}  // namespace
}  // namespace skiff::controllers
