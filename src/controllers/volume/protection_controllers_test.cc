#include "api/object_meta.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "controllers/volume/pv_protection_controller.h"
#include "controllers/volume/pvc_protection_controller.h"
#include "controllers/volume/volume_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }

class PvcProtectionTest : public testing::ControllerTest<PvcProtectionController> {};

TEST_F(PvcProtectionTest, ClaimGoesOnlyWhenNoActivePodUsesIt) {
  Add(Claims(), "ns", Json(R"({"metadata":{"name":"data","finalizers":["kubernetes.io/pvc-protection"]}})"));
  Add(Claims(), "ns", Json(R"({"metadata":{"name":"free","finalizers":["kubernetes.io/pvc-protection"]}})"));
  Add(Pods(), "ns", Json(R"({"metadata":{"name":"user"},"spec":{"volumes":[
      {"name":"v","persistentVolumeClaim":{"claimName":"data"}}]},"status":{"phase":"Running"}})"));
  Add(Pods(), "ns", Json(R"({"metadata":{"name":"done"},"spec":{"volumes":[
      {"name":"v","persistentVolumeClaim":{"claimName":"free"}}]},"status":{"phase":"Succeeded"}})"));
  StartController();
  ASSERT_TRUE(fake_.Delete(Claims(), "ns", "data").ok());
  ASSERT_TRUE(fake_.Delete(Claims(), "ns", "free").ok());
  ASSERT_TRUE(WaitFor([&] { return fake_.Peek(Claims(), "ns", "free") == nullptr; }));
  absl::SleepFor(absl::Milliseconds(200));
  client::Object held = fake_.Peek(Claims(), "ns", "data");
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(api::IsBeingDeleted(*held));
  ASSERT_TRUE(fake_.Delete(Pods(), "ns", "user").ok());
  ASSERT_TRUE(WaitFor([&] { return fake_.Peek(Claims(), "ns", "data") == nullptr; }));
}

class PvProtectionTest : public testing::ControllerTest<PvProtectionController> {};

TEST_F(PvProtectionTest, BoundVolumeStaysUntilReleased) {
  Add(Volumes(), "",
      Json(R"({"metadata":{"name":"pv","finalizers":["kubernetes.io/pv-protection"]},"status":{"phase":"Bound"}})"));
  StartController();
  ASSERT_TRUE(fake_.Delete(Volumes(), "", "pv").ok());
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_NE(fake_.Peek(Volumes(), "", "pv"), nullptr);
  json::value pv = *fake_.Peek(Volumes(), "", "pv");
  pv.at("status").as_object()["phase"] = "Released";
  ASSERT_TRUE(fake_.Update(Volumes(), "", pv, "status").ok());
  ASSERT_TRUE(WaitFor([&] { return fake_.Peek(Volumes(), "", "pv") == nullptr; }));
}

}  // namespace
}  // namespace skiff::controllers::volume
