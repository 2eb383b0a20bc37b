"""networking.k8s.io/v1 served as Kubernetes 1.32 serves it, through real kubectl and the Python
client: `kubectl create ingress` (protobuf bodies) with rules, class and default backend; the
default IngressClass `skiff` and the DefaultIngressClass admission; tables, describe and explain;
NetworkPolicy manifests applied with their defaults; invalid objects refused with 422 and kube's
field paths and wording; NetworkingV1Api create/list/read."""
import json
import time

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from conftest import Skiff, wait_for


@pytest.fixture(scope="module")
def shared_skiff():
    server = Skiff().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def s(shared_skiff):
    return shared_skiff


@pytest.fixture(scope="module")
def net(api):
    return client.NetworkingV1Api(api)


def make_namespace(s, prefix):
    name = f"{prefix}-{int(time.time() * 1000) % 1000000}"
    s.kubectl("create", "namespace", name)
    return name


def apply(s, obj, ns, check=True):
    return s.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(obj), check=check)


def table(s, *args):
    """`kubectl get` output as rows of whitespace-split cells (header first)."""
    return [line.split() for line in s.kubectl("get", *args).stdout.strip().splitlines()]


def test_default_ingress_class_exists(s):
    cls = s.kubectl_json("get", "ingressclass", "skiff")
    assert cls["spec"]["controller"] == "skiff.dev/ingress"
    assert cls["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert cls["metadata"]["generation"] == 1
    rows = table(s, "ingressclass")
    assert rows[0] == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
    assert rows[1][:3] == ["skiff", "skiff.dev/ingress", "<none>"]


def test_kubectl_create_ingress_rules_class_and_default_backend(s):
    ns = make_namespace(s, "ing")
    s.kubectl("create", "ingress", "web", "-n", ns, "--class=skiff",
              "--rule=foo.example.com/api*=api:8080,tls=foo-tls",
              "--rule=bar.example.com/=front:http",
              "--default-backend=fallback:80")
    ing = s.kubectl_json("get", "ingress", "web", "-n", ns)
    spec = ing["spec"]
    assert spec["ingressClassName"] == "skiff"
    assert spec["defaultBackend"] == {"service": {"name": "fallback", "port": {"number": 80}}}
    assert spec["tls"] == [{"hosts": ["foo.example.com"], "secretName": "foo-tls"}]
    first, second = spec["rules"]
    assert first["host"] == "foo.example.com"
    assert first["http"]["paths"] == [{"path": "/api", "pathType": "Prefix",
                                       "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]
    assert second["http"]["paths"][0]["pathType"] == "Exact"
    assert second["http"]["paths"][0]["backend"]["service"]["port"] == {"name": "http"}
    assert ing["status"] == {"loadBalancer": {}}
    assert ing["metadata"]["generation"] == 1

    rows = table(s, "ing", "-n", ns)
    assert rows[0] == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert rows[1][:3] == ["web", "skiff", "foo.example.com,bar.example.com"]
    # ADDRESS is empty until a controller reports one, so PORTS is the next cell kubectl prints.
    assert rows[1][3:5] == ["80,", "443"]

    described = s.kubectl("describe", "ingress", "web", "-n", ns).stdout
    assert "Ingress Class:    skiff" in described
    assert "foo-tls terminates foo.example.com" in described
    assert "/api   api:8080" in described
    assert "fallback:80" in described

    # A spec change moves the generation; the class stays as it was.
    s.kubectl("patch", "ingress", "web", "-n", ns, "--type=merge", "-p",
              json.dumps({"spec": {"tls": None}}))
    ing = s.kubectl_json("get", "ingress", "web", "-n", ns)
    assert ing["metadata"]["generation"] == 2
    assert table(s, "ing", "web", "-n", ns)[1][3:4] == ["80"]


def test_ingress_without_class_gets_the_default(s):
    ns = make_namespace(s, "ingdef")
    s.kubectl("create", "ingress", "plain", "-n", ns, "--rule=/=web:80")
    assert s.kubectl_json("get", "ing", "plain", "-n", ns)["spec"]["ingressClassName"] == "skiff"
    # The legacy annotation counts as a class: no default is added.
    apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
              "metadata": {"name": "legacy", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
              "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}, ns)
    legacy = s.kubectl_json("get", "ing", "legacy", "-n", ns)
    assert "ingressClassName" not in legacy["spec"]
    assert table(s, "ing", "legacy", "-n", ns)[1][:3] == ["legacy", "<none>", "*"]

    # With a newer default class, that one wins (creationTimestamps have second resolution, and a
    # tie would go to the smaller name, "skiff").
    time.sleep(1.1)
    apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
              "metadata": {"name": "zz-newer", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
              "spec": {"controller": "example.com/ingress",
                       "parameters": {"apiGroup": "k8s.example.com", "kind": "Params", "name": "p"}}}, ns)
    try:
        newer = s.kubectl_json("get", "ingressclass", "zz-newer")
        assert newer["spec"]["parameters"]["scope"] == "Cluster"  # kube's default
        rows = {r[0]: r for r in table(s, "ingressclass")}
        assert rows["zz-newer"][1:3] == ["example.com/ingress", "Params.k8s.example.com/p"]
        s.kubectl("create", "ingress", "later", "-n", ns, "--rule=/=web:80")
        assert s.kubectl_json("get", "ing", "later", "-n", ns)["spec"]["ingressClassName"] == "zz-newer"
    finally:
        s.kubectl("delete", "ingressclass", "zz-newer")


def test_network_policy_apply_defaults_and_table(s):
    ns = make_namespace(s, "np")
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "db"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                                  {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"port": 5432}, {"port": 30000, "endPort": 30100, "protocol": "UDP"}]}],
            "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"port": "dns"}]}],
        }}
    apply(s, policy, ns)
    stored = s.kubectl_json("get", "netpol", "db", "-n", ns)["spec"]
    assert stored["policyTypes"] == ["Ingress", "Egress"]
    assert stored["ingress"][0]["ports"][0] == {"port": 5432, "protocol": "TCP"}
    assert stored["ingress"][0]["ports"][1]["protocol"] == "UDP"
    assert stored["egress"][0]["ports"][0] == {"port": "dns", "protocol": "TCP"}

    apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "deny-all"}, "spec": {}}, ns)
    deny = s.kubectl_json("get", "netpol", "deny-all", "-n", ns)["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}

    rows = {r[0]: r for r in table(s, "netpol", "-n", ns)}
    assert rows["NAME"] == ["NAME", "POD-SELECTOR", "AGE"]
    assert rows["db"][1] == "app=db"
    assert rows["deny-all"][1] == "<none>"
    described = s.kubectl("describe", "netpol", "db", "-n", ns).stdout
    assert "PodSelector:     app=db" in described and "Policy Types: Ingress, Egress" in described
    # Re-applying the manifest sends the atomic rule lists again (the stored ones carry the
    # defaulted protocol), as with kube; the server's defaults make that a no-op write.
    before = s.kubectl_json("get", "netpol", "db", "-n", ns)["metadata"]
    apply(s, policy, ns)
    after = s.kubectl_json("get", "netpol", "db", "-n", ns)["metadata"]
    assert (after["generation"], after["resourceVersion"]) == (before["generation"], before["resourceVersion"])
    policy["spec"]["policyTypes"] = ["Ingress"]
    apply(s, policy, ns)
    assert s.kubectl_json("get", "netpol", "db", "-n", ns)["metadata"]["generation"] == before["generation"] + 1


@pytest.mark.parametrize("obj,causes", [
    ({"kind": "Ingress", "metadata": {"name": "ip-host"},
      "spec": {"rules": [{"host": "10.0.0.1", "http": {"paths": [
          {"path": "api", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
     ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path']),
    ({"kind": "Ingress", "metadata": {"name": "no-type"},
      "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {
          "service": {"name": "web", "port": {"name": "http", "number": 80}}}}]}}]}},
     ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]),
    ({"kind": "Ingress", "metadata": {"name": "both-ports"},
      "spec": {"defaultBackend": {"service": {"name": "web", "port": {"name": "http", "number": 80}}}}},
     ['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']),
    ({"kind": "Ingress", "metadata": {"name": "empty"}, "spec": {}},
     ["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]),
    ({"kind": "NetworkPolicy", "metadata": {"name": "bad-ports"},
      "spec": {"podSelector": {}, "ingress": [{"ports": [{"endPort": 90}, {"port": "http", "endPort": 90}]}]}},
     ["spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified",
      "spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric"]),
    ({"kind": "NetworkPolicy", "metadata": {"name": "bad-peer"},
      "spec": {"podSelector": {}, "egress": [{"to": [
          {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}, "podSelector": {}}]}],
               "policyTypes": ["Egress", "Sideways"]}},
     ['spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer",
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"']),
    ({"kind": "IngressClass", "metadata": {"name": "bad-class"},
      "spec": {"controller": "nginx", "parameters": {"kind": "Params", "name": "p", "scope": "Cluster",
                                                     "namespace": "x"}}},
     ['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      "spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]),
])
def test_invalid_objects_are_refused_with_kubes_messages(s, net, obj, causes):
    ns = make_namespace(s, "bad")
    obj = {"apiVersion": "networking.k8s.io/v1", **obj}
    name = obj["metadata"]["name"]
    res = s.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(obj), check=False)
    assert res.returncode != 0
    # kubectl prints one cause after the message, several as a list.
    if len(causes) == 1:
        want = f'The {obj["kind"]} "{name}" is invalid: {causes[0]}'
    else:
        want = f'The {obj["kind"]} "{name}" is invalid: \n' + "\n".join(f"* {c}" for c in causes)
    assert res.stderr.strip() == want, res.stderr
    # The Status itself: 422 Invalid, kube's aggregated message.
    kind = obj["kind"]
    path = (f"/apis/networking.k8s.io/v1/namespaces/{ns}/{kind.lower()}s" if kind != "IngressClass"
            else "/apis/networking.k8s.io/v1/ingressclasses")
    path = path.replace("ingresss", "ingresses").replace("networkpolicys", "networkpolicies")
    with pytest.raises(ApiException) as exc:
        net.api_client.call_api(path, "POST", body=obj, auth_settings=["BearerToken"], response_type="object",
                                _return_http_data_only=True)
    assert exc.value.status == 422
    status = json.loads(exc.value.body)
    joined = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
    assert status["message"] == f'{kind}.networking.k8s.io "{name}" is invalid: {joined}'
    assert [f'{c["field"]}: {c["message"]}' for c in status["details"]["causes"]] == causes


def test_ingress_class_controller_is_immutable(s):
    s.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "fixed"},
        "spec": {"controller": "example.com/a"}}))
    try:
        res = s.kubectl("patch", "ingressclass", "fixed", "--type=merge", "-p",
                        json.dumps({"spec": {"controller": "example.com/b"}}), check=False)
        assert res.returncode != 0
        assert 'spec.controller: Invalid value: "example.com/b": field is immutable' in res.stderr
    finally:
        s.kubectl("delete", "ingressclass", "fixed")


def test_explain_reads_the_networking_schema(s):
    rules = s.kubectl("explain", "ingress.spec.rules").stdout
    assert "GROUP:      networking.k8s.io" in rules and "KIND:       Ingress" in rules
    assert "FIELD: rules <[]IngressRule>" in rules
    assert "host\t<string>" in rules and "http\t<HTTPIngressRuleValue>" in rules
    paths = s.kubectl("explain", "ingress.spec.rules.http.paths").stdout
    assert "pathType\t<string> -required-" in paths
    assert "enum: Exact, ImplementationSpecific, Prefix" in paths
    peer = s.kubectl("explain", "networkpolicy.spec.ingress.from.ipBlock").stdout
    assert "cidr\t<string> -required-" in peer
    assert "controller\t<string>" in s.kubectl("explain", "ingressclass.spec").stdout


def test_python_client_create_list_read(s, net):
    ns = make_namespace(s, "py")
    backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(
        name="web", port=client.V1ServiceBackendPort(number=80)))
    created = net.create_namespaced_ingress(ns, client.V1Ingress(
        metadata=client.V1ObjectMeta(name="py-ing"),
        spec=client.V1IngressSpec(rules=[client.V1IngressRule(
            host="py.example.com", http=client.V1HTTPIngressRuleValue(paths=[
                client.V1HTTPIngressPath(path="/", path_type="Prefix", backend=backend)]))])))
    assert created.spec.ingress_class_name == "skiff"
    read = net.read_namespaced_ingress("py-ing", ns)
    assert read.spec.rules[0].http.paths[0].backend.service.port.number == 80
    assert [i.metadata.name for i in net.list_namespaced_ingress(ns).items] == ["py-ing"]

    net.create_namespaced_network_policy(ns, client.V1NetworkPolicy(
        metadata=client.V1ObjectMeta(name="py-np"),
        spec=client.V1NetworkPolicySpec(
            pod_selector=client.V1LabelSelector(match_labels={"app": "py"}),
            egress=[client.V1NetworkPolicyEgressRule(
                to=[client.V1NetworkPolicyPeer(ip_block=client.V1IPBlock(cidr="192.168.0.0/16"))],
                ports=[client.V1NetworkPolicyPort(port=443)])])))
    np = net.read_namespaced_network_policy("py-np", ns)
    assert np.spec.policy_types == ["Ingress", "Egress"]
    assert np.spec.egress[0].ports[0].protocol == "TCP"
    assert [p.metadata.name for p in net.list_namespaced_network_policy(ns).items] == ["py-np"]

    classes = net.list_ingress_class().items
    assert "skiff" in [c.metadata.name for c in classes]
    assert net.read_ingress_class("skiff").spec.controller == "skiff.dev/ingress"

    with pytest.raises(ApiException) as exc:
        net.create_namespaced_network_policy(ns, client.V1NetworkPolicy(
            metadata=client.V1ObjectMeta(name="py-bad"),
            spec=client.V1NetworkPolicySpec(pod_selector=client.V1LabelSelector(), ingress=[
                client.V1NetworkPolicyIngressRule(_from=[client.V1NetworkPolicyPeer()])])))
    assert exc.value.status == 422
    body = json.loads(exc.value.body)
    assert body["reason"] == "Invalid"
    assert body["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value: must specify a peer",
         "field": "spec.ingress[0].from[0]"}]


