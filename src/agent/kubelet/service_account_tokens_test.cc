#include "agent/kubelet/service_account_tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "api/object_meta.h"
#include "apiserver/service_account_tokens.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/event_recorder.h"
#include "client/testing/test_api_server.h"

namespace skiff::agent::kubelet {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

TEST(TokenNeedsRefreshTest, AtEightyPercentOfTheLifetimeOrAfterADay) {
  const absl::Time issued = absl::FromUnixSeconds(1'700'000'000);
  const absl::Time expiry = issued + absl::Seconds(3600);
  const absl::Duration day = absl::Hours(24);
  EXPECT_FALSE(TokenNeedsRefresh(issued, expiry, 3600, day, absl::ZeroDuration()));
  EXPECT_FALSE(TokenNeedsRefresh(issued + absl::Seconds(2880), expiry, 3600, day, absl::ZeroDuration()));
  EXPECT_TRUE(TokenNeedsRefresh(issued + absl::Seconds(2881), expiry, 3600, day, absl::ZeroDuration()));
  // Jitter moves the point earlier.
  EXPECT_TRUE(TokenNeedsRefresh(issued + absl::Seconds(2871), expiry, 3600, day, absl::Seconds(10)));
  // A two-day token is renewed after a day, long before 80%.
  const absl::Time long_expiry = issued + absl::Hours(48);
  EXPECT_FALSE(TokenNeedsRefresh(issued + day, long_expiry, 48 * 3600, day, absl::ZeroDuration()));
  EXPECT_TRUE(
      TokenNeedsRefresh(issued + day + absl::Seconds(1), long_expiry, 48 * 3600, day, absl::ZeroDuration()));
}

class ServiceAccountTokenManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sa-token-manager-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto tokens = apiserver::ServiceAccountTokens::Create({.key_file = (dir_ / "sa.key").string()},
                                                          server_.storage(), &clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = std::move(*tokens);
    server_.client()->set_token_issuer(&tokens_->issuer());
    events_ = std::make_unique<client::EventRecorder>(server_.client(),
                                                      client::EventRecorder::Options{.component = "kubelet"});
    CreateServiceAccount("robot");
    pod_ = CreatePod("web", "robot");
  }
  void TearDown() override {
    manager_.reset();
    events_.reset();
    fs::remove_all(dir_);
  }

  void CreateServiceAccount(const std::string& name) {
    auto sa = J(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":""}})");
    sa.as_object()["metadata"].as_object()["name"] = name;
    ASSERT_TRUE(server_.client()->Create(client::Resource("", "v1", "serviceaccounts"), "default", sa).ok());
  }
  boost::json::value CreatePod(const std::string& name, const std::string& service_account) {
    auto pod = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":""},
                     "spec":{"containers":[{"name":"c","image":"i"}]}})");
    pod.as_object()["metadata"].as_object()["name"] = name;
    pod.as_object()["spec"].as_object()["serviceAccountName"] = service_account;
    auto created = server_.client()->Create(client::Resource("", "v1", "pods"), "default", pod);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? **created : pod;
  }
  ServiceAccountTokenManager& Manager() {
    if (!manager_) {
      manager_ = std::make_unique<ServiceAccountTokenManager>(
          server_.client(),
          ServiceAccountTokenOptions{
              .clock = &clock_, .events = events_.get(), .max_jitter = absl::ZeroDuration()});
    }
    return *manager_;
  }
  std::vector<std::string> EventReasons() {
    events_->Flush();
    std::vector<std::string> reasons;
    auto list = server_.client()->List(client::Resource("", "v1", "events"), "default", {});
    if (list.ok()) {
      for (const auto& e : list->items) reasons.push_back(base::GetString(*e, {"reason"}));
    }
    return reasons;
  }

  // Whole seconds, like the expirationTimestamp the server answers.
  base::testing::FakeClock clock_{absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))};
  client::testing::TestApiServer server_{&clock_};
  fs::path dir_;
  std::unique_ptr<apiserver::ServiceAccountTokens> tokens_;
  std::unique_ptr<client::EventRecorder> events_;
  std::unique_ptr<ServiceAccountTokenManager> manager_;
  boost::json::value pod_;
};

