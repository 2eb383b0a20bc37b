"""Lists bigger than the server's streaming threshold (1 MiB) are sent in chunks: clients must
see exactly the same list, and the connection must stay usable afterwards."""
import json

import conftest


def test_large_list_is_complete_and_connection_reusable(shared_skiff):
    s = shared_skiff
    s.kubectl("create", "namespace", "big")
    payload = "x" * (600 * 1024)
    for i in range(4):
        status, _, body = conftest.api_request(
            s, "POST", "/api/v1/namespaces/big/configmaps",
            {"metadata": {"name": f"big-{i}", "labels": {"size": "big"}}, "data": {"blob": payload}})
        assert status == 201, body

    conn = conftest.https_connection(s)
    headers = {"Authorization": f"Bearer {s.token()}", "Accept": "application/json"}
    for _ in range(2):  # the second request reuses the connection after a streamed response
        conn.request("GET", "/api/v1/namespaces/big/configmaps", headers=headers)
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Transfer-Encoding") == "chunked"

        body = json.loads(resp.read())
        assert body["kind"] == "ConfigMapList"
        assert body["metadata"]["resourceVersion"]
        # Besides the cluster CA ConfigMap every namespace holds.
        items = [i for i in body["items"] if i["metadata"]["name"] != "kube-root-ca.crt"]
        assert [i["metadata"]["name"] for i in items] == [f"big-{i}" for i in range(4)]
        assert all(i["data"]["blob"] == payload for i in items)
    conn.close()

    v1 = __import__("kubernetes").client.CoreV1Api(s.python_client())
    items = v1.list_namespaced_config_map("big", label_selector="size=big").items
    assert len(items) == 4
    out = s.kubectl("get", "cm", "-n", "big", "-o", "name").stdout.split()
    assert [n for n in out if n != "configmap/kube-root-ca.crt"] == [f"configmap/big-{i}" for i in range(4)]
