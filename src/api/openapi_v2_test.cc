#include "api/openapi_v2.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/schema.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A decoded protobuf message: raw values per field number, in wire order.
struct Message {
  std::multimap<int, std::string> bytes;  // length-delimited fields
  std::multimap<int, uint64_t> numbers;   // varint and fixed64 fields

  std::vector<std::string> All(int field) const {
    std::vector<std::string> out;
    for (auto [it, end] = bytes.equal_range(field); it != end; ++it) out.push_back(it->second);
    return out;
  }
  std::string One(int field) const {
    std::vector<std::string> all = All(field);
    EXPECT_LE(all.size(), 1u) << "field " << field;
    return all.empty() ? "" : all.front();
  }
  bool Has(int field) const { return bytes.count(field) + numbers.count(field) > 0; }
};

Message Decode(const std::string& data) {
  Message m;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()),
                                            static_cast<int>(data.size()));
  while (uint32_t tag = in.ReadTag()) {
    int field = static_cast<int>(tag >> 3);
    switch (tag & 7) {
      case 0: {
        uint64_t v;
        EXPECT_TRUE(in.ReadVarint64(&v));
        m.numbers.emplace(field, v);
        break;
      }
      case 1: {
        uint64_t v;
        EXPECT_TRUE(in.ReadLittleEndian64(&v));
        m.numbers.emplace(field, v);
        break;
      }
      case 2: {
        uint32_t len;
        std::string s;
        EXPECT_TRUE(in.ReadVarint32(&len) && in.ReadString(&s, static_cast<int>(len)));
        m.bytes.emplace(field, std::move(s));
        break;
      }
      default:
        ADD_FAILURE() << "unexpected wire type in tag " << tag;
        return m;
    }
  }
  EXPECT_TRUE(in.ConsumedEntireMessage() || in.CurrentPosition() == static_cast<int>(data.size()));
  return m;
}

// Field numbers from gnostic openapiv2/OpenAPIv2.proto.
constexpr int kDocSwagger = 1, kDocInfo = 2, kDocPaths = 8, kDocDefinitions = 9;
constexpr int kSchemaRef = 1, kSchemaFormat = 2, kSchemaDescription = 4, kSchemaDefault = 5,
              kSchemaRequired = 19, kSchemaEnum = 20, kSchemaAdditional = 21, kSchemaType = 22,
              kSchemaItems = 23, kSchemaAllOf = 24, kSchemaProperties = 25, kSchemaVendorExtension = 31;

// Repeated Named* entries (name = 1, value = 2) of `field` -> name to decoded value.
std::map<std::string, Message> Named(const Message& m, int field) {
  std::map<std::string, Message> out;
  for (const std::string& entry : m.All(field)) {
    Message named = Decode(entry);
    out[named.One(1)] = Decode(named.One(2));
  }
  return out;
}

std::vector<std::string> Types(const Message& schema) { return Decode(schema.One(kSchemaType)).All(1); }

std::map<std::string, Message> Definitions(const std::string& doc) {
  return Named(Decode(Decode(doc).One(kDocDefinitions)), 1);
}

std::map<std::string, Message> Properties(const Message& schema) {
  return Named(Decode(schema.One(kSchemaProperties)), 1);
}

// The YAML text of a vendor extension, or "" when absent.
std::string Extension(const Message& schema, const std::string& name) {
  auto ext = Named(schema, kSchemaVendorExtension);
  auto it = ext.find(name);
  return it == ext.end() ? "" : it->second.One(2);
}

std::vector<std::string> GvkStrings(const Message& schema) {
  std::vector<std::string> out;
  YAML::Node list = YAML::Load(Extension(schema, "x-kubernetes-group-version-kind"));
  EXPECT_TRUE(list.IsSequence());
  for (const YAML::Node& gvk : list) {
    out.push_back(gvk["group"].as<std::string>() + "/" + gvk["version"].as<std::string>() + "/" +
                  gvk["kind"].as<std::string>());
  }
  return out;
}

