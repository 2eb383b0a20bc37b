// structural_bench: what a custom resource write pays for its schema — Prune, Default and
// Validate of an object against a 30-field structural schema (strings with patterns and formats,
// bounded integers, enums, a map, a keyed list, nested objects, defaults) — next to the built-in
// validation of a ConfigMap of similar size. Prints ns per object for each step, the samples and
// the machine. Target: Prune+Default+Validate of the 30-field object in a few microseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "api/schema.h"
#include "api/structural/structural.h"
#include "api/unknown_fields.h"
#include "api/validation.h"
#include "bench_util.h"
#include "boost/json.hpp"

namespace {

namespace json = boost::json;
namespace structural = skiff::api::structural;
using skiff::bench::NsPerOp;

constexpr std::string_view kSchema = R"({"type":"object","properties":{
  "spec":{"type":"object","required":["image","replicas"],"properties":{
    "image":{"type":"string","minLength":1,"maxLength":255},
    "replicas":{"type":"integer","format":"int32","minimum":0,"maximum":100,"default":1},
    "mode":{"type":"string","enum":["fast","safe","off"],"default":"safe"},
    "host":{"type":"string","pattern":"^[a-z0-9.-]+$"},
    "uid":{"type":"string","format":"uuid"},
    "port":{"x-kubernetes-int-or-string":true},
    "ratio":{"type":"number","minimum":0,"maximum":1},
    "enabled":{"type":"boolean","default":true},
    "labels":{"type":"object","maxProperties":16,"additionalProperties":{"type":"string","maxLength":63}},
    "args":{"type":"array","maxItems":16,"items":{"type":"string"}},
    "resources":{"type":"object","properties":{
      "cpu":{"type":"string"},"memory":{"type":"string"},"gpu":{"type":"integer","minimum":0}}},
    "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
      "items":{"type":"object","required":["name"],"properties":{
        "name":{"type":"string"},"containerPort":{"type":"integer","minimum":1,"maximum":65535},
        "protocol":{"type":"string","enum":["TCP","UDP"],"default":"TCP"}}}},
    "backup":{"type":"object","properties":{
      "schedule":{"type":"string"},"retain":{"type":"integer","default":7},"bucket":{"type":"string"},
      "region":{"type":"string"},"encrypt":{"type":"boolean"}}},
    "owner":{"type":"string"},"team":{"type":"string"},"tier":{"type":"string","enum":["web","db","cache"]},
    "notes":{"type":"string","maxLength":1024},"priority":{"type":"integer"}}},
  "status":{"type":"object","properties":{"ready":{"type":"boolean"},"observedGeneration":{"type":"integer"}}}}})";

constexpr std::string_view kObject = R"({"apiVersion":"example.com/v1","kind":"Widget",
  "metadata":{"name":"w1","namespace":"default","labels":{"app":"w"}},
  "spec":{"image":"registry.example.com/app:1.2.3","replicas":3,"host":"app.example.com",
    "uid":"123e4567-e89b-12d3-a456-426614174000","port":"http","ratio":0.5,
    "labels":{"a":"1","b":"2","c":"3"},"args":["--verbose","--port=8080"],
    "resources":{"cpu":"500m","memory":"1Gi","gpu":0},
    "ports":[{"name":"http","containerPort":8080},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],
    "backup":{"schedule":"@daily","bucket":"b","region":"eu","encrypt":true},
    "owner":"me","team":"core","tier":"web","notes":"none","priority":5,"unknownField":1}})";

constexpr std::string_view kConfigMap = R"({"apiVersion":"v1","kind":"ConfigMap",
  "metadata":{"name":"c1","namespace":"default","labels":{"app":"w"}},
  "data":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9","j":"10","k":"11","l":"12",
          "m":"13","n":"14","o":"15","p":"16","q":"17","r":"18","s":"19","t":"20","u":"21","v":"22","w":"23",
          "x":"24","y":"25","z":"26","aa":"27","bb":"28","cc":"29","dd":"30"}})";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cost of CRD structural-schema pruning, defaulting and validation per object"};
  int iterations = 200000;
  app.add_option("--iterations", iterations, "objects per measurement");
  CLI11_PARSE(app, argc, argv);

  structural::CompileResult compiled = structural::Compile(json::parse(kSchema), "openAPIV3Schema");
  if (!std::holds_alternative<std::shared_ptr<const structural::Schema>>(compiled)) {
    std::fprintf(stderr, "schema does not compile\n");
    return 1;
  }
  const structural::Schema& schema = *std::get<std::shared_ptr<const structural::Schema>>(compiled);
  const json::value object = json::parse(kObject);
  {
    json::value check = object;
    structural::Prune(schema, &check);
    structural::Default(schema, &check);
    if (!structural::Validate(schema, check, nullptr).empty()) {
      std::fprintf(stderr, "the sample object does not validate\n");
      return 1;
    }
  }
  const skiff::api::TypeSchema* config_map = skiff::api::BuiltinSchemas().FindType("io.k8s.api.core.v1.ConfigMap");
  const json::value cm = json::parse(kConfigMap);

  // Each measurement copies the parsed object first, as a request handler does; the copy is
  // measured on its own so it can be subtracted.
  double copy = NsPerOp(iterations, [&] { json::value v = object; });
  double prune = NsPerOp(iterations, [&] {
    json::value v = object;
    structural::Prune(schema, &v);
  });
  double prune_default = NsPerOp(iterations, [&] {
    json::value v = object;
    structural::Prune(schema, &v);
    structural::Default(schema, &v);
  });
  json::value ready = object;
  structural::Prune(schema, &ready);
  structural::Default(schema, &ready);
  double validate = NsPerOp(iterations, [&] { auto e = structural::Validate(schema, ready, nullptr); });
  double all = NsPerOp(iterations, [&] {
    json::value v = object;
    structural::Prune(schema, &v);
    structural::Default(schema, &v);
    auto e = structural::Validate(schema, v, nullptr);
  });
  double cm_copy = NsPerOp(iterations, [&] { json::value v = cm; });
  double cm_all = NsPerOp(iterations, [&] {
    json::value v = cm;
    skiff::api::PruneUnknownFields(*config_map, v);
    auto e = skiff::api::ValidateObject(*config_map, v);
  });

  skiff::bench::MachineInfo machine = skiff::bench::ReadMachineInfo();
  std::printf("structural_bench: %d objects per measurement; %d CPUs (%s), load %s\n", iterations, machine.cpus,
              machine.cpu_model.c_str(), machine.load_average.c_str());
  std::printf("custom resource, 30-field schema (copy of the object excluded):\n");
  std::printf("  prune                      %8.0f ns\n", prune - copy);
  std::printf("  prune + default            %8.0f ns\n", prune_default - copy);
  std::printf("  validate                   %8.0f ns\n", validate);
  std::printf("  prune + default + validate %8.0f ns\n", all - copy);
  std::printf("ConfigMap, 30 data keys, built-in prune + validate: %8.0f ns\n", cm_all - cm_copy);
  std::printf("%s\n", skiff::bench::Verdict(all - copy <= 10000, "prune+default+validate <= 10 us").c_str());
  return 0;
}
