#include "api/validation.h"

#include <string>
#include <vector>

#include "api/schema_testdata.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using testdata::TestType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const TypeSchema& Deployment() { return TestType("io.k8s.api.apps.v1.Deployment"); }

std::vector<std::string> Messages(const TypeSchema& type, std::string_view json) {
  std::vector<std::string> out;
  for (const FieldError& e : ValidateObject(type, boost::json::parse(json))) {
    out.push_back(FormatFieldError(e));
  }
  return out;
}

constexpr std::string_view kGoodDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "labels": {"app": "web"}},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
           "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                                 "ports": [{"containerPort": 80}]}]}}}})";

std::string WithSpec(std::string_view spec) {
  return std::string(R"({"metadata":{"name":"web"},"spec":)") + std::string(spec) + "}";
}

constexpr std::string_view kTemplate = R"("selector":{},"template":{"spec":{"containers":[{"name":"c"}]}})";

TEST(ValidationTest, ValidObjectHasNoErrors) {
  EXPECT_THAT(Messages(Deployment(), kGoodDeployment), IsEmpty());
}

TEST(ValidationTest, NumericBounds) {
  EXPECT_THAT(
      Messages(Deployment(), WithSpec(std::string("{\"replicas\":-1,") + std::string(kTemplate) + "}")),
      ElementsAre("spec.replicas: Invalid value: -1: must be greater than or equal to 0"));
  EXPECT_THAT(Messages(Deployment(), WithSpec(R"({"selector":{},"template":{"spec":{"containers":[{"name":"c",
                          "ports":[{"containerPort":70000}]}]}}})")),
              ElementsAre("spec.template.spec.containers[0].ports[0].containerPort: Invalid value: "
                          "70000: must be between 1 and 65535, inclusive"));
}

TEST(ValidationTest, RequiredFields) {
  EXPECT_THAT(Messages(Deployment(), WithSpec("{}")),
              ElementsAre("spec.selector: Required value", "spec.template: Required value"));
  EXPECT_THAT(Messages(Deployment(), WithSpec(R"({"selector":{},"template":{"spec":{}}})")),
              ElementsAre("spec.template.spec.containers: Required value"));
  EXPECT_THAT(Messages(Deployment(), WithSpec(R"({"selector":{},"template":{"spec":{"containers":[]}}})")),
              ElementsAre("spec.template.spec.containers: Required value"));
  EXPECT_THAT(
      Messages(Deployment(),
               WithSpec(R"({"selector":null,"template":{"spec":{"containers":[{"image":"x"}]}}})")),
      ElementsAre("spec.selector: Required value", "spec.template.spec.containers[0].name: Required value"));
}

TEST(ValidationTest, LabelSelectorRules) {
  // Kubernetes' ValidateLabelSelector: an In/NotIn requirement needs values (a selector that
  // cannot be converted: "for 'in', 'notin' operators, values set can't be empty").
  EXPECT_THAT(
      Messages(Deployment(), WithSpec(R"({"selector":{"matchExpressions":[{"key":"a","operator":"In"},
                 {"key":"b","operator":"NotIn","values":[]},{"key":"c","operator":"Exists","values":["x"]}]},
                 "template":{"spec":{"containers":[{"name":"c"}]}}})")),
      ElementsAre("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` "
                  "is 'In' or 'NotIn'",
                  "spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` "
                  "is 'In' or 'NotIn'",
                  "spec.selector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is "
                  "'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(Messages(Deployment(), WithSpec(R"({"selector":{"matchLabels":{"app":"bad value!"}},
                 "template":{"spec":{"containers":[{"name":"c"}]}}})")),
              ElementsAre(HasSubstr("spec.selector.matchLabels: Invalid value: \"bad value!\": a valid label must")));
  // With the real schema, what the schema reports (enum, required) is not repeated.
  const TypeSchema* real = BuiltinSchemas().FindKind("apps", "v1", "Deployment")->type;
  EXPECT_THAT(Messages(*real, R"({"metadata":{"name":"web"},"spec":{"selector":{"matchExpressions":[
                 {"key":"a","operator":"Foo"},{"operator":"In","values":["x"]}]},
                 "template":{"metadata":{"labels":{"a":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"),
              ElementsAre(HasSubstr("spec.selector.matchExpressions[0].operator: Unsupported value: \"Foo\""),
                          "spec.selector.matchExpressions[1].key: Required value"));
}

TEST(ValidationTest, EnumValues) {
  EXPECT_THAT(Messages(Deployment(), WithSpec(std::string("{\"strategy\":{\"type\":\"Foo\"},") +
                                              std::string(kTemplate) + "}")),
              ElementsAre("spec.strategy.type: Unsupported value: \"Foo\": supported values: "
                          "\"Recreate\", \"RollingUpdate\""));
  EXPECT_THAT(Messages(TestType("io.k8s.api.core.v1.Service"),
                       R"({"metadata":{"name":"s"},"spec":{"ipFamilies":["IPv4","IPv5"]}})"),
              ElementsAre("spec.ipFamilies[1]: Unsupported value: \"IPv5\": supported values: "
                          "\"IPv4\", \"IPv6\""));
}

TEST(ValidationTest, StringLength) {
  std::string name(64, 'a');
  EXPECT_THAT(
      Messages(Deployment(), WithSpec(R"({"selector":{},"template":{"spec":{"containers":[{"name":")" + name +
                                      R"("}]}}})")),
      ElementsAre("spec.template.spec.containers[0].name: Too long: may not be more "
                  "than 63 bytes"));
}

