#include "scheduler/volume_binding.h"

#include "api/object_meta.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/fake_client.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"
#include "scheduler/filters.h"
#include "scheduler/scheduler.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

namespace json = boost::json;
using testing::Json;
using testing::MakeNode;
using testing::Obj;

const api::ResourceInfo& Claims() { return client::Resource("", "v1", "persistentvolumeclaims"); }
const api::ResourceInfo& Volumes() { return client::Resource("", "v1", "persistentvolumes"); }
const api::ResourceInfo& Classes() { return client::Resource("storage.k8s.io", "v1", "storageclasses"); }

client::Object PodWithClaims(const std::vector<std::string>& claims) {
  json::value pod = Json(R"({"metadata":{"name":"p","namespace":"ns","uid":"pu"},"spec":{"containers":[{"name":"c"}]}})");
  json::array volumes;
  for (const auto& c : claims) volumes.push_back(json::object{{"name", c}, {"persistentVolumeClaim", {{"claimName", c}}}});
  pod.at("spec").as_object()["volumes"] = std::move(volumes);
  return Obj(std::move(pod));
}

std::string Affinity(const std::string& host) {
  return R"(,"nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[
      {"key":"kubernetes.io/hostname","operator":"In","values":[")" + host + R"("]}]}]}})";
}

class VolumeBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put(Classes(), R"({"metadata":{"name":"wait"},"provisioner":"skiff.io/local-path","volumeBindingMode":"WaitForFirstConsumer"})");
    Put(Classes(), R"({"metadata":{"name":"local"},"provisioner":"kubernetes.io/no-provisioner","volumeBindingMode":"WaitForFirstConsumer"})");
    Put(Classes(), R"({"metadata":{"name":"now"},"provisioner":"example.com/x","volumeBindingMode":"Immediate"})");
    Put(Volumes(), R"({"metadata":{"name":"bound-pv"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],
        "storageClassName":"now","claimRef":{"namespace":"ns","name":"bound"})" + Affinity("n2") + "}}");
    Put(Volumes(), R"({"metadata":{"name":"local-pv"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],
        "storageClassName":"local")" + Affinity("n3") + R"(},"status":{"phase":"Available"}})");
    Put(Claims(), Claim("bound", "now", R"(,"volumeName":"bound-pv")"));
    Put(Claims(), Claim("later", "wait"));
    Put(Claims(), Claim("static", "local"));
    Put(Claims(), Claim("immediate", "now"));
    informers_.emplace(&fake_);
    binding_.emplace(&*informers_);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  static std::string Claim(const std::string& name, const std::string& cls, const std::string& extra = "") {
    return R"({"metadata":{"name":")" + name + R"(","namespace":"ns"},"spec":{"accessModes":["ReadWriteOnce"],
        "storageClassName":")" + cls + R"(","resources":{"requests":{"storage":"1Gi"}})" + extra + "}}";
  }
  void Put(const api::ResourceInfo& r, const std::string& text) { fake_.Put(r, Json(text)); }
  // The filter verdict for node `name` of the pod constrained by `decision`.
  FilterResult On(const std::string& node, const VolumeBinding::Decision& decision) {
    auto info = std::make_shared<PodInfo>(*MakePodInfo(PodWithClaims({})));
    info->volume_constraints = decision.constraints;
    auto node_info = std::make_shared<NodeInfo>(node);
    node_info->SetNode(MakeNode(node));
    return FilterVolumeBinding(*info, *node_info);
  }

  client::testing::FakeClient fake_;
  std::optional<client::SharedInformers> informers_;
  std::optional<VolumeBinding> binding_;
};

TEST_F(VolumeBindingTest, BoundVolumeAffinityPinsTheNode) {
  auto decision = binding_->Check(*MakePodInfo(PodWithClaims({"bound"})));
  ASSERT_EQ(decision.unschedulable, "");
  EXPECT_TRUE(decision.claims_to_place.empty());
  EXPECT_TRUE(On("n2", decision).ok());
  FilterResult r = On("n1", decision);
  EXPECT_EQ(r.plugin, "VolumeBinding");
  EXPECT_EQ(r.reasons, std::vector<std::string>{"node(s) had volume node affinity conflict"});
}

