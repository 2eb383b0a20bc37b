"""End to end NetworkPolicy enforcement with real containers and real packets: `skiff server` with its
in-process agent, whose enforcer programs the nftables table skiff-netpol. A busybox httpd server pod
(ports 80, 8080 named "alt", 9000 and 9100) in namespace np-a, clients in np-a (labelled and not) and
in np-b (namespace labelled team=b). Every check runs wget or nslookup inside a client pod against a
pod or service address the agent created. Everything is removed afterwards (`skiff agent reset`)."""
import json

import pytest

from agent_util import BUSYBOX, agent_node, running_ready, wait_for, wait_pod

DNS_IP = "10.43.0.10"
SERVER_CMD = ("mkdir -p /www && echo ok > /www/index.html && httpd -p 80 -h /www && httpd -p 8080 -h /www && "
              "httpd -p 9000 -h /www && exec httpd -f -p 9100 -h /www")


def pod(name, ns, labels, command, ports=()):
    container = {"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["sh", "-c", command]}
    if ports:
        container["ports"] = list(ports)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}


def create(s, obj):
    s.kubectl("apply", "-f", "-", input=json.dumps(obj))


@pytest.fixture(scope="module")
def cluster():
    with agent_node("skiff-netpol-e2e-") as s:
        create(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "np-a", "labels": {"team": "a"}}})
        create(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "np-b", "labels": {"team": "b"}}})
        create(s, pod("server", "np-a", {"app": "server"}, SERVER_CMD, [{"name": "alt", "containerPort": 8080}]))
        for name, ns, labels in (("client", "np-a", {"role": "client"}), ("stranger", "np-a", {}),
                                 ("client", "np-b", {"role": "client"})):
            create(s, pod(name, ns, labels, "exec sleep 3600"))
        s.ips = {}
        for name, ns in (("server", "np-a"), ("client", "np-a"), ("stranger", "np-a"), ("client", "np-b")):
            p = wait_pod(s, name, running_ready, 90, f"{ns}/{name} Running", ns=ns)
            s.ips[f"{ns}/{name}"] = p["status"]["podIP"]
        create(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "server", "namespace": "np-a"},
                   "spec": {"selector": {"app": "server"}, "ports": [{"port": 80}]}})
        s.server_vip = s.kubectl_json("get", "svc", "server", "-n", "np-a")["spec"]["clusterIP"]
        yield s


@pytest.fixture
def s(cluster):
    yield cluster
    for ns in ("np-a", "np-b"):
        cluster.kubectl("delete", "networkpolicy", "--all", "-n", ns, "--wait=false")


def fetch(s, client, target, port):
    """Whether `client` ("ns/name") gets the server's page from target:port."""
    ns, name = client.split("/")
    # busybox 1.35's `wget -T` crashes: timeout(1) bounds it instead.
    r = s.kubectl("exec", "-n", ns, name, "--", "timeout", "3", "wget", "-q", "-O", "-", f"http://{target}:{port}/",
                  check=False, timeout=30)
    return r.returncode == 0 and r.stdout.strip() == "ok"


def expect(s, client, port, ok, target=None):
    """Waits (the policy takes a moment to reach the node) until the outcome is `ok`, then checks it
    holds."""
    target = target or s.ips["np-a/server"]
    wait_for(lambda: fetch(s, client, target, port) == ok, 20, 0.5,
             f"{client} -> {target}:{port} {'admitted' if ok else 'refused'}")


def policy(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


SERVER = {"matchLabels": {"app": "server"}}


def test_default_deny_blocks_and_deleting_the_policy_restores_traffic(s):
    expect(s, "np-a/client", 80, True)
    create(s, policy("deny", "np-a", {"podSelector": SERVER, "policyTypes": ["Ingress"]}))
    expect(s, "np-a/client", 80, False)
    expect(s, "np-b/client", 80, False)
    # The node itself (kubelet probes, host processes) is never policed: the pod stays Ready.
    assert running_ready(s.kubectl_json("get", "pod", "server", "-n", "np-a"))
    s.kubectl("delete", "networkpolicy", "deny", "-n", "np-a")
    expect(s, "np-a/client", 80, True)
    expect(s, "np-b/client", 80, True)


def test_allow_by_pod_label_also_behind_a_service(s):
    create(s, policy("deny", "np-a", {"podSelector": {}}))  # every pod of np-a
    create(s, policy("clients", "np-a", {"podSelector": SERVER,
                                         "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}]}]}))
    expect(s, "np-a/client", 80, True)
    expect(s, "np-a/stranger", 80, False)
    expect(s, "np-b/client", 80, False)  # podSelector alone: the policy's namespace only
    # Service traffic is policed after DNAT, on the endpoint's address.
    expect(s, "np-a/client", 80, True, target=s.server_vip)
    expect(s, "np-a/stranger", 80, False, target=s.server_vip)


def test_allow_by_namespace_label(s):
    create(s, policy("team-b", "np-a", {"podSelector": SERVER,
                                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]}))
    expect(s, "np-b/client", 80, True)
    expect(s, "np-a/client", 80, False)
    # Both selectors in one peer: labelled pods of labelled namespaces.
    create(s, policy("team-b", "np-a", {"podSelector": SERVER, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"role": "nobody"}}}]}]}))
    expect(s, "np-b/client", 80, False)


def test_egress_deny_blocks_dns_unless_allowed(s):
    def lookup():
        r = s.kubectl("exec", "-n", "np-a", "client", "--", "nslookup", "-timeout=2", "-retry=1",
                      "server.np-a.svc.cluster.local", DNS_IP, check=False, timeout=30)
        return r.returncode == 0 and s.server_vip in r.stdout

    assert wait_for(lookup, 20, 0.5, "DNS answers without policies")
    create(s, policy("no-egress", "np-a", {"podSelector": {"matchLabels": {"role": "client"}},
                                           "policyTypes": ["Egress"]}))
    wait_for(lambda: not lookup(), 20, 0.5, "DNS refused under egress default deny")
    expect(s, "np-a/client", 80, False)
    create(s, policy("dns", "np-a", {"podSelector": {"matchLabels": {"role": "client"}}, "policyTypes": ["Egress"],
                                     "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                                         "kubernetes.io/metadata.name": "kube-system"}},
                                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                         "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}))
    wait_for(lookup, 20, 0.5, "DNS admitted by an egress rule to kube-dns")
    expect(s, "np-a/client", 80, False)  # still nothing else
    assert fetch(s, "np-a/stranger", s.ips["np-a/server"], 80)  # an unselected pod is not policed


def test_ip_block_with_except(s):
    cidr = s.ips["np-b/client"].rsplit(".", 2)[0] + ".0.0/16"
    create(s, policy("block", "np-a", {"podSelector": SERVER, "ingress": [{"from": [
        {"ipBlock": {"cidr": cidr, "except": [s.ips["np-b/client"] + "/32"]}}]}]}))
    expect(s, "np-a/client", 80, True)
    expect(s, "np-b/client", 80, False)


def test_named_port_and_end_port_range(s):
    create(s, policy("ports", "np-a", {"podSelector": SERVER, "ingress": [{"ports": [
        {"port": "alt"}, {"port": 9000, "endPort": 9050}]}]}))
    expect(s, "np-a/client", 8080, True)  # "alt" is 8080 on the server
    expect(s, "np-a/client", 9000, True)
    expect(s, "np-a/client", 80, False)
    expect(s, "np-a/client", 9100, False)