def test_edit_and_view_roles_cover_ingresses_and_network_policies(s):
    ns = make_namespace(s, "rbac")
    s.kubectl("create", "rolebinding", "alice-edit", "-n", ns, "--clusterrole=edit", "--user=alice")
    s.kubectl("create", "rolebinding", "bob-view", "-n", ns, "--clusterrole=view", "--user=bob")

    def can(user, verb, resource, subresource=""):
        res = s.kubectl("auth", "can-i", verb, resource, "-n", ns, f"--as={user}",
                        f"--subresource={subresource}", check=False)
        return res.stdout.strip()

    # The aggregated roles fill in once the aggregation controller has run.
    wait_for(lambda: can("alice", "create", "ingresses.networking.k8s.io") == "yes", what="edit aggregated")
    wait_for(lambda: can("bob", "list", "networkpolicies.networking.k8s.io") == "yes", what="view aggregated")
    assert can("alice", "delete", "networkpolicies.networking.k8s.io") == "yes"
    assert can("alice", "update", "ingresses.networking.k8s.io", "status") == "no"
    assert can("bob", "get", "ingresses.networking.k8s.io", "status") == "yes"
    assert can("bob", "create", "ingresses.networking.k8s.io") == "no"
    assert can("alice", "create", "ingressclasses.networking.k8s.io") == "no"


