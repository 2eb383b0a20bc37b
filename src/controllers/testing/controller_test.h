// ControllerTest: a GoogleTest fixture that runs one informer-driven controller over a FakeClient
// (the controller, shared informers started after it, their first sync awaited), plus the object
// builders several controller tests share. Header-only; tests link skiff_client_testing.
// Thread-safety: the fixture is used from the test thread; the controller runs its own workers
// against the FakeClient, which is thread-safe. Ownership: the fixture owns the client, informers
// and controller and stops them in TearDown. Failure: setup failures are test failures (ASSERT).
#ifndef SKIFF_CONTROLLERS_TESTING_CONTROLLER_TEST_H_
#define SKIFF_CONTROLLERS_TESTING_CONTROLLER_TEST_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "base/json.h"
#include "client/controller_context.h"
#include "client/shared_informers.h"
#include "client/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::controllers::testing {

// Parses a JSON text of a test; a parse error fails the test and yields null.
inline boost::json::value Json(const std::string& text) {
  absl::StatusOr<boost::json::value> v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return v.ok() ? *std::move(v) : boost::json::value();
}

// A Service `name` with `spec` and metadata.labels `labels` (JSON texts).
inline boost::json::value ServiceJson(const std::string& name, const std::string& spec,
                                      const std::string& labels = "{}") {
  return Json(R"({"metadata":{"name":")" + name + R"(","labels":)" + labels + R"(},"spec":)" + spec + "}");
}

// A Running pod on node-1 labelled app=web, with `ip` (none when empty), a Ready condition and
// `spec` (JSON) as its spec.
inline boost::json::value ServingPodJson(const std::string& name, const std::string& ip, bool ready,
                                         const std::string& spec = "{}") {
  boost::json::value pod =
      Json(R"({"metadata":{"name":")" + name + R"(","labels":{"app":"web"}},"spec":)" + spec +
           R"(,"status":{"phase":"Running","podIP":")" + ip +
           R"(","conditions":[{"type":"Ready","status":")" + (ready ? "True" : "False") + R"("}]}})");
  base::EnsureObject(pod, {"spec"})["nodeName"] = "node-1";
  return pod;
}

template <typename ControllerT>
class ControllerTest : public ::testing::Test {
 protected:
  // Makes the controller from the context and `args` (its options), starts it and the informers,
  // and waits for their first sync.
  template <typename... Args>
  void StartController(Args&&... args) {
    informers_ = std::make_unique<client::SharedInformers>(&fake_);
    controller_ = std::make_unique<ControllerT>(
        client::ControllerContext{&fake_, informers_.get(), recorder_}, std::forward<Args>(args)...);
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    if (informers_) informers_->Stop();
  }

  // Creates `obj`; `terminating`: then deletes it while a finalizer holds it, as the API server
  // keeps an object it is deleting.
  void Add(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
           bool terminating = false) {
    if (terminating)
      base::EnsureObject(obj, {"metadata"})["finalizers"] = boost::json::array{"skiff.test/hold"};
    absl::StatusOr<client::Object> made = fake_.Create(r, ns, std::move(obj));
    ASSERT_TRUE(made.ok()) << made.status();
    if (terminating) {
      ASSERT_TRUE(fake_.Delete(r, ns, base::GetString(**made, {"metadata", "name"})).ok());
    }
  }
  // Creates Service `name` in "default" (see ServiceJson).
  void AddService(const std::string& name, const std::string& spec, const std::string& labels = "{}") {
    Add(client::Resource("", "v1", "services"), "default", ServiceJson(name, spec, labels));
  }
  // Creates a serving pod in "default" (see ServingPodJson).
  void AddPod(const std::string& name, const std::string& ip, bool ready, const std::string& spec = "{}",
              bool terminating = false) {
    Add(client::Resource("", "v1", "pods"), "default", ServingPodJson(name, ip, ready, spec), terminating);
  }

  client::testing::FakeClient fake_;
  client::EventRecorder* recorder_ = nullptr;  // set before StartController to record events
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<ControllerT> controller_;
};

}  // namespace skiff::controllers::testing

#endif  // SKIFF_CONTROLLERS_TESTING_CONTROLLER_TEST_H_