constexpr std::string_view kSmallSchema = R"(
package io.k8s.api.core.v1
kind Widget group=example.io version=v1 type=Widget
type Widget "A widget."
  apiVersion string "Version."
  kind string "Kind."
  spec WidgetSpec required "Spec."
type WidgetSpec "Widget spec."
  mode string default=Fast enum=Fast|Slow "Mode."
  port intorstring "Port."
  limits map[quantity] "Limits."
  tags []string merge= "Tags."
  parts []WidgetPart merge=name listType=map listMapKeys=name "Parts."
  blob any "Free-form."
type WidgetPart "A part."
  name string required "Name."
)";

std::unique_ptr<SchemaRegistry> SmallRegistry() {
  auto registry = SchemaRegistry::Load({{"small.schema", kSmallSchema}});
  EXPECT_TRUE(registry.ok()) << registry.status();
  return std::move(*registry);
}

TEST(OpenApiV2Test, DocumentHasHeaderEmptyPathsAndDefinitions) {
  const std::string& bytes = BuiltinOpenApiV2Protobuf();
  Message doc = Decode(bytes);
  EXPECT_EQ(doc.One(kDocSwagger), "2.0");
  Message info = Decode(doc.One(kDocInfo));
  EXPECT_EQ(info.One(1), "Kubernetes");
  EXPECT_EQ(info.One(2), "v1.32.4");
  EXPECT_TRUE(doc.Has(kDocPaths));
  EXPECT_THAT(doc.One(kDocPaths), IsEmpty());
  auto defs = Definitions(bytes);
  for (const char* name :
       {"io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.DeploymentList", "io.k8s.api.core.v1.ConfigMap",
        "io.k8s.api.core.v1.Service", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.api.resource.Quantity"}) {
    EXPECT_TRUE(defs.count(name)) << name;
  }
}

TEST(OpenApiV2Test, KindsAndListsCarryGroupVersionKind) {
  auto defs = Definitions(BuiltinOpenApiV2Protobuf());
  EXPECT_THAT(GvkStrings(defs["io.k8s.api.apps.v1.Deployment"]), ElementsAre("apps/v1/Deployment"));
  EXPECT_THAT(GvkStrings(defs["io.k8s.api.apps.v1.DeploymentList"]), ElementsAre("apps/v1/DeploymentList"));
  EXPECT_THAT(GvkStrings(defs["io.k8s.api.core.v1.ConfigMap"]), ElementsAre("/v1/ConfigMap"));
  EXPECT_EQ(Extension(defs["io.k8s.api.apps.v1.DeploymentSpec"], "x-kubernetes-group-version-kind"), "");
}

TEST(OpenApiV2Test, FieldsUseDefinitionRefsAndKubernetesScalarShapes) {
  auto defs = Definitions(BuiltinOpenApiV2Protobuf());
  auto deployment = Properties(defs["io.k8s.api.apps.v1.Deployment"]);
  const Message& metadata = deployment["metadata"];
  EXPECT_EQ(metadata.One(kSchemaRef), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_FALSE(metadata.One(kSchemaDescription).empty());
  EXPECT_FALSE(metadata.Has(kSchemaType));
  EXPECT_FALSE(metadata.Has(kSchemaAllOf));

  auto spec = Properties(defs["io.k8s.api.apps.v1.DeploymentSpec"]);
  EXPECT_THAT(Types(spec["replicas"]), ElementsAre("integer"));
  EXPECT_EQ(spec["replicas"].One(kSchemaFormat), "int32");
  EXPECT_THAT(Decode(defs["io.k8s.api.apps.v1.DeploymentSpec"].One(kSchemaType)).All(1),
              ElementsAre("object"));
  EXPECT_THAT(defs["io.k8s.api.apps.v1.DeploymentSpec"].All(kSchemaRequired),
              ::testing::IsSupersetOf({"selector", "template"}));

  auto pod_spec = Properties(defs["io.k8s.api.core.v1.PodSpec"]);
  EXPECT_THAT(Types(pod_spec["containers"]), ElementsAre("array"));
  Message items = Decode(pod_spec["containers"].One(kSchemaItems));
  EXPECT_EQ(Decode(items.One(1)).One(kSchemaRef), "#/definitions/io.k8s.api.core.v1.Container");

  auto meta = Properties(defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
  Message labels_values = Decode(Decode(meta["labels"].One(kSchemaAdditional)).One(1));
  EXPECT_THAT(Types(meta["labels"]), ElementsAre("object"));
  EXPECT_THAT(Types(labels_values), ElementsAre("string"));

  // kubectl's validator accepts any JSON scalar for `type: string`, so `targetPort: 8080` and
  // `cpu: 1` pass, exactly as with the real server's definitions.
  const Message& int_or_string = defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
  EXPECT_THAT(Types(int_or_string), ElementsAre("string"));
  EXPECT_EQ(int_or_string.One(kSchemaFormat), "int-or-string");
  EXPECT_THAT(Types(defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]), ElementsAre("string"));
  auto port = Properties(defs["io.k8s.api.core.v1.ServicePort"]);
  EXPECT_EQ(port["targetPort"].One(kSchemaRef),
            "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
}

TEST(OpenApiV2Test, SmallSchemaConvertsAttributesAndExtensions) {
  auto registry = SmallRegistry();
  std::string bytes = OpenApiV2Protobuf(*registry);
  auto defs = Definitions(bytes);
  ASSERT_TRUE(defs.count("io.k8s.api.core.v1.WidgetList"));
  EXPECT_THAT(GvkStrings(defs["io.k8s.api.core.v1.Widget"]), ElementsAre("example.io/v1/Widget"));
  EXPECT_THAT(GvkStrings(defs["io.k8s.api.core.v1.WidgetList"]), ElementsAre("example.io/v1/WidgetList"));
  EXPECT_THAT(defs["io.k8s.api.core.v1.Widget"].All(kSchemaRequired), ElementsAre("spec"));

  auto spec = Properties(defs["io.k8s.api.core.v1.WidgetSpec"]);
  EXPECT_EQ(YAML::Load(Decode(spec["mode"].One(kSchemaDefault)).One(2)).as<std::string>(), "Fast");
  std::vector<std::string> modes;
  for (const std::string& any : spec["mode"].All(kSchemaEnum)) {
    modes.push_back(YAML::Load(Decode(any).One(2)).as<std::string>());
  }
  EXPECT_THAT(modes, ElementsAre("Fast", "Slow"));
  EXPECT_EQ(spec["port"].One(kSchemaRef), "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  Message limit = Decode(Decode(spec["limits"].One(kSchemaAdditional)).One(1));
  EXPECT_EQ(limit.One(kSchemaRef), "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity");
  EXPECT_EQ(YAML::Load(Extension(spec["tags"], "x-kubernetes-patch-strategy")).as<std::string>(), "merge");
  EXPECT_EQ(YAML::Load(Extension(spec["parts"], "x-kubernetes-patch-merge-key")).as<std::string>(), "name");
  YAML::Node keys = YAML::Load(Extension(spec["parts"], "x-kubernetes-list-map-keys"));
  ASSERT_TRUE(keys.IsSequence());
  EXPECT_EQ(keys[0].as<std::string>(), "name");
  // Free-form JSON may be any value, so it must not be typed as an object (a map of objects).
  EXPECT_FALSE(spec["blob"].Has(kSchemaType));
  EXPECT_FALSE(spec["blob"].One(kSchemaDescription).empty());
}

// Mirrors the checks of kube-openapi's proto.NewOpenAPIData, which rejects the whole document
// (and so all of kubectl's client-side validation) on any of these.
void CheckParsable(const Message& s, const std::map<std::string, Message>& defs, const std::string& path) {
  std::string ref = s.One(kSchemaRef);
  std::vector<std::string> types = s.Has(kSchemaType) ? Types(s) : std::vector<std::string>{};
  if (!ref.empty()) {
    EXPECT_THAT(ref, StartsWith("#/definitions/")) << path;
    EXPECT_TRUE(defs.count(ref.substr(14))) << path << " -> " << ref;
    EXPECT_THAT(types, IsEmpty()) << path;
    EXPECT_TRUE(Properties(s).empty()) << path;
    return;
  }
  ASSERT_LE(types.size(), 1u) << path;
  std::string type = types.empty() ? "" : types[0];
  auto props = Properties(s);
  if (type == "array" ||
      (type.empty() && props.empty() && !s.Has(kSchemaAdditional) && s.Has(kSchemaItems))) {
    EXPECT_EQ(type, "array") << path;
    std::vector<std::string> items = Decode(s.One(kSchemaItems)).All(1);
    ASSERT_EQ(items.size(), 1u) << path;
    CheckParsable(Decode(items[0]), defs, path + "[]");
    return;
  }
  if (type == "object" || (type.empty() && (s.Has(kSchemaProperties) || s.Has(kSchemaAdditional)))) {
    for (const auto& [name, sub] : props) CheckParsable(sub, defs, path + "." + name);
    if (s.Has(kSchemaAdditional)) {
      Message additional = Decode(s.One(kSchemaAdditional));
      if (additional.bytes.count(1)) CheckParsable(Decode(additional.One(1)), defs, path + "{}");
    }
    return;
  }
  if (!type.empty()) {
    EXPECT_THAT((std::vector<std::string>{"string", "number", "integer", "boolean"}),
                ::testing::Contains(type))
        << path;
  }
}

TEST(OpenApiV2Test, EveryDefinitionParsesLikeKubeOpenApi) {
  auto defs = Definitions(BuiltinOpenApiV2Protobuf());
  ASSERT_GT(defs.size(), 100u);
  for (const auto& [name, schema] : defs) CheckParsable(schema, defs, name);
}

TEST(OpenApiV2Test, BuiltinIsComputedOnceWithStableETag) {
  EXPECT_EQ(&BuiltinOpenApiV2Protobuf(), &BuiltinOpenApiV2Protobuf());
  EXPECT_EQ(BuiltinOpenApiV2Protobuf(), OpenApiV2Protobuf());
  const std::string& etag = BuiltinOpenApiV2ETag();
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_EQ(etag, BuiltinOpenApiV2ETag());
}

TEST(OpenApiV2Test, ExtraDefinitionsJoinTheBuiltinOnes) {
  boost::json::object extra;
  extra["com.example.stable.v1.Gadget"] = boost::json::object{
      {"type", "object"},
      {"properties", boost::json::object{{"metadata", boost::json::object{
                                              {"$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
                                          {"spec", boost::json::object{{"type", "object"}}}}},
      {"x-kubernetes-group-version-kind",
       boost::json::array{boost::json::object{{"group", "stable.example.com"}, {"kind", "Gadget"}, {"version", "v1"}}}}};
  std::string doc = OpenApiV2Protobuf(extra);
  auto defs = Definitions(doc);
  ASSERT_TRUE(defs.count("com.example.stable.v1.Gadget"));
  EXPECT_TRUE(defs.count("io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(defs.size(), Definitions(BuiltinOpenApiV2Protobuf()).size() + 1);
  const Message& gadget = defs["com.example.stable.v1.Gadget"];
  EXPECT_THAT(GvkStrings(gadget), ElementsAre("stable.example.com/v1/Gadget"));
  // v2 refs are kept as they are
  EXPECT_EQ(Properties(gadget)["metadata"].One(kSchemaRef), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_THAT(Types(Properties(gadget)["spec"]), ElementsAre("object"));
  CheckParsable(gadget, defs, "com.example.stable.v1.Gadget");
}

}  // namespace
}  // namespace skiff::api