def test_ingress_status_is_written_through_the_status_subresource(s, net):
    ns = make_namespace(s, "status")
    # A class of another controller: skiff's ingressstatus controller writes the status of its own
    # classes' Ingresses (the nodes' addresses) and leaves these to theirs.
    s.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "status-other"},
        "spec": {"controller": "example.com/other-ingress"}}))
    s.kubectl("create", "ingress", "lb", "-n", ns, "--class=status-other", "--rule=lb.example.com/=web:80")
    patched = net.patch_namespaced_ingress_status("lb", ns, {"status": {"loadBalancer": {"ingress": [
        {"ip": "192.0.2.20"}, {"ip": "192.0.2.10"}, {"hostname": "lb.example.net"}]}}})
    assert [i.ip for i in patched.status.load_balancer.ingress] == ["192.0.2.20", "192.0.2.10", None]
    assert patched.metadata.generation == 1  # status is no spec change
    rows = table(s, "ing", "lb", "-n", ns, "-o", "wide")
    assert rows[1][:5] == ["lb", "status-other", "lb.example.com", "192.0.2.10,192.0.2.20,lb.example.net", "80"]
    # A write of the main resource keeps the status as it is.
    s.kubectl("label", "ingress", "lb", "-n", ns, "team=edge")
    assert len(net.read_namespaced_ingress("lb", ns).status.load_balancer.ingress) == 3
    with pytest.raises(ApiException) as exc:
        net.patch_namespaced_ingress_status("lb", ns, {"status": {"loadBalancer": {"ingress": [
            {"ip": "192.0.2.300"}]}}})
    assert exc.value.status == 422
    assert ('status.loadBalancer.ingress[0].ip: Invalid value: "192.0.2.300": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)") in json.loads(exc.value.body)["message"]
