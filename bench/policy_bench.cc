// policy_bench: what one ValidatingAdmissionPolicy evaluation costs a request — kube's
// documentation policy (Deployments with at most 5 replicas) and a richer one (variables, a
// messageExpression, matchConditions, a comprehension over the containers) on a realistic
// Deployment: building the request bindings (the `request` object) and evaluating every
// expression, as the plug-in does per matching binding. Prints ns per evaluation and the machine.
#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "api/resources.h"
#include "apiserver/admissioncel/environment.h"
#include "apiserver/admissionpolicy/evaluation.h"
#include "apiserver/admissionpolicy/policy.h"
#include "apiserver/auth.h"
#include "bench_util.h"
#include "boost/json.hpp"

namespace {

namespace json = boost::json;
namespace policy = skiff::apiserver::admissionpolicy;
using skiff::bench::NsPerOp;

constexpr std::string_view kDocPolicy = R"j({"metadata":{"name":"demo"},"spec":{
  "matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]},
  "validations":[{"expression":"object.spec.replicas <= 5"}]}})j";

constexpr std::string_view kRichPolicy = R"j({"metadata":{"name":"rich"},"spec":{
  "matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]},
  "matchConditions":[{"name":"not-system","expression":"!request.namespace.startsWith('kube-')"}],
  "variables":[{"name":"containers","expression":"object.spec.template.spec.containers"},
               {"name":"limit","expression":"5"}],
  "validations":[
    {"expression":"object.spec.replicas <= variables.limit","messageExpression":"'at most ' + string(variables.limit) + ' replicas'"},
    {"expression":"variables.containers.all(c, c.image.contains(':') && !c.image.endsWith(':latest'))","message":"pin images"},
    {"expression":"variables.containers.all(c, has(c.resources) && has(c.resources.limits))","message":"set limits"},
    {"expression":"has(object.metadata.labels) && 'team' in object.metadata.labels","message":"label the team"}]}})j";

constexpr std::string_view kDeployment = R"j({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","namespace":"shop","labels":{"app":"web","team":"core"}},
  "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[
    {"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}}},
    {"name":"sidecar","image":"busybox:1.36","args":["sleep","3600"],"resources":{"limits":{"cpu":"100m"}}}]}}}})j";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CPU cost of one ValidatingAdmissionPolicy evaluation per request"};
  int iterations = 100000;
  app.add_option("--iterations", iterations, "evaluations per measurement");
  CLI11_PARSE(app, argc, argv);

  const json::value object = json::parse(kDeployment);
  skiff::apiserver::User user{"admin", "", {"system:masters"}};
  skiff::apiserver::AdmissionRequest request;
  request.resource = skiff::api::FindResource("apps", "v1", "deployments");
  request.ns = "shop";
  request.name = "web";
  request.user = &user;
  auto run = [&](const policy::Policy& p) {
    skiff::apiserver::admissioncel::RequestBindings bindings(request, &object, nullptr, nullptr);
    skiff::api::cel::Activation activation = bindings.Activation();
    static const json::value null;
    activation.json.emplace_back("params", &null);
    activation.json.emplace_back("namespaceObject", &null);
    return policy::EvaluatePolicy(p, activation);
  };
  policy::Policy doc = policy::ParsePolicy(json::parse(kDocPolicy));
  policy::Policy rich = policy::ParsePolicy(json::parse(kRichPolicy));
  for (const auto* p : {&doc, &rich}) {
    policy::Outcome o = run(*p);
    if (!o.matched || !o.failures.empty()) {
      std::fprintf(stderr, "policy %s does not admit the sample: %s\n", p->name.c_str(),
                   o.failures.empty() ? "not matched" : o.failures[0].message.c_str());
      return 1;
    }
  }
  double bindings_only = NsPerOp(iterations, [&] {
    skiff::apiserver::admissioncel::RequestBindings b(request, &object, nullptr, nullptr);
  });
  double doc_ns = NsPerOp(iterations, [&] { run(doc); });
  double rich_ns = NsPerOp(iterations, [&] { run(rich); });

  skiff::bench::MachineInfo machine = skiff::bench::ReadMachineInfo();
  std::printf("policy_bench: %d evaluations per measurement; %d CPUs (%s), load %s\n", iterations, machine.cpus,
              machine.cpu_model.c_str(), machine.load_average.c_str());
  std::printf("  request bindings alone                          %8.0f ns\n", bindings_only);
  std::printf("  kube doc policy (1 validation), whole evaluation %8.0f ns\n", doc_ns);
  std::printf("  rich policy (matchCondition, 2 variables, 4 validations, comprehensions) %8.0f ns\n", rich_ns);
  return 0;
}
