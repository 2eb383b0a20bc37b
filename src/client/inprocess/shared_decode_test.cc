#include "client/inprocess/shared_decode.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

apiserver::ObjectPtr Cached(const std::string& json) {
  auto object = std::make_shared<apiserver::CachedObject>();
  object->key = "/registry/pods/default/p";
  object->json = json;
  object->revision = 7;
  return object;
}

constexpr char kPod[] =
    R"({"metadata":{"name":"p","resourceVersion":"7","managedFields":[{"manager":"m"}]},"spec":{"nodeName":"n1"}})";

TEST(SharedDecodeTest, ReadersOfOneVersionShareOneCopy) {
  SharedDecode shared;
  apiserver::ObjectPtr object = Cached(kPod);
  auto first = shared.Decode(object, /*strip_managed_fields=*/true);
  auto second = shared.Decode(object, true);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(base::GetString(*first, {"spec", "nodeName"}), "n1");
  EXPECT_EQ(base::FindPath(*first, {"metadata", "managedFields"}), nullptr);
}

TEST(SharedDecodeTest, StrippedAndFullCopiesAreDistinct) {
  SharedDecode shared;
  apiserver::ObjectPtr object = Cached(kPod);
  auto stripped = shared.Decode(object, true);
  auto full = shared.Decode(object, false);
  EXPECT_NE(stripped.get(), full.get());
  EXPECT_NE(base::FindPath(*full, {"metadata", "managedFields"}), nullptr);
}

TEST(SharedDecodeTest, AnotherVersionWithTheSameBytesGetsItsOwnCopy) {
  SharedDecode shared;
  apiserver::ObjectPtr a = Cached(kPod);
  apiserver::ObjectPtr b = Cached(kPod);
  auto from_a = shared.Decode(a, true);
  auto from_b = shared.Decode(b, true);
  EXPECT_NE(from_a.get(), from_b.get());
  EXPECT_EQ(*from_a, *from_b);
}

TEST(SharedDecodeTest, HoldsNothingNoReaderHolds) {
  SharedDecode shared;
  apiserver::ObjectPtr object = Cached(kPod);
  std::weak_ptr<const boost::json::value> released;
  {
    auto decoded = shared.Decode(object, true);
    released = decoded;
    EXPECT_EQ(shared.TrackedForTest(), 1u);
  }
  EXPECT_TRUE(released.expired());
  EXPECT_EQ(shared.TrackedForTest(), 0u);
  auto again = shared.Decode(object, true);  // parsed afresh once nobody held the old copy
  EXPECT_EQ(base::GetString(*again, {"metadata", "name"}), "p");
  object.reset();
  EXPECT_EQ(shared.TrackedForTest(), 0u);  // the cache dropped the version: its entry goes
}

TEST(SharedDecodeTest, ManyVersionsDoNotAccumulate) {
  SharedDecode shared;
  for (int i = 0; i < 5000; ++i) {
    apiserver::ObjectPtr object = Cached(kPod);
    auto decoded = shared.Decode(object, i % 2 == 0);
  }
  EXPECT_EQ(shared.TrackedForTest(), 0u);
}

TEST(SharedDecodeTest, ConcurrentReadersOfOneVersionGetOneCopy) {
  SharedDecode shared;
  for (int round = 0; round < 50; ++round) {
    apiserver::ObjectPtr object = Cached(kPod);
    std::vector<std::shared_ptr<const boost::json::value>> got(4);
    std::vector<std::thread> readers;
    for (size_t i = 0; i < got.size(); ++i) {
      readers.emplace_back([&, i] { got[i] = shared.Decode(object, true); });
    }
    for (auto& t : readers) t.join();
    for (const auto& g : got) EXPECT_EQ(g.get(), got[0].get());
  }
}

}  // namespace
}  // namespace skiff::client
