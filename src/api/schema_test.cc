#include "api/schema.h"

#include <set>
#include <string>

#include "api/defaults.h"
#include "api/embedded_schemas.h"
#include "api/patch_meta.h"
#include "api/schema_parser.h"
#include "api/unknown_fields.h"
#include "api/validation.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kApps = R"(# a test file
package io.k8s.api.apps.v1       # trailing comment

kind Deployment group=apps version=v1 type=Deployment

type Deployment "A Deployment."
  apiVersion string "Version."
  kind string "Kind."
  metadata ObjectMeta "Metadata."
  spec DeploymentSpec "Spec."

type DeploymentSpec "How pods are created."
  replicas int32 default=1 min=0 "Number of \"desired\" pods."
  selector LabelSelector required "Selector."
  strategy DeploymentStrategy retainKeys "Strategy."
  names []string merge= listType=set "Names."
  containers []Container merge=name listType=map listMapKeys=name "Containers."
  byName map[Container] "Containers by name."

type DeploymentStrategy "Strategy."
  type string default=RollingUpdate enum=Recreate|RollingUpdate "Type."
  maxSurge intorstring default="25%" "Surge."

type Container "A container."
  name string required "Name."
  ports []ContainerPort merge=containerPort listType=map listMapKeys=containerPort,protocol "Ports."

type ContainerPort "A port."
  containerPort int32 required min=1 max=65535 "Port."
  protocol string default=TCP "Protocol."
)";

constexpr std::string_view kMeta = R"(package io.k8s.apimachinery.pkg.apis.meta.v1
type ObjectMeta "Meta."
  name string "Name."
  labels map[string] "Labels."
type LabelSelector mapType=atomic "Selector."
  matchLabels map[string] "Labels."
)";

absl::StatusOr<std::unique_ptr<SchemaRegistry>> LoadTest() {
  return SchemaRegistry::Load({{"apps.schema", kApps}, {"meta.schema", kMeta}});
}

TEST(SchemaParserTest, ParsesFieldsAndAttributes) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = LoadTest();
  ASSERT_TRUE(reg.ok()) << reg.status();
  const TypeSchema* spec = (*reg)->FindType("io.k8s.api.apps.v1.DeploymentSpec");
  ASSERT_NE(spec, nullptr);
  const FieldSchema* replicas = spec->Field("replicas");
  ASSERT_NE(replicas, nullptr);
  EXPECT_TRUE(replicas->type.IsScalar(ScalarKind::kInt32));
  EXPECT_EQ(replicas->default_value, boost::json::value(1));
  EXPECT_EQ(replicas->min, 0);
  EXPECT_EQ(replicas->description, "Number of \"desired\" pods.");
  EXPECT_TRUE(spec->Field("selector")->required);
  EXPECT_EQ(spec->Field("selector")->type.type->full_name,
            "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
  EXPECT_EQ(spec->Field("names")->merge_key, "");
  EXPECT_EQ(spec->Field("byName")->type.kind, FieldType::Kind::kMap);
  EXPECT_EQ(spec->Field("byName")->type.elem->type->name, "Container");
  const TypeSchema* strategy = (*reg)->FindType("io.k8s.api.apps.v1.DeploymentStrategy");
  EXPECT_EQ(strategy->Field("type")->enum_values, (std::vector<std::string>{"Recreate", "RollingUpdate"}));
  EXPECT_EQ(strategy->Field("maxSurge")->default_value, boost::json::value("25%"));
  const TypeSchema* port = (*reg)->FindType("io.k8s.api.apps.v1.ContainerPort");
  EXPECT_EQ(port->Field("protocol")->default_value, boost::json::value("TCP"));
  EXPECT_EQ(port->Field("containerPort")->max, 65535);
  EXPECT_EQ((*reg)->FindType("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")->map_type, "atomic");
}

TEST(SchemaParserTest, KindsAreRegisteredAndAttachedToTypes) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = LoadTest();
  ASSERT_TRUE(reg.ok()) << reg.status();
  const KindSchema* kind = (*reg)->FindKind("apps", "v1", "Deployment");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->type->full_name, "io.k8s.api.apps.v1.Deployment");
  ASSERT_EQ(kind->type->kinds.size(), 1u);
  EXPECT_EQ(kind->type->kinds[0].group, "apps");
  EXPECT_EQ((*reg)->FindKind("apps", "v1", "Nope"), nullptr);
  EXPECT_EQ((*reg)->Kinds().size(), 1u);
}

TEST(SchemaParserTest, DefaultOnStringFieldKeepsLiteralText) {
  absl::StatusOr<ParsedSchemaFile> f = ParseSchemaFile("x.schema", R"(package p
type T "t"
  a string default=1 "a"
  b int64 default=30 "b"
  c bool default=true "c"
  d SecurityContext default={} "d"
)");
  ASSERT_TRUE(f.ok()) << f.status();
  const TypeSchema& t = *f->types[0];
  EXPECT_EQ(t.fields[0].default_value, boost::json::value("1"));
  EXPECT_EQ(t.fields[1].default_value, boost::json::value(30));
  EXPECT_EQ(t.fields[2].default_value, boost::json::value(true));
  EXPECT_EQ(t.fields[3].default_value, boost::json::value(boost::json::object()));
}

