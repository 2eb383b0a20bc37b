#include "controllers/workload/workload_controller.h"

#include "base/clock.h"
#include "controllers/workload/expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

boost::json::value Obj(const std::string& ns, const std::string& name, const std::string& owner = "") {
  boost::json::object meta{{"namespace", ns}, {"name", name}};
  if (!owner.empty()) meta["annotations"] = boost::json::object{{"owner", owner}};
  return boost::json::object{{"metadata", std::move(meta)}};
}

std::string OwnerOf(const boost::json::value& obj) {
  const boost::json::value* owner = obj.at("metadata").as_object().if_contains("annotations");
  return owner == nullptr ? "" : std::string(owner->at("owner").as_string());
}

TEST(OwnKeysTest, EveryEventEnqueuesTheObjectsKey) {
  EventKeys keys = OwnKeys();
  EXPECT_THAT(keys.added(Obj("ns", "a")), ElementsAre("ns/a"));
  EXPECT_THAT(keys.updated(Obj("ns", "a"), Obj("ns", "a")), ElementsAre("ns/a"));
  EXPECT_THAT(keys.deleted(Obj("", "node")), ElementsAre("node"));
}

TEST(KeysByTest, OwnerKeysAndTheOldOwnerOnAChange) {
  EventKeys keys = KeysBy(OwnerOf);
  EXPECT_THAT(keys.added(Obj("ns", "p")), IsEmpty());
  EXPECT_THAT(keys.added(Obj("ns", "p", "ns/o")), ElementsAre("ns/o"));
  EXPECT_THAT(keys.updated(Obj("ns", "p", "ns/o"), Obj("ns", "p", "ns/o")), ElementsAre("ns/o"));
  EXPECT_THAT(keys.updated(Obj("ns", "p", "ns/old"), Obj("ns", "p", "ns/o")), ElementsAre("ns/o", "ns/old"));
  EXPECT_THAT(keys.updated(Obj("ns", "p", "ns/old"), Obj("ns", "p")), ElementsAre("ns/old"));
  EXPECT_THAT(keys.deleted(Obj("ns", "p", "ns/o")), ElementsAre("ns/o"));
}

struct Recorder {
  std::vector<std::string> Added(const boost::json::value& obj) { return {"added:" + client::KeyOf(obj)}; }
  std::vector<std::string> Deleted(const boost::json::value& obj) const {
    return {"deleted:" + client::KeyOf(obj)};
  }
};

TEST(MemberKeysTest, CallsTheGivenMethodsAndLeavesTheOthersUnset) {
  Recorder r;
  EventKeys keys = MemberKeys(&r, &Recorder::Added, nullptr, &Recorder::Deleted);
  ASSERT_TRUE(keys.added);
  EXPECT_FALSE(keys.updated);
  EXPECT_THAT(keys.added(Obj("ns", "a")), ElementsAre("added:ns/a"));
  EXPECT_THAT(keys.deleted(Obj("ns", "a")), ElementsAre("deleted:ns/a"));
}

TEST(ExpectationsPodEventsTest, ObserveCreationsAndDeletions) {
  Expectations expectations(&base::RealClock());  // its 5-minute TTL never runs out here
  expectations.ExpectCreations("ns/o", 1);
  EXPECT_THAT(expectations.PodAdded("", Obj("ns", "p")), IsEmpty());
  EXPECT_FALSE(expectations.Satisfied("ns/o"));
  EXPECT_THAT(expectations.PodAdded("ns/o", Obj("ns", "p")), ElementsAre("ns/o"));
  EXPECT_TRUE(expectations.Satisfied("ns/o"));

  expectations.ExpectDeletions("ns/o", {"ns/p"});
  EXPECT_THAT(expectations.PodUpdated("ns/old", "ns/o", Obj("ns", "p")), ElementsAre("ns/o", "ns/old"));
  EXPECT_FALSE(expectations.Satisfied("ns/o"));
  EXPECT_THAT(expectations.PodDeleted("ns/o", Obj("ns", "p")), ElementsAre("ns/o"));
  EXPECT_TRUE(expectations.Satisfied("ns/o"));
}

}  // namespace
}  // namespace skiff::controllers
