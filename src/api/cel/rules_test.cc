// Validation rules as they appear in widely installed CRDs (Gateway API, and the patterns of the
// Kubernetes documentation that cert-manager, Crossplane and Cluster API style CRDs follow),
// each evaluated on a valid and an invalid object.
#include <memory>
#include <string>
#include <vector>

#include "api/cel/cel.h"
#include "api/cel/eval_test_util.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;
using Kind = TypeHint::Kind;

struct RuleCase {
  const char* rule;
  const char* self;
  const char* want;  // "true", "false" or an error text
  const char* old_self = "";
};

std::shared_ptr<const TypeHint> Str() { return TypeHint::Of(Kind::kString); }
std::shared_ptr<const TypeHint> Int() { return TypeHint::Of(Kind::kInt); }
std::shared_ptr<const TypeHint> Str(int64_t max_length) {
  auto hint = std::make_shared<TypeHint>();
  hint->kind = Kind::kString;
  hint->max_size = max_length;
  return hint;
}

std::shared_ptr<TypeHint> Object(std::initializer_list<std::pair<const char*, std::shared_ptr<const TypeHint>>> props) {
  auto hint = std::make_shared<TypeHint>();
  hint->kind = Kind::kObject;
  for (const auto& [name, child] : props) hint->properties[name] = child;
  return hint;
}

std::shared_ptr<TypeHint> ListOf(std::shared_ptr<const TypeHint> element, int64_t max_items) {
  auto hint = std::make_shared<TypeHint>();
  hint->kind = Kind::kList;
  hint->element = std::move(element);
  hint->max_size = max_items;
  return hint;
}

void RunTable(const std::vector<RuleCase>& cases, std::shared_ptr<const TypeHint> hint = nullptr) {
  for (const RuleCase& c : cases) {
    EXPECT_EQ(EvalText(c.rule, c.self, hint, c.old_self), c.want) << c.rule << "\n  on " << c.self;
  }
}