TEST(SchemaParserTest, ErrorsNameFileAndLine) {
  struct Case {
    std::string_view text, want;
  };
  const Case cases[] = {
      {"package p\ntype T \"t\"\n  a strin[g \"a\"\n", "x.schema:3: bad type"},
      {"package p\ntype T \"t\"\n  a string bogus \"a\"\n", "x.schema:3: unknown attribute \"bogus\""},
      {"package p\n  a string \"a\"\n", "x.schema:2: field outside of a type"},
      {"type T \"t\"\n", "x.schema:1: type before any package line"},
      {"package p\ntype T \"t\"\n  a string \"a\" required\n", "x.schema:3: the description must be"},
      {"package p\ntype T \"t\"\n  a string \"a\n", "x.schema:3: unterminated quoted string"},
      {"package p\ntype T \"t\"\n  a string \"a\"\n  a int32 \"b\"\n", "x.schema:4: duplicate field"},
      {"package p\nfrobnicate\n", "x.schema:2: unknown keyword"},
      {"package p\ntype T \"t\"\n  a int32 min=x \"a\"\n", "x.schema:3: attribute min needs an integer"},
      {"package p\nkind K version=v1\n", "x.schema:2: a kind needs group= and version="},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParsedSchemaFile> f = ParseSchemaFile("x.schema", c.text);
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_THAT(std::string(f.status().message()), HasSubstr(c.want)) << c.text;
  }
}

TEST(SchemaRegistryTest, ListsEveryUnresolvedReference) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg =
      SchemaRegistry::Load({{"a.schema",
                             "package p\nkind K group=g version=v1 type=Missing\ntype T \"t\"\n"
                             "  a Nope \"a\"\n  b []Gone \"b\"\n"}});
  ASSERT_FALSE(reg.ok());
  std::string msg(reg.status().message());
  EXPECT_THAT(msg, HasSubstr("a.schema:4: unknown type \"Nope\" (field T.a)"));
  EXPECT_THAT(msg, HasSubstr("a.schema:5: unknown type \"Gone\" (field T.b)"));
  EXPECT_THAT(msg, HasSubstr("a.schema:2: kind K refers to unknown type \"Missing\""));
}

TEST(SchemaRegistryTest, DuplicateTypeIsAnError) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = SchemaRegistry::Load(
      {{"a.schema", "package p\ntype T \"t\"\n"}, {"b.schema", "package p\n\ntype T \"t\"\n"}});
  ASSERT_FALSE(reg.ok());
  EXPECT_THAT(std::string(reg.status().message()),
              HasSubstr("b.schema:3: type p.T already defined at a.schema:2"));
}

TEST(SchemaRegistryTest, ResolvesFullNamesAndSharedPackages) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg =
      SchemaRegistry::Load({{"a.schema", "package x.y\ntype A \"a\"\n  b z.B \"b\"\n  m ObjectMeta \"m\"\n"},
                            {"b.schema", "package z\ntype B \"b\"\n"},
                            {"m.schema", kMeta}});
  ASSERT_TRUE(reg.ok()) << reg.status();
  const TypeSchema* a = (*reg)->FindType("x.y.A");
  EXPECT_EQ(a->Field("b")->type.type->full_name, "z.B");
  EXPECT_EQ(a->Field("m")->type.type->name, "ObjectMeta");
}

TEST(SchemaPatchMetaTest, WalksListsAndNestedTypes) {
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = LoadTest();
  ASSERT_TRUE(reg.ok()) << reg.status();
  const PatchMeta& meta = (*reg)->PatchMetaFor("apps", "v1", "Deployment");
  FieldPatchInfo containers = meta.Lookup({"spec", "containers"});
  EXPECT_TRUE(containers.merge);
  EXPECT_EQ(containers.merge_key, "name");
  EXPECT_EQ(containers.list_type, "map");
  FieldPatchInfo ports = meta.Lookup({"spec", "containers", "ports"});
  EXPECT_TRUE(ports.merge);
  EXPECT_EQ(ports.merge_key, "containerPort");
  EXPECT_EQ(ports.list_map_keys, (std::vector<std::string>{"containerPort", "protocol"}));
  FieldPatchInfo names = meta.Lookup({"spec", "names"});
  EXPECT_TRUE(names.merge);
  EXPECT_EQ(names.merge_key, "");
  EXPECT_TRUE(meta.Lookup({"spec", "strategy"}).retain_keys);
  EXPECT_FALSE(meta.Lookup({"spec", "strategy"}).merge);
  EXPECT_TRUE(meta.Lookup({"spec", "selector"}).atomic_map);
  EXPECT_EQ(meta.Lookup({"spec", "byName", "c1", "ports"}).merge_key, "containerPort");
  FieldPatchInfo unknown = meta.Lookup({"spec", "nope", "x"});
  EXPECT_FALSE(unknown.merge);
  EXPECT_EQ(&(*reg)->PatchMetaFor("apps", "v1", "Nope"), &EmptyPatchMeta());
}

