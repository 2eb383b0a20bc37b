#include "controllers/volume/local_path_resizer.h"

#include <memory>
#include <string>
#include <vector>

#include "api/object_meta.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/event_recorder.h"
#include "controllers/testing/controller_test.h"
#include "controllers/volume/volume_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

json::value BoundClaim(const std::string& request, const std::string& capacity) {
  return Json(R"({"metadata":{"name":"data","namespace":"ns","uid":"u-1"},"spec":{"accessModes":["ReadWriteOnce"],
      "storageClassName":"local-path","volumeName":"pvc-u-1","resources":{"requests":{"storage":")" +
              request + R"("}}},"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":")" +
              capacity + R"("}}})");
}

json::value Volume(const std::string& provisioned_by) {
  return Json(R"({"metadata":{"name":"pvc-u-1","annotations":{"pv.kubernetes.io/provisioned-by":")" + provisioned_by +
              R"("}},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],
      "claimRef":{"namespace":"ns","name":"data"},"hostPath":{"path":"/x"}}})");
}

TEST(LocalPathResizerStatusTest, InProgressThenFinished) {
  json::value started = MarkResizeInProgress(BoundClaim("2Gi", "1Gi"), "2Gi", absl::FromUnixSeconds(0));
  const json::value& condition = base::FindPath(started, {"status", "conditions"})->at(0);
  EXPECT_EQ(base::GetString(condition, {"type"}), "Resizing");
  EXPECT_EQ(base::GetString(condition, {"status"}), "True");
  EXPECT_EQ(base::GetString(condition, {"lastTransitionTime"}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(base::GetString(started, {"status", "allocatedResources", "storage"}), "2Gi");
  EXPECT_EQ(base::GetString(started, {"status", "allocatedResourceStatuses", "storage"}), "ControllerResizeInProgress");
  EXPECT_EQ(base::GetString(started, {"status", "capacity", "storage"}), "1Gi");

  json::value finished = MarkResizeFinished(started, "2Gi");
  EXPECT_EQ(base::GetString(finished, {"status", "capacity", "storage"}), "2Gi");
  EXPECT_EQ(base::GetString(finished, {"status", "allocatedResources", "storage"}), "2Gi");
  EXPECT_EQ(base::FindPath(finished, {"status", "conditions"}), nullptr);
  EXPECT_EQ(base::FindPath(finished, {"status", "allocatedResourceStatuses"}), nullptr);
}

class LocalPathResizerTest : public testing::ControllerTest<LocalPathResizer> {
 protected:
  void StartController() {
    events_ = std::make_unique<client::EventRecorder>(&fake_, client::EventRecorder::Options{.component = "x"});
    recorder_ = events_.get();
    ControllerTest::StartController();
  }
  void TearDown() override {
    ControllerTest::TearDown();
    events_.reset();
  }
  std::vector<std::string> Events() {
    events_->Flush();
    std::vector<std::string> out;
    auto list = fake_.List(client::Resource("", "v1", "events"), "ns", {});
    if (!list.ok()) return out;
    for (const auto& e : list->items) {
      out.push_back(base::GetString(*e, {"source", "component"}) + " " + base::GetString(*e, {"reason"}) + ": " +
                    base::GetString(*e, {"message"}));
    }
    return out;
  }
  std::string ClaimCapacity() {
    client::Object claim = fake_.Peek(Claims(), "ns", "data");
    return claim ? base::GetString(*claim, {"status", "capacity", "storage"}) : "";
  }
  std::string VolumeCapacity() {
    client::Object pv = fake_.Peek(Volumes(), "", "pvc-u-1");
    return pv ? base::GetString(*pv, {"spec", "capacity", "storage"}) : "";
  }
  std::unique_ptr<client::EventRecorder> events_;
};

TEST_F(LocalPathResizerTest, ExpandsTheVolumeThenTheClaim) {
  Add(Volumes(), "", Volume(kLocalPathProvisioner));
  Add(Claims(), "ns", BoundClaim("1Gi", "1Gi"));
  StartController();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(fake_.CountCalls("update persistentvolumes"), 0);  // nothing asked
  json::value claim = *fake_.Peek(Claims(), "ns", "data");
  claim.at("spec").at("resources").at("requests").as_object()["storage"] = "3Gi";
  ASSERT_TRUE(fake_.Update(Claims(), "ns", claim).ok());
  ASSERT_TRUE(WaitFor([&] { return ClaimCapacity() == "3Gi"; }));
  EXPECT_EQ(VolumeCapacity(), "3Gi");
  client::Object done = fake_.Peek(Claims(), "ns", "data");
  EXPECT_EQ(base::GetString(*done, {"status", "allocatedResources", "storage"}), "3Gi");
  EXPECT_EQ(base::FindPath(*done, {"status", "conditions"}), nullptr);
  EXPECT_EQ(base::FindPath(*done, {"status", "allocatedResourceStatuses"}), nullptr);
  ASSERT_TRUE(WaitFor([&] { return Events().size() == 2; }));
  EXPECT_EQ(Events(), (std::vector<std::string>{
                          "external-resizer skiff.io/local-path Resizing: External resizer is resizing volume pvc-u-1",
                          "external-resizer skiff.io/local-path VolumeResizeSuccessful: Resize volume succeeded"}));
}

TEST_F(LocalPathResizerTest, FinishesAResizeLeftHalfDone) {
  // A restart after the PV grew: the claim still says Resizing.
  json::value pv = Volume(kLocalPathProvisioner);
  pv.at("spec").at("capacity").as_object()["storage"] = "2Gi";
  Add(Volumes(), "", pv);
  Add(Claims(), "ns", MarkResizeInProgress(BoundClaim("2Gi", "1Gi"), "2Gi", absl::Now()));
  StartController();
  ASSERT_TRUE(WaitFor([&] { return ClaimCapacity() == "2Gi"; }));
  EXPECT_EQ(fake_.CountCalls("update persistentvolumes"), 0);
  EXPECT_EQ(base::FindPath(*fake_.Peek(Claims(), "ns", "data"), {"status", "conditions"}), nullptr);
}

TEST_F(LocalPathResizerTest, LeavesOtherProvisionersVolumesAlone) {
  Add(Volumes(), "", Volume("example.com/nfs"));
  Add(Claims(), "ns", BoundClaim("3Gi", "1Gi"));
  StartController();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(ClaimCapacity(), "1Gi");
  EXPECT_EQ(VolumeCapacity(), "1Gi");
  EXPECT_EQ(fake_.CountCalls("update-status persistentvolumeclaims"), 0);
}

}  // namespace
}  // namespace skiff::controllers::volume
