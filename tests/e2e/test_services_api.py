"""Service machinery of the API server through kubectl: ClusterIP and NodePort allocation, the
kubernetes and kube-dns Services, requested values and collisions (422 with Kubernetes' wording),
values kept across updates and released on delete, and allocator repair after a restart."""
import ipaddress
import json

import pytest

from conftest import Skiff

CIDR = ipaddress.ip_network("10.43.0.0/16")


@pytest.fixture(scope="module")
def s():
    server = Skiff().start()
    yield server
    server.cleanup()


def svc(s, name, ns="default"):
    return s.kubectl_json("get", "svc", name, "-n", ns)


def apply(s, obj, check=True):
    return s.kubectl("apply", "-f", "-", input=json.dumps(obj), check=check)


def service(name, type_="ClusterIP", ports=None, **spec):
    body = {"type": type_, "selector": {"app": name}, "ports": ports or [{"port": 80, "targetPort": 8080}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def test_default_services(s):
    k = svc(s, "kubernetes")
    assert k["spec"]["clusterIP"] == "10.43.0.1"
    assert k["spec"]["ports"][0]["port"] == 443 and k["spec"]["ports"][0]["targetPort"] == s.port
    slices = s.kubectl_json("get", "endpointslices", "-l", "kubernetes.io/service-name=kubernetes")["items"]
    assert slices and slices[0]["ports"][0]["port"] == s.port
    dns = svc(s, "kube-dns", "kube-system")
    assert dns["spec"]["clusterIP"] == "10.43.0.10"
    assert {(p["name"], p["protocol"]) for p in dns["spec"]["ports"]} == {("dns", "UDP"), ("dns-tcp", "TCP")}


def test_create_service_gets_cluster_ip(s):
    s.kubectl("create", "service", "clusterip", "front", "--tcp=80:8080")
    spec = svc(s, "front")["spec"]
    assert ipaddress.ip_address(spec["clusterIP"]) in CIDR
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    table = s.kubectl("get", "svc", "front").stdout
    assert spec["clusterIP"] in table and "80/TCP" in table
    # kubectl apply of the same manifest again keeps the address.
    apply(s, service("front"))
    assert svc(s, "front")["spec"]["clusterIP"] == spec["clusterIP"]


def test_requested_cluster_ip_and_collision(s):
    apply(s, service("fixed", clusterIP="10.43.200.7"))
    assert svc(s, "fixed")["spec"]["clusterIP"] == "10.43.200.7"
    res = apply(s, service("fixed2", clusterIP="10.43.200.7"), check=False)
    assert res.returncode != 0
    assert "provided IP is already allocated" in res.stderr
    res = apply(s, service("outside", clusterIP="192.168.9.9"), check=False)
    assert res.returncode != 0 and "The range of valid IPs is 10.43.0.0/16" in res.stderr
    # Changing a set address is refused; deleting frees it for another Service.
    res = s.kubectl("patch", "svc", "fixed", "-p", '{"spec":{"clusterIP":"10.43.200.8","clusterIPs":["10.43.200.8"]}}',
                    check=False)
    assert res.returncode != 0 and "may not change once set" in res.stderr
    s.kubectl("delete", "svc", "fixed")
    apply(s, service("fixed2", clusterIP="10.43.200.7"))
    assert svc(s, "fixed2")["spec"]["clusterIP"] == "10.43.200.7"


def test_node_ports(s):
    apply(s, service("np", "NodePort", [{"name": "a", "port": 80}, {"name": "b", "port": 81, "nodePort": 31234}]))
    ports = svc(s, "np")["spec"]["ports"]
    assert 30000 <= ports[0]["nodePort"] <= 32767 and ports[0]["nodePort"] != 31234
    assert ports[1]["nodePort"] == 31234
    assert svc(s, "np")["spec"]["externalTrafficPolicy"] == "Cluster"
    res = apply(s, service("np2", "NodePort", [{"port": 80, "nodePort": 31234}]), check=False)
    assert res.returncode != 0
    assert "spec.ports[0].nodePort: Invalid value: 31234: provided port is already allocated" in res.stderr
    res = apply(s, service("np3", "NodePort", [{"port": 80, "nodePort": 8080}]), check=False)
    assert "The range of valid ports is 30000-32767" in res.stderr
    res = apply(s, service("np4", ports=[{"port": 80, "nodePort": 30500}]), check=False)
    assert "may not be used when `type` is 'ClusterIP'" in res.stderr
    assert s.kubectl("get", "svc", "np2", check=False).returncode != 0  # nothing stored
    # Back to ClusterIP: the node ports are released and can be taken again.
    s.kubectl("patch", "svc", "np", "-p", '{"spec":{"type":"ClusterIP"}}')
    spec = svc(s, "np")["spec"]
    assert all("nodePort" not in p for p in spec["ports"]) and "externalTrafficPolicy" not in spec
    apply(s, service("np2", "NodePort", [{"port": 80, "nodePort": 31234}]))


def test_load_balancer_and_external_name(s):
    apply(s, service("lb", "LoadBalancer"))
    spec = svc(s, "lb")["spec"]
    assert spec["ports"][0]["nodePort"] >= 30000 and spec["allocateLoadBalancerNodePorts"] is True
    ext = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
           "spec": {"type": "ExternalName", "externalName": "db.example.org"}}
    apply(s, ext)
    spec = svc(s, "ext")["spec"]
    assert "clusterIP" not in spec
    assert "db.example.org" in s.kubectl("get", "svc", "ext").stdout


def test_bad_services_are_422(s):
    res = apply(s, service("twoports", ports=[{"port": 80}, {"port": 81}]), check=False)
    assert res.returncode != 0 and "spec.ports[0].name: Required value" in res.stderr
    res = apply(s, service("badtarget", ports=[{"port": 80, "targetPort": "no_such_NAME"}]), check=False)
    assert res.returncode != 0 and "spec.ports[0].targetPort" in res.stderr
    res = apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "noext"},
                    "spec": {"type": "ExternalName"}}, check=False)
    assert res.returncode != 0 and "spec.externalName: Required value" in res.stderr


def test_allocations_survive_restart():
    server = Skiff().start()
    try:
        apply(server, service("keep", "NodePort", [{"port": 80, "nodePort": 30999}], clusterIP="10.43.99.99"))
        server.kill9()
        server.start()
        res = apply(server, service("other", "NodePort", [{"port": 80, "nodePort": 30999}]), check=False)
        assert res.returncode != 0 and "provided port is already allocated" in res.stderr
        res = apply(server, service("other", clusterIP="10.43.99.99"), check=False)
        assert res.returncode != 0 and "provided IP is already allocated" in res.stderr
        server.kubectl("delete", "svc", "keep")
        apply(server, service("other", "NodePort", [{"port": 80, "nodePort": 30999}], clusterIP="10.43.99.99"))
    finally:
        server.cleanup()
