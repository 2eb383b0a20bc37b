"""The basics every kubectl run needs: version, discovery, namespaces."""
import json


def test_version_reports_minor_32(shared_skiff):
    out = json.loads(shared_skiff.kubectl("version", "-o", "json").stdout)
    assert out["serverVersion"]["major"] == "1"
    assert out["serverVersion"]["minor"] == "32"


def test_bootstrap_namespaces_exist(shared_skiff):
    names = shared_skiff.kubectl("get", "namespaces", "-o", "name").stdout.split()
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert f"namespace/{ns}" in names


def test_api_resources_lists_core_and_groups(shared_skiff):
    out = shared_skiff.kubectl("api-resources").stdout
    for line in ("pods", "deployments", "horizontalpodautoscalers", "leases", "endpointslices",
                 "poddisruptionbudgets", "priorityclasses", "storageclasses", "clusterrolebindings"):
        assert line in out
    assert "deploy" in out and "apps/v1" in out