TEST(CelRulesTest, GatewayApiHttpRoute) {
  RunTable({
      {"(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true",
       R"({"type": "PathPrefix", "value": "/api"})", "true"},
      {"(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true",
       R"({"type": "Exact", "value": "api"})", "false"},
      {"(self.type in ['Exact','PathPrefix']) ? !self.value.contains('//') : true",
       R"({"type": "Exact", "value": "/a//b"})", "false"},
      {R"((self.type in ['Exact','PathPrefix']) ? self.value.matches(r"""^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$""") : true)",
       R"({"type": "PathPrefix", "value": "/a%20b/c"})", "true"},
      {R"((self.type in ['Exact','PathPrefix']) ? self.value.matches(r"""^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$""") : true)",
       R"({"type": "PathPrefix", "value": "/a b"})", "false"},
      {"self.type in ['Exact','PathPrefix'] || self.type == 'RegularExpression'", R"({"type": "Glob"})", "false"},
      {"!(self.exists(f, f.type == 'RequestRedirect') && self.exists(f, f.type == 'URLRewrite'))",
       R"([{"type": "RequestRedirect"}, {"type": "URLRewrite"}])", "false"},
      {"self.filter(f, f.type == 'RequestHeaderModifier').size() <= 1",
       R"([{"type": "RequestHeaderModifier"}, {"type": "URLRewrite"}])", "true"},
      {"!(has(self.requestMirror) && self.type != 'RequestMirror')", R"({"type": "URLRewrite", "requestMirror": {}})", "false"},
      {"(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
       R"({"group": "", "kind": "Service", "name": "svc"})", "false"},
      {"(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
       R"({"group": "", "kind": "Service", "name": "svc", "port": 80})", "true"},
      {"!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && "
       "duration(self.backendRequest) > duration(self.request))",
       R"({"request": "10s", "backendRequest": "15s"})", "false"},
      {"!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && "
       "duration(self.backendRequest) > duration(self.request))",
       R"({"request": "0s", "backendRequest": "15s"})", "true"},
      {"(has(self.filters) && self.filters.exists_one(f, has(f.urlRewrite) && has(f.urlRewrite.path) && "
       "f.urlRewrite.path.type == 'ReplacePrefixMatch' && has(f.urlRewrite.path.replacePrefixMatch))) ? "
       "((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true",
       R"({"filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/x"}}}],
           "matches": [{"path": {"type": "Exact", "value": "/a"}}]})",
       "false"},
      {"(self.size() > 0 ? self[0].matches.size() : 0) + (self.size() > 1 ? self[1].matches.size() : 0) <= 2",
       R"([{"matches": [{}, {}]}, {"matches": [{}]}])", "false"},
      {"self.all(key, key.split(\"/\")[0].size() < 253)", R"({"example.com/a": "1", "b": "2"})", "true"},
      {R"(self.type == 'Hostname' ? self.value.matches(r"""^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"""): true)",
       R"({"type": "Hostname", "value": "*.example.com"})", "true"},
      {R"(self.type == 'Hostname' ? self.value.matches(r"""^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"""): true)",
       R"({"type": "Hostname", "value": "Bad_Host"})", "false"},
      {"self.numerator <= self.denominator", R"({"numerator": 3, "denominator": 2})", "false"},
      {"!(has(self.percent) && has(self.fraction))", R"({"percent": 5})", "true"},
      {"!('*' in self && self.size() > 1)", R"(["*", "GET"])", "false"},
  });
}

TEST(CelRulesTest, GatewayApiGatewayListeners) {
  RunTable({
      {"self.all(l1, self.exists_one(l2, l1.name == l2.name))", R"([{"name": "a"}, {"name": "b"}])", "true"},
      {"self.all(l1, self.exists_one(l2, l1.name == l2.name))", R"([{"name": "a"}, {"name": "a"}])", "false"},
      {"self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)",
       R"([{"protocol": "HTTP", "tls": {"mode": "Terminate"}}])", "false"},
      {"self.all(l, (l.protocol == 'TLS' ? has(l.tls) && has(l.tls.mode) && l.tls.mode != '' : true))",
       R"([{"protocol": "TLS", "tls": {"mode": "Passthrough"}}])", "true"},
      {"self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && "
       "has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))",
       R"([{"port": 80, "protocol": "HTTP", "hostname": "a"}, {"port": 80, "protocol": "HTTP", "hostname": "b"}])", "true"},
      {"self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && "
       "has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))",
       R"([{"port": 80, "protocol": "HTTP"}, {"port": 80, "protocol": "HTTP"}])", "false"},
      {"self.all(a1, a1.type == 'IPAddress' && has(a1.value) ? self.exists_one(a2, a2.type == a1.type && has(a2.value) && "
       "a2.value == a1.value) : true )",
       R"([{"type": "IPAddress", "value": "10.0.0.1"}, {"type": "IPAddress", "value": "10.0.0.1"}])", "false"},
      {"self.mode == 'Terminate' ? size(self.certificateRefs) > 0 || size(self.options) > 0 : true",
       R"({"mode": "Terminate", "certificateRefs": [], "options": {}})", "false"},
  });
}

TEST(CelRulesTest, GatewayApiParentRefsUseTheEscapedNamespaceField) {
  // maxLength as the Gateway API schema declares them.
  auto ref = Object({{"group", Str(253)}, {"kind", Str(63)}, {"name", Str(253)}, {"namespace", Str(63)},
                     {"sectionName", Str(253)}});
  auto refs = ListOf(ref, 32);
  const char* rule =
      "self.all(p1, self.exists_one(p2, p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && "
      "(((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || "
      "(has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ )) && "
      "(((!has(p1.sectionName) || p1.sectionName == '') && (!has(p2.sectionName) || p2.sectionName == '')) || "
      "(has(p1.sectionName) && has(p2.sectionName) && p1.sectionName == p2.sectionName))))";
  RunTable({{rule, R"([{"group": "g", "kind": "Gateway", "name": "gw", "namespace": "a"},
                        {"group": "g", "kind": "Gateway", "name": "gw", "namespace": "b"}])", "true"},
            {rule, R"([{"group": "g", "kind": "Gateway", "name": "gw", "namespace": "a"},
                        {"group": "g", "kind": "Gateway", "name": "gw", "namespace": "a"}])", "false"}},
           refs);
  auto program = Compile(rule, {{"self", refs}});
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_LT((*program)->estimated_cost(), kStaticEstimatedCostLimit);  // maxItems and maxLength bound it
  // Without maxLength every string comparison may cost a 3 MiB scan, as kube estimates.
  auto unbounded = ListOf(Object({{"group", Str()}, {"kind", Str()}, {"name", Str()}, {"namespace", Str()},
                                  {"sectionName", Str()}}), 32);
  auto expensive = Compile(rule, {{"self", unbounded}});
  ASSERT_TRUE(expensive.ok());
  EXPECT_GT((*expensive)->estimated_cost(), kStaticEstimatedCostLimit);
}

TEST(CelRulesTest, DocumentationPatterns) {
  auto scale = Object({{"minReplicas", Int()}, {"replicas", Int()}, {"maxReplicas", Int()}});
  RunTable({{"self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas",
             R"({"minReplicas": 1, "replicas": 3, "maxReplicas": 5})", "true"},
            {"self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas",
             R"({"minReplicas": 1, "replicas": 7, "maxReplicas": 5})", "false"}},
           scale);
  RunTable({
      // Transition rules: immutability and no removal once set.
      {"self == oldSelf", R"({"a": [1, 2]})", "true", R"({"a": [1, 2]})"},
      {"self == oldSelf", R"({"a": [1, 2]})", "false", R"({"a": [2, 1]})"},
      {"!has(oldSelf.issuerRef) || has(self.issuerRef)", R"({})", "false", R"({"issuerRef": {"name": "ca"}})"},
      {"self.replicas >= oldSelf.replicas", R"({"replicas": 2})", "false", R"({"replicas": 3})"},
      // Maps and lists of the documentation's examples.
      {"self.all(key, key.matches('^[a-zA-Z]*$'))", R"({"ok": 1, "n0t": 2})", "false"},
      {"self.all(x, self[x].startsWith('v'))", R"({"a": "v1", "b": "v2"})", "true"},
      {"size(self) == size(self.map(x, x.name).filter(n, true)) && self.map(x, x.name).isSorted()",
       R"([{"name": "a"}, {"name": "b"}])", "true"},
      {"self.map(c, c.name).all(n, self.exists_one(c, c.name == n))", R"([{"name": "a"}, {"name": "a"}])", "false"},
      {"timestamp(self.created) + duration(self.ttl) < timestamp(self.expired)",
       R"({"created": "2023-01-01T00:00:00Z", "ttl": "1h", "expired": "2023-01-01T02:00:00Z"})", "true"},
      {"type(self) == string ? self == '99%' : self >= 0", R"("50%")", "false"},
      {"self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
       R"({"metadata": {"name": "my-cert"}})", "true"},
      // Quantities (resource limits in operator CRDs).
      {"quantity(self.limit).compareTo(quantity(self.request)) >= 0", R"({"request": "500Mi", "limit": "1Gi"})", "true"},
      {"!has(self.storage) || quantity(self.storage).isGreaterThan(quantity('1Gi'))", R"({"storage": "512Mi"})", "false"},
      // Version strings (Cluster API style).
      {"self.matches('^v(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)$')", R"("v1.28.3")", "true"},
      {"self.matches('^v(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)\\\\.(0|[1-9][0-9]*)$')", R"("1.28")", "false"},
      // Optionals in newer rules (kube 1.29+).
      {"self.?spec.?replicas.orValue(1) > 0", R"({"spec": {}})", "true"},
      {"self.?spec.?replicas.orValue(1) > 0", R"({"spec": {"replicas": 0}})", "false"},
      // Errors the API server reports as rule evaluation failures.
      {"self.spec.replicas > 0", R"({"spec": {}})", "error: no such key: replicas"},
      {"self.a / self.b > 1", R"({"a": 1, "b": 0})", "error: division by zero"},
  });
}

}  // namespace
}  // namespace skiff::api::cel