// Every embedded file parses and links: a broken file would crash BuiltinSchemas() at startup.
TEST(BuiltinSchemasTest, EveryEmbeddedFileLoadsAndEveryReferenceResolves) {
  auto files = EmbeddedSchemaFiles();
  ASSERT_FALSE(files.empty());
  std::set<std::string_view> names;
  for (const auto& [name, text] : files) names.insert(name);
  EXPECT_TRUE(names.count("meta.schema"));
  absl::StatusOr<std::unique_ptr<SchemaRegistry>> reg = SchemaRegistry::Load(files);
  ASSERT_TRUE(reg.ok()) << reg.status();
  for (const TypeSchema* type : (*reg)->Types()) {
    for (const FieldSchema& f : type->fields) {
      const FieldType* t = &f.type;
      while (t->kind == FieldType::Kind::kList || t->kind == FieldType::Kind::kMap) t = t->elem.get();
      if (t->kind == FieldType::Kind::kStruct) {
        EXPECT_NE(t->type, nullptr) << type->full_name << "." << f.name;
      }
    }
  }
  EXPECT_NE(BuiltinSchemas().FindType("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), nullptr);
}

TEST(BuiltinSchemasTest, CoreKindsHaveTheRealPatchKeys) {
  const SchemaRegistry& reg = BuiltinSchemas();
  ASSERT_NE(reg.FindKind("apps", "v1", "Deployment"), nullptr) << "the apps/v1 schema is missing";
  const PatchMeta& meta = PatchMetaFor("apps", "v1", "Deployment");
  FieldPatchInfo c = meta.Lookup({"spec", "template", "spec", "containers"});
  EXPECT_TRUE(c.merge);
  EXPECT_EQ(c.merge_key, "name");
  EXPECT_EQ(meta.Lookup({"spec", "template", "spec", "containers", "volumeMounts"}).merge_key, "mountPath");
  EXPECT_EQ(meta.Lookup({"spec", "template", "spec", "containers", "ports"}).merge_key, "containerPort");
  EXPECT_TRUE(meta.Lookup({"spec", "template", "spec", "volumes"}).retain_keys);
  EXPECT_FALSE(meta.Lookup({"spec", "template", "spec", "tolerations"}).merge);
  EXPECT_EQ(meta.Lookup({"metadata", "ownerReferences"}).merge_key, "uid");
}

// What kubectl sends for common manifests must default, validate and decode cleanly.
TEST(BuiltinSchemasTest, RealisticObjectsDefaultAndValidateCleanly) {
  struct Case {
    std::string_view group, version, kind, json;
  };
  const Case cases[] = {
      {"apps", "v1", "Deployment", R"({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"default","labels":{"app":"web"},
                    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},
                    "creationTimestamp":null},
        "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"},"creationTimestamp":null},
            "spec":{"containers":[{"name":"nginx","image":"nginx:1.27",
              "ports":[{"containerPort":80}],"env":[{"name":"A","value":"b"}],
              "resources":{"limits":{"cpu":"500m","memory":"128Mi"}},
              "readinessProbe":{"httpGet":{"path":"/","port":80}},
              "volumeMounts":[{"name":"data","mountPath":"/data"}]}],
              "volumes":[{"name":"data","emptyDir":{}}]}}},
        "status":{}})"},
      {"", "v1", "Pod", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
        "spec":{"containers":[{"name":"c","image":"busybox","command":["sh","-c","sleep 1"]}],
                "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]}})"},
      {"", "v1", "Service", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
        "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}})"},
      {"", "v1", "ConfigMap", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},
        "data":{"k":"v"}})"},
      {"", "v1", "Secret", R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
        "data":{"k":"dg=="},"stringData":{"x":"y"}})"},
      {"", "v1", "Namespace", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}})"},
      {"batch", "v1", "Job", R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},
        "spec":{"template":{"spec":{"restartPolicy":"Never",
          "containers":[{"name":"c","image":"busybox"}]}}}})"},
      {"apps", "v1", "StatefulSet", R"({"apiVersion":"apps/v1","kind":"StatefulSet",
        "metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"a":"b"}},
        "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})"},
  };
  const SchemaRegistry& reg = BuiltinSchemas();
  for (const Case& c : cases) {
    const KindSchema* kind = reg.FindKind(c.group, c.version, c.kind);
    ASSERT_NE(kind, nullptr) << c.kind;
    boost::json::value obj = boost::json::parse(c.json);
    EXPECT_THAT(FindUnknownFields(*kind->type, obj), ::testing::IsEmpty()) << c.kind;
    ApplyDefaults(*kind->type, obj);
    std::vector<std::string> messages;
    for (const FieldError& e : ValidateObject(*kind->type, obj)) {
      messages.push_back(FormatFieldError(e));
    }
    EXPECT_THAT(messages, ::testing::IsEmpty()) << c.kind << ": " << boost::json::serialize(obj);
    EXPECT_THAT(FindUnknownFields(*kind->type, obj), ::testing::IsEmpty()) << c.kind;
  }
}

}  // namespace
}  // namespace skiff::api