TEST_F(ServiceAccountTokenManagerTest, TokenIsBoundToThePodAndCached) {
  auto token = Manager().Token(pod_, "", 3607);
  ASSERT_TRUE(token.ok()) << token.status();
  auto id = tokens_->verifier().Verify(*token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->name, "robot");
  EXPECT_EQ(id->ns, "default");
  EXPECT_EQ(id->pod_name, "web");
  EXPECT_EQ(id->pod_uid, api::Uid(pod_));
  EXPECT_EQ(*Manager().Token(pod_, "", 3607), *token);
  EXPECT_EQ(Manager().Requests(), 1);

  // Another audience or lifetime is another token.
  auto vault = Manager().Token(pod_, "vault", 600);
  ASSERT_TRUE(vault.ok()) << vault.status();
  EXPECT_NE(*vault, *token);
  EXPECT_TRUE(tokens_->verifier().Verify(*vault, {"vault"}).ok());
  EXPECT_FALSE(tokens_->verifier().Verify(*vault).ok());  // not for the API
  EXPECT_EQ(Manager().CachedTokens(), 2u);

  // The pod is gone: its tokens are forgotten, and the server refuses them.
  Manager().ForgetPod(api::Uid(pod_));
  EXPECT_EQ(Manager().CachedTokens(), 0u);
  ASSERT_TRUE(server_.client()->Delete(client::Resource("", "v1", "pods"), "default", "web").ok());
  EXPECT_FALSE(tokens_->verifier().Verify(*token).ok());
}

TEST_F(ServiceAccountTokenManagerTest, RefreshedAfterEightyPercentOfItsLifetime) {
  auto first = Manager().Token(pod_, "", 3600);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Seconds(2880));
  EXPECT_EQ(*Manager().Token(pod_, "", 3600), *first);
  EXPECT_EQ(Manager().Requests(), 1);
  clock_.Advance(absl::Seconds(2));
  auto second = Manager().Token(pod_, "", 3600);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  EXPECT_EQ(Manager().Requests(), 2);
  EXPECT_EQ(Manager().CachedTokens(), 1u);
}

TEST_F(ServiceAccountTokenManagerTest, LongLivedTokensAreRefreshedAfterADay) {
  auto first = Manager().Token(pod_, "", 7 * 24 * 3600);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(*Manager().Token(pod_, "", 7 * 24 * 3600), *first);
  clock_.Advance(absl::Seconds(1));
  EXPECT_NE(*Manager().Token(pod_, "", 7 * 24 * 3600), *first);
  EXPECT_EQ(Manager().Requests(), 2);
}

TEST_F(ServiceAccountTokenManagerTest, FailuresBackOffAndBecomeEvents) {
  boost::json::value orphan = CreatePod("orphan", "missing");
  auto failed = Manager().Token(orphan, "", 3607);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsNotFound(failed.status())) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr("failed to fetch token"));
  // Within the backoff the error is answered without asking the server again.
  EXPECT_EQ(Manager().Token(orphan, "", 3607).status(), failed.status());
  EXPECT_EQ(Manager().Requests(), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(Manager().Token(orphan, "", 3607).ok());
  EXPECT_EQ(Manager().Requests(), 2);
  clock_.Advance(absl::Seconds(1));  // the backoff doubled to 2 s
  EXPECT_FALSE(Manager().Token(orphan, "", 3607).ok());
  EXPECT_EQ(Manager().Requests(), 2);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(Manager().Token(orphan, "", 3607).ok());
  EXPECT_EQ(Manager().Requests(), 3);
  EXPECT_THAT(EventReasons(), ::testing::Contains("FailedMount"));

  // Once the ServiceAccount exists (and the backoff of 4 s has passed) the token comes.
  CreateServiceAccount("missing");
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(Manager().Token(orphan, "", 3607).ok());
}

TEST_F(ServiceAccountTokenManagerTest, ValidTokenIsKeptWhileRefreshFails) {
  auto first = Manager().Token(pod_, "", 3600);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(
      server_.client()->Delete(client::Resource("", "v1", "serviceaccounts"), "default", "robot").ok());
  clock_.Advance(absl::Seconds(3000));
  auto kept = Manager().Token(pod_, "", 3600);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(*kept, *first);
  EXPECT_EQ(Manager().Requests(), 2);
  EXPECT_THAT(EventReasons(), ::testing::Contains("TokenRefreshFailed"));
  // Expired and still failing: an error, not a dead token.
  clock_.Advance(absl::Seconds(700));
  EXPECT_FALSE(Manager().Token(pod_, "", 3600).ok());
}

}  // namespace
}  // namespace skiff::agent::kubelet