TEST(ValidationTest, TypeErrorsCarryGoDecodingText) {
  std::vector<FieldError> errors = ValidateObject(
      Deployment(),
      boost::json::parse(WithSpec(std::string("{\"replicas\":\"three\",") + std::string(kTemplate) + "}")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, kFieldValueTypeInvalid);
  EXPECT_EQ(errors[0].field, "spec.replicas");
  EXPECT_EQ(DecodeErrorMessage(errors[0]),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
            "type int32");

  errors = ValidateObject(
      Deployment(),
      boost::json::parse(WithSpec(R"({"selector":{},"template":{"spec":{"containers":{"name":"c"}}}})")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(DecodeErrorMessage(errors[0]),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec."
            "containers of type []v1.Container");

  errors = ValidateObject(
      Deployment(), boost::json::parse(WithSpec(
                        R"({"selector":{},"template":{"spec":{"containers":[{"name":"c","privileged":"yes",
          "args":[1]}]}}})")));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "spec.template.spec.containers[0].args[0]");
  EXPECT_EQ(DecodeErrorMessage(errors[0]),
            "json: cannot unmarshal number into Go struct field Container.spec.template.spec."
            "containers.args of type string");
  EXPECT_EQ(errors[1].field, "spec.template.spec.containers[0].privileged");

  // int32 overflow.
  errors = ValidateObject(Deployment(), boost::json::parse(WithSpec(std::string("{\"replicas\":3000000000,") +
                                                                    std::string(kTemplate) + "}")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(DecodeErrorMessage(errors[0]), HasSubstr("number 3000000000 into"));
}

TEST(ValidationTest, BytesMustBeBase64) {
  const TypeSchema& secret = TestType("io.k8s.api.core.v1.Secret");
  EXPECT_THAT(Messages(secret, R"({"data":{"a":"aGVsbG8="}})"), IsEmpty());
  EXPECT_EQ(Messages(secret, R"({"data":{"a":"not base64!"}})").size(), 1u);
}

TEST(ValidationTest, ObjectNameRules) {
  EXPECT_THAT(
      Messages(Deployment(), std::string(R"({"metadata":{},"spec":{)") + std::string(kTemplate) + "}}"),
      ElementsAre("metadata.name: Required value: name or generateName is required"));
  EXPECT_THAT(Messages(Deployment(), std::string(R"({"metadata":{"generateName":"web-"},"spec":{)") +
                                         std::string(kTemplate) + "}}"),
              IsEmpty());
  std::vector<std::string> m = Messages(
      Deployment(), std::string(R"({"metadata":{"name":"Web_1"},"spec":{)") + std::string(kTemplate) + "}}");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0],
            "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must "
            "consist of lower case alphanumeric characters, '-' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  // Services use DNS-1035 labels: no leading digit, no dots.
  EXPECT_EQ(Messages(TestType("io.k8s.api.core.v1.Service"), R"({"metadata":{"name":"1abc"}})").size(), 1u);
  EXPECT_EQ(Messages(TestType("io.k8s.api.core.v1.Service"), R"({"metadata":{"name":"a.b"}})").size(), 1u);
  EXPECT_EQ(NameRuleForKind("Namespace"), "label");
  EXPECT_EQ(NameRuleForKind("ClusterRole"), "path");
}

TEST(ValidationTest, LabelsAndAnnotations) {
  std::vector<std::string> m =
      Messages(Deployment(), std::string(R"({"metadata":{"name":"w","labels":{"bad key!":"ok","k":"-bad"},
                                 "annotations":{"a/b/c":"x"}},"spec":{)") +
                                 std::string(kTemplate) + "}}");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_THAT(m[0], HasSubstr("metadata.labels: Invalid value: \"bad key!\": name part must"));
  EXPECT_THAT(m[1], HasSubstr("metadata.labels: Invalid value: \"-bad\": a valid label must"));
  EXPECT_THAT(m[2], HasSubstr("metadata.annotations: Invalid value: \"a/b/c\": a qualified name"));

  // Template labels are checked too (every ObjectMeta), but template names are not required.
  m = Messages(Deployment(), WithSpec(R"({"selector":{},"template":{"metadata":{"labels":{"a":"b c"}},
                           "spec":{"containers":[{"name":"c"}]}}})"));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_THAT(m[0], HasSubstr("spec.template.metadata.labels: Invalid value: \"b c\""));

  std::string big(256 * 1024, 'x');
  m = Messages(Deployment(), std::string(R"({"metadata":{"name":"w","annotations":{"k":")") + big +
                                 R"("}},"spec":{)" + std::string(kTemplate) + "}}");
  EXPECT_THAT(m, ElementsAre("metadata.annotations: Too long: may not be more than 262144 bytes"));
}

