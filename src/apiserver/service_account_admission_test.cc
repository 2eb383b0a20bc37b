// The ServiceAccount admission plug-in in ResourceStorage's chain, on a real SQLite-backed store
// (the API server's StorageFixture).
#include "apiserver/service_account_admission.h"

#include <thread>

#include "absl/strings/match.h"
#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class ServiceAccountAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&clock_, {"ns"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    storage_ = fixture_->storage();
    plugin_ = std::make_unique<ServiceAccountAdmission>(storage_, absl::Milliseconds(300));
    storage_->AddAdmissionPlugin(plugin_.get());
  }
  static const api::ResourceInfo* Res(const char* plural) { return api::FindResource("", "v1", plural); }
  static json::value Parse(const std::string& text) { return *base::ParseJson(text); }
  void CreateAccount(const std::string& body) {
    ASSERT_TRUE(storage_->Create(*Res("serviceaccounts"), "ns", Parse(body), {}).ok());
  }
  absl::StatusOr<json::value> CreatePod(const std::string& spec) {
    auto created = storage_->Create(*Res("pods"), "ns",
                                    Parse(R"({"metadata":{"name":"p"},"spec":)" + spec + "}"), {});
    if (!created.ok()) return created.status();
    return (*created)->Parse();
  }
  static std::vector<std::string> AccessVolumes(const json::value& pod) {
    std::vector<std::string> out;
    if (const auto* v = base::FindPath(pod, {"spec", "volumes"})) {
      for (const auto& vol : v->as_array()) {
        std::string name = base::GetString(vol, {"name"});
        if (absl::StartsWith(name, kServiceAccountVolumePrefix)) out.push_back(name);
      }
    }
    return out;
  }

  base::testing::FakeClock clock_;
  std::unique_ptr<testing::StorageFixture> fixture_;
  ResourceStorage* storage_ = nullptr;
  std::unique_ptr<ServiceAccountAdmission> plugin_;
};

constexpr char kTwoContainers[] =
    R"({"initContainers":[{"name":"i","image":"busybox"}],"containers":[{"name":"c","image":"busybox"}]})";

TEST_F(ServiceAccountAdmissionTest, DefaultAccountAndTokenVolumeMountedEverywhere) {
  CreateAccount(R"({"metadata":{"name":"default"}})");
  auto pod = CreatePod(kTwoContainers);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(base::GetString(*pod, {"spec", "serviceAccountName"}), "default");
  auto volumes = AccessVolumes(*pod);
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0].size(), std::string(kServiceAccountVolumePrefix).size() + 5);
  const json::value& volume = base::FindPath(*pod, {"spec", "volumes"})->as_array()[0];
  EXPECT_EQ(base::GetInt(volume, {"projected", "defaultMode"}), 420);
  const json::array& sources = base::FindPath(volume, {"projected", "sources"})->as_array();
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(base::GetInt(sources[0], {"serviceAccountToken", "expirationSeconds"}), 3607);
  EXPECT_EQ(base::GetString(sources[1], {"configMap", "name"}), kRootCaConfigMap);
  for (const char* list : {"containers", "initContainers"}) {
    const json::value& mount = base::FindPath(*pod, {"spec", list})->as_array()[0].at("volumeMounts").as_array()[0];
    EXPECT_EQ(base::GetString(mount, {"name"}), volumes[0]);
    EXPECT_EQ(base::GetString(mount, {"mountPath"}), kServiceAccountMountPath);
    EXPECT_TRUE(base::GetBool(mount, {"readOnly"}));
  }
}

TEST_F(ServiceAccountAdmissionTest, ExistingAccessVolumeIsReused) {
  CreateAccount(R"({"metadata":{"name":"default"}})");
  auto pod = CreatePod(R"({"volumes":[{"name":"kube-api-access-abcde","emptyDir":{}}],
                           "containers":[{"name":"c","image":"busybox"}]})");
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(AccessVolumes(*pod), std::vector<std::string>{"kube-api-access-abcde"});
}

TEST_F(ServiceAccountAdmissionTest, AutomountChoicesPodFirst) {
  CreateAccount(R"({"metadata":{"name":"quiet"},"automountServiceAccountToken":false,
                    "imagePullSecrets":[{"name":"reg"}]})");
  auto quiet = CreatePod(R"({"serviceAccountName":"quiet","containers":[{"name":"c","image":"busybox"}]})");
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_TRUE(AccessVolumes(*quiet).empty());
  EXPECT_EQ(base::GetString(base::FindPath(*quiet, {"spec", "imagePullSecrets"})->as_array()[0], {"name"}), "reg");
  bool deleted = false;
  ASSERT_TRUE(storage_->Delete(*Res("pods"), "ns", "p", {.grace_period_seconds = 0}, &deleted).ok());
  ASSERT_TRUE(deleted);
  auto loud = CreatePod(
      R"({"serviceAccountName":"quiet","automountServiceAccountToken":true,"containers":[{"name":"c","image":"b"}]})");
  ASSERT_TRUE(loud.ok()) << loud.status();
  EXPECT_EQ(AccessVolumes(*loud).size(), 1u);
}

TEST_F(ServiceAccountAdmissionTest, MissingAccountIsForbiddenAfterWaitingForDefault) {
  auto missing = CreatePod(R"({"serviceAccountName":"ghost","containers":[{"name":"c","image":"busybox"}]})");
  EXPECT_EQ(api::HttpCode(missing.status()), 403);
  EXPECT_NE(missing.status().message().find("error looking up service account ns/ghost"), std::string::npos);
  absl::Time start = absl::Now();
  EXPECT_EQ(api::HttpCode(CreatePod(kTwoContainers).status()), 403);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  // "default" appearing while the create waits is found.
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(100));
    CreateAccount(R"({"metadata":{"name":"default"}})");
  });
  auto pod = CreatePod(kTwoContainers);
  late.join();
  EXPECT_TRUE(pod.ok()) << pod.status();
}

TEST_F(ServiceAccountAdmissionTest, MirrorPodsAndUpdatesAreLeftAlone) {
  auto mirror = storage_->Create(*Res("pods"), "ns", Parse(R"({"metadata":{"name":"m",
      "annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"containers":[{"name":"c","image":"b"}]}})"), {});
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  EXPECT_TRUE(AccessVolumes((*mirror)->Parse()).empty());
  auto updated = storage_->Update(
      *Res("pods"), "ns", "m",
      [](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
        json::value o = cur->Parse();
        o.as_object()["metadata"].as_object()["labels"] = json::object{{"a", "b"}};
        return o;
      },
      {}, true);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(AccessVolumes((*updated)->Parse()).empty());
}

}  // namespace
}  // namespace skiff::apiserver