TEST_F(VolumeBindingTest, DelayedClaimsAreProvisionedAnywhereOrNeedAStaticVolumeThere) {
  auto dynamic = binding_->Check(*MakePodInfo(PodWithClaims({"later"})));
  EXPECT_EQ(dynamic.claims_to_place, std::vector<std::string>{"later"});
  EXPECT_TRUE(dynamic.constraints.empty());
  auto local = binding_->Check(*MakePodInfo(PodWithClaims({"static"})));
  EXPECT_EQ(local.claims_to_place, std::vector<std::string>{"static"});
  EXPECT_TRUE(On("n3", local).ok());
  EXPECT_EQ(On("n1", local).reasons, std::vector<std::string>{"node(s) didn't find available persistent volumes to bind"});
}

TEST_F(VolumeBindingTest, MissingAndImmediateUnboundClaimsBlockThePod) {
  EXPECT_EQ(binding_->Check(*MakePodInfo(PodWithClaims({"nope"}))).unschedulable,
            "persistentvolumeclaim \"nope\" not found");
  EXPECT_EQ(binding_->Check(*MakePodInfo(PodWithClaims({"later", "immediate"}))).unschedulable,
            "pod has unbound immediate PersistentVolumeClaims");
}

TEST(SchedulerVolumeTest, AnnotatesTheClaimAndBindsThePodOnceTheClaimIsBound) {
  client::testing::TestApiServer server;
  client::Client* c = server.client();
  client::SharedInformers informers(c);
  Scheduler scheduler(client::ControllerContext{c, &informers, nullptr});
  scheduler.Start();
  informers.Start();
  ASSERT_TRUE(informers.WaitForSync(absl::Seconds(10)));
  json::value node = *MakeNode("n1");
  auto made = c->Create(client::Resource("", "v1", "nodes"), "", node);
  ASSERT_TRUE(made.ok()) << made.status();
  json::value with_status = **made;
  with_status.as_object()["status"] = node.at("status");
  ASSERT_TRUE(c->Update(client::Resource("", "v1", "nodes"), "", with_status, "status").ok());
  ASSERT_TRUE(c->Create(Classes(), "", Json(R"({"metadata":{"name":"wait"},"provisioner":"skiff.io/local-path",
      "volumeBindingMode":"WaitForFirstConsumer"})")).ok());
  ASSERT_TRUE(c->Create(Claims(), "default", Json(R"({"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
      "storageClassName":"wait","resources":{"requests":{"storage":"1Gi"}}}})")).ok());
  json::value pod = *PodWithClaims({"data"});
  pod.at("metadata").as_object().erase("uid");
  pod.at("metadata").as_object().erase("namespace");
  pod.at("spec").at("containers").at(0).as_object()["image"] = "busybox";
  ASSERT_TRUE(c->Create(client::Resource("", "v1", "pods"), "default", pod).ok()) ;
  auto claim_selected = [&] {
    auto got = c->Get(Claims(), "default", "data");
    return got.ok() && api::Annotation(**got, "volume.kubernetes.io/selected-node") == "n1";
  };
  ASSERT_TRUE(base::testing::WaitFor(claim_selected, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(300));
  auto pod_node = [&] {
    auto got = c->Get(client::Resource("", "v1", "pods"), "default", "p");
    return got.ok() ? base::GetString(**got, {"spec", "nodeName"}) : "";
  };
  EXPECT_EQ(pod_node(), "");  // waits for the claim
  json::value bound = **c->Get(Claims(), "default", "data");
  bound.at("spec").as_object()["volumeName"] = "pv-1";
  base::EnsureObject(bound, {"metadata", "annotations"})["pv.kubernetes.io/bind-completed"] = "yes";
  ASSERT_TRUE(c->Update(Claims(), "default", bound).ok());
  ASSERT_TRUE(base::testing::WaitFor([&] { return pod_node() == "n1"; }, absl::Seconds(10)));
  scheduler.Stop();
  informers.Stop();
}

}  // namespace
}  // namespace skiff::scheduler