TEST(ValidationTest, InvalidObjectMessageMatchesKubernetes) {
  std::vector<FieldError> errors = ValidateObject(Deployment(), boost::json::parse(WithSpec("{}")));
  EXPECT_EQ(InvalidObjectMessage("Deployment.apps", "web", errors),
            "Deployment.apps \"web\" is invalid: [spec.selector: Required value, "
            "spec.template: Required value]");
  errors.resize(1);
  EXPECT_EQ(InvalidObjectMessage("Deployment.apps", "web", errors),
            "Deployment.apps \"web\" is invalid: spec.selector: Required value");
}

TEST(ValidationTest, ImmutableFields) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = SchemaRegistry::Load({{"t.schema", R"(
package p
type T "t"
  spec S "s"
type S "s"
  selector map[string] immutable "sel"
  mode string immutable "mode"
  replicas int32 "n"
)"}});
  ASSERT_TRUE(reg.ok()) << reg.status();
  const TypeSchema& t = *(*reg)->FindType("p.T");
  auto old_obj = boost::json::parse(R"({"spec":{"selector":{"a":"b"},"mode":"x","replicas":1}})");
  EXPECT_THAT(
      ValidateImmutableFields(
          t, old_obj, boost::json::parse(R"({"spec":{"selector":{"a":"b"},"mode":"x","replicas":5}})")),
      IsEmpty());
  std::vector<FieldError> errors = ValidateImmutableFields(
      t, old_obj, boost::json::parse(R"({"spec":{"selector":{"a":"c"},"replicas":1}})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(FormatFieldError(errors[0]), "spec.selector: Invalid value: {\"a\":\"c\"}: field is immutable");
  EXPECT_EQ(FormatFieldError(errors[1]), "spec.mode: Invalid value: null: field is immutable");
}

TEST(ValidationTest, FormatsValuesLikeGo) {
  FieldError e{std::string(kFieldValueInvalid), "spec.x", boost::json::value(1.5), "bad", "", ""};
  EXPECT_EQ(FormatFieldError(e), "spec.x: Invalid value: 1.5: bad");
  e.bad_value = true;
  EXPECT_EQ(FormatFieldError(e), "spec.x: Invalid value: true: bad");
  e.bad_value = boost::json::parse(R"({"a":1})");
  EXPECT_EQ(FormatFieldError(e), "spec.x: Invalid value: {\"a\":1}: bad");
}

}  // namespace
}  // namespace skiff::api
