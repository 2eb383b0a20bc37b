"""RBAC enforced end to end: users from a static token file get what their Roles grant and 403s
worded like Kubernetes' otherwise; `kubectl auth can-i` (and --list), impersonation (--as,
--as-group), escalation prevention, ClusterRole aggregation and `kubectl auth reconcile`."""
import json
import os
import textwrap

import pytest

from conftest import Skiff, api_request, wait_for

TOKENS = {"alice": ("alice-token", "devs"), "bob": ("bob-token", "")}


@pytest.fixture(scope="module")
def rbac_skiff(tmp_path_factory):
    d = tmp_path_factory.mktemp("rbac")
    token_file = d / "tokens.csv"
    token_file.write_text("".join(f'{tok},{user},uid-{user},"{groups}"\n' for user, (tok, groups) in TOKENS.items()))
    s = Skiff(extra_args=["--token-auth-file", str(token_file)]).start()
    for ns in ("team-a", "team-b"):
        s.kubectl("create", "namespace", ns)
    s.kubectl("apply", "-f", "-", input=textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: pod-reader, namespace: team-a}
        rules:
        - apiGroups: [""]
          resources: ["pods", "pods/log"]
          verbs: ["get", "list", "watch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice-reads-pods, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
        subjects:
        - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
        """))
    yield s
    s.cleanup()


def kubeconfig_for(s, user):
    """A kubeconfig that authenticates as `user` with its bearer token."""
    path = os.path.join(s.cache_dir, f"{user}.kubeconfig")
    with open(path, "w") as f:
        f.write(textwrap.dedent(f"""\
            apiVersion: v1
            kind: Config
            clusters: [{{name: skiff, cluster: {{server: "{s.url}", certificate-authority: "{s.data_dir}/pki/ca.crt"}}}}]
            users: [{{name: {user}, user: {{token: {TOKENS[user][0]}}}}}]
            contexts: [{{name: {user}, context: {{cluster: skiff, user: {user}, namespace: default}}}}]
            current-context: {user}
            """))
    return path


def kubectl_as(s, user, *args, check=True, input=None):
    return s.kubectl(*args, check=check, input=input, env_extra={"KUBECONFIG": kubeconfig_for(s, user)})


def forbidden(res):
    """The server's message of a refused kubectl command (kubectl words some verbs' errors its own way)."""
    assert res.returncode != 0, res.stdout
    for prefix in ("Error from server (Forbidden): ", "error: failed to create rolebinding: "):
        if prefix in res.stderr:
            return res.stderr.strip().split(prefix, 1)[1]
    raise AssertionError(res.stderr)


def test_role_grants_pods_in_one_namespace_only(rbac_skiff):
    s = rbac_skiff
    s.kubectl("run", "web", "-n", "team-a", "--image=busybox", "--restart=Never")
    out = kubectl_as(s, "alice", "get", "pods", "-n", "team-a", "-o", "name").stdout
    assert "pod/web" in out
    assert kubectl_as(s, "alice", "get", "pod", "web", "-n", "team-a", "-o", "name").stdout.strip() == "pod/web"
    assert forbidden(kubectl_as(s, "alice", "get", "secrets", "-n", "team-a", check=False)) == (
        'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "team-a"')
    assert forbidden(kubectl_as(s, "alice", "get", "pods", "-n", "team-b", check=False)) == (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team-b"')
    assert forbidden(kubectl_as(s, "alice", "delete", "pod", "web", "-n", "team-a", check=False)) == (
        'pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team-a"')
    assert forbidden(kubectl_as(s, "alice", "get", "nodes", check=False)) == (
        'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope')
    assert forbidden(kubectl_as(s, "bob", "get", "deployments", "-n", "team-a", check=False)) == (
        'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" '
        'in the namespace "team-a"')


def test_python_client_gets_403_status(rbac_skiff):
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    cfg = client.Configuration()
    cfg.host = rbac_skiff.url
    cfg.ssl_ca_cert = os.path.join(rbac_skiff.data_dir, "pki", "ca.crt")
    cfg.api_key = {"authorization": "Bearer " + TOKENS["alice"][0]}
    v1 = client.CoreV1Api(client.ApiClient(cfg))
    assert [p.metadata.name for p in v1.list_namespaced_pod("team-a").items] is not None
    with pytest.raises(ApiException) as e:
        v1.list_namespaced_secret("team-a")
    assert e.value.status == 403
    body = json.loads(e.value.body)
    assert body["reason"] == "Forbidden"
    assert body["details"] == {"kind": "secrets"}
    assert body["message"].startswith('secrets is forbidden: User "alice" cannot list')


WEBSOCKET = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "v5.channel.k8s.io"}


def test_websocket_exec_needs_create_as_well_as_get(rbac_skiff):
    """kubectl 1.32 opens exec with a WebSocket GET; `get pods/exec` alone must not let it through."""
    s = rbac_skiff
    s.kubectl("run", "sh", "-n", "team-b", "--image=busybox", "--restart=Never")
    s.kubectl("create", "role", "exec-get", "-n", "team-b", "--verb=get", "--resource=pods,pods/exec,pods/attach")
    s.kubectl("create", "rolebinding", "bob-exec-get", "-n", "team-b", "--role=exec-get", "--user=bob")
    path = "/api/v1/namespaces/team-b/pods/sh/exec?command=true&stdout=true"
    token = TOKENS["bob"][0]
    wait_for(lambda: kubectl_as(s, "bob", "get", "pod", "sh", "-n", "team-b", check=False).returncode == 0)
    status, _, body = api_request(s, "GET", path, auth=token, headers=WEBSOCKET)
    assert status == 403, body
    assert body["message"] == ('pods "sh" is forbidden: User "bob" cannot create resource "pods/exec" '
                               'in API group "" in the namespace "team-b"')
    status, _, body = api_request(s, "GET", path.replace("/exec?", "/attach?"), auth=token, headers=WEBSOCKET)
    assert status == 403 and 'cannot create resource "pods/attach"' in body["message"], body
    # kubectl's WebSocket attempt and its SPDY fallback are both refused.
    assert 'cannot create resource "pods/exec"' in forbidden(
        kubectl_as(s, "bob", "exec", "sh", "-n", "team-b", "--", "true", check=False))
    s.kubectl("create", "role", "exec-create", "-n", "team-b", "--verb=create", "--resource=pods/exec")
    s.kubectl("create", "rolebinding", "bob-exec-create", "-n", "team-b", "--role=exec-create", "--user=bob")

    def authorized():
        return api_request(s, "GET", path, auth=token, headers=WEBSOCKET)[0] != 403
    wait_for(authorized, what="get+create pods/exec lets the upgrade through")
    res = kubectl_as(s, "bob", "exec", "sh", "-n", "team-b", "--", "true", check=False)
    assert "Forbidden" not in res.stderr and "forbidden" not in res.stderr, res.stderr


def test_can_i_and_list_match_the_role(rbac_skiff):
    s = rbac_skiff
    assert kubectl_as(s, "alice", "auth", "can-i", "list", "pods", "-n", "team-a").stdout.strip() == "yes"
    assert kubectl_as(s, "alice", "auth", "can-i", "get", "pods", "--subresource=log", "-n", "team-a").stdout.strip() == "yes"
    res = kubectl_as(s, "alice", "auth", "can-i", "get", "secrets", "-n", "team-a", check=False)
    assert res.returncode == 1 and res.stdout.strip() == "no"
    res = kubectl_as(s, "alice", "auth", "can-i", "list", "pods", "-n", "team-b", check=False)
    assert res.stdout.strip() == "no"
    # The admin asks about alice (SubjectAccessReview via --as).
    assert s.kubectl("auth", "can-i", "watch", "pods", "-n", "team-a", "--as", "alice").stdout.strip() == "yes"
    listing = kubectl_as(s, "alice", "auth", "can-i", "--list", "-n", "team-a").stdout
    rows = {line.split()[0]: line for line in listing.splitlines()[1:] if line and not line.startswith(" ")}
    assert "pods" in rows and "[get list watch]" in rows["pods"]
    assert "pods/log" in rows
    assert "selfsubjectaccessreviews.authorization.k8s.io" in rows
    assert "secrets" not in rows
    # In another namespace only the cluster-wide basics remain.
    other = kubectl_as(s, "alice", "auth", "can-i", "--list", "-n", "team-b").stdout
    assert "pods " not in other


def test_impersonation_needs_the_impersonate_verb(rbac_skiff):
    s = rbac_skiff
    assert forbidden(kubectl_as(s, "alice", "get", "pods", "-n", "team-a", "--as", "bob", check=False)) == (
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" '
        'at the cluster scope')
    # The admin may impersonate; the request then runs as alice.
    assert "pod/web" in s.kubectl("get", "pods", "-n", "team-a", "--as", "alice", "-o", "name").stdout
    assert forbidden(s.kubectl("get", "secrets", "-n", "team-a", "--as", "alice", check=False)).startswith(
        'secrets is forbidden: User "alice" cannot list')
    # --as-group: a group bound to view in team-b.
    s.kubectl("create", "rolebinding", "testers-view", "-n", "team-b", "--clusterrole=view", "--group=testers")
    s.kubectl("get", "pods", "-n", "team-b", "--as", "carol", "--as-group", "testers")
    forbidden(s.kubectl("get", "pods", "-n", "team-b", "--as", "carol", check=False))
    # Granting alice impersonation of that group lets her use it, but not other groups.
    s.kubectl("apply", "-f", "-", input=textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: impersonate-carol-testers}
        rules:
        - {apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["carol"]}
        - {apiGroups: [""], resources: ["groups"], verbs: ["impersonate"], resourceNames: ["testers"]}
        """))
    s.kubectl("create", "clusterrolebinding", "alice-impersonates", "--clusterrole=impersonate-carol-testers",
              "--user=alice")
    kubectl_as(s, "alice", "get", "pods", "-n", "team-b", "--as", "carol", "--as-group", "testers")
    assert forbidden(kubectl_as(s, "alice", "get", "pods", "-n", "team-b", "--as", "carol", "--as-group",
                                "admins", check=False)) == (
        'groups "admins" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" '
        'at the cluster scope')


def test_escalation_is_refused(rbac_skiff):
    s = rbac_skiff
    s.kubectl("apply", "-f", "-", input=textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: role-writer, namespace: team-a}
        rules:
        - apiGroups: ["rbac.authorization.k8s.io"]
          resources: ["roles", "rolebindings"]
          verbs: ["get", "list", "create", "update", "patch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice-writes-roles, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-writer}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
        """))
    # What she holds she may grant.
    kubectl_as(s, "alice", "create", "role", "pod-getter", "-n", "team-a", "--verb=get", "--resource=pods")
    kubectl_as(s, "alice", "create", "rolebinding", "bob-gets-pods", "-n", "team-a", "--role=pod-getter",
               "--user=bob")
    assert kubectl_as(s, "bob", "auth", "can-i", "get", "pods", "-n", "team-a").stdout.strip() == "yes"
    # More than she holds is refused.
    msg = forbidden(kubectl_as(s, "alice", "create", "role", "secret-reader", "-n", "team-a", "--verb=get",
                               "--resource=secrets", check=False))
    assert msg == ('roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "alice" '
                   '(groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently '
                   'held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}')
    msg = forbidden(kubectl_as(s, "alice", "create", "rolebinding", "bob-admin", "-n", "team-a",
                               "--clusterrole=admin", "--user=bob", check=False))
    assert msg.startswith('rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: user "alice" '
                          '(groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not '
                          'currently held:\n')
    # With `bind` on the role, binding it is allowed without holding it.
    s.kubectl("create", "role", "admin-binder", "-n", "team-a", "--verb=bind", "--resource=clusterroles",
              "--resource-name=view")
    s.kubectl("create", "rolebinding", "alice-binds-view", "-n", "team-a", "--role=admin-binder", "--user=alice")
    kubectl_as(s, "alice", "create", "rolebinding", "bob-views", "-n", "team-a", "--clusterrole=view",
               "--user=bob")


def test_aggregation_fills_admin_edit_view(rbac_skiff):
    s = rbac_skiff

    def rules(name):
        return s.kubectl_json("get", "clusterrole", name).get("rules") or []

    def grants(name, group, resource, verb):
        return any(group in r.get("apiGroups", []) and resource in r.get("resources", []) and verb in r["verbs"]
                   for r in rules(name))

    wait_for(lambda: grants("view", "", "pods", "list"), what="view aggregated")
    wait_for(lambda: grants("edit", "", "pods", "create") and grants("edit", "", "pods", "list"),
             what="edit aggregated (with view)")
    wait_for(lambda: grants("admin", "rbac.authorization.k8s.io", "roles", "create") and
             grants("admin", "", "pods", "create"), what="admin aggregated (with edit)")
    assert not grants("view", "", "secrets", "get")
    s.kubectl("apply", "-f", "-", input=textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: widgets-view
          labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
        rules:
        - {apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list", "watch"]}
        """))
    wait_for(lambda: grants("view", "example.com", "widgets", "list"), what="view gains widgets")
    wait_for(lambda: grants("admin", "example.com", "widgets", "list"), what="admin gains widgets through edit")


def test_auth_reconcile(rbac_skiff):
    s = rbac_skiff
    manifest = textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: cm-reader, namespace: team-b}
        rules:
        - {apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: bob-reads-cms, namespace: team-b}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
        """)
    out = s.kubectl("auth", "reconcile", "-f", "-", input=manifest).stdout
    assert "role.rbac.authorization.k8s.io/cm-reader reconciled" in out
    assert "rolebinding.rbac.authorization.k8s.io/bob-reads-cms reconciled" in out
    kubectl_as(s, "bob", "get", "configmaps", "-n", "team-b")
    # Reconciling again with an extra verb adds it.
    s.kubectl("auth", "reconcile", "-f", "-", input=manifest.replace('["get", "list"]', '["get", "list", "watch"]'))
    assert kubectl_as(s, "bob", "auth", "can-i", "watch", "configmaps", "-n", "team-b").stdout.strip() == "yes"


def test_bootstrap_policy_and_defaults(rbac_skiff):
    s = rbac_skiff
    admin = s.kubectl_json("get", "clusterrolebinding", "cluster-admin")
    assert admin["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    assert admin["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] == "true"
    names = set(s.kubectl("get", "clusterroles", "-o", "name").stdout.split())
    for want in ("cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
                 "system:public-info-viewer", "system:node", "system:node-proxier", "system:kube-scheduler",
                 "system:kube-controller-manager", "system:service-account-issuer-discovery",
                 "system:controller:clusterrole-aggregation-controller", "system:aggregate-to-view"):
        assert f"clusterrole.rbac.authorization.k8s.io/{want}" in names
    # Every authenticated user may discover the API and read /version.
    assert kubectl_as(s, "bob", "api-resources", "-o", "name").returncode == 0
    assert forbidden(kubectl_as(s, "bob", "get", "--raw", "/metrics", check=False)) == (
        'forbidden: User "bob" cannot get path "/metrics"')


def test_always_allow_mode_lets_every_user_do_anything(tmp_path):
    token_file = tmp_path / "tokens.csv"
    token_file.write_text('bob-token,bob,uid-bob,""\n')
    s = Skiff(extra_args=["--token-auth-file", str(token_file), "--authorization-mode", "AlwaysAllow"]).start()
    try:
        kubectl_as(s, "bob", "get", "secrets", "-A")
        assert kubectl_as(s, "bob", "auth", "can-i", "delete", "nodes").stdout.strip() == "yes"
    finally:
        s.cleanup()


def test_restart_reconciles_bootstrap_policy_and_keeps_opt_outs(tmp_path):
    s = Skiff(data_dir=str(tmp_path)).start()
    try:
        # An operator takes over system:basic-user (autoupdate=false), strips a bootstrap binding and deletes a role.
        s.kubectl("annotate", "clusterrole", "system:basic-user", "--overwrite",
                  "rbac.authorization.kubernetes.io/autoupdate=false")
        s.kubectl("patch", "clusterrole", "system:basic-user", "--type=json",
                  "-p", '[{"op":"replace","path":"/rules","value":[]}]')
        s.kubectl("patch", "clusterrolebinding", "system:discovery", "--type=json",
                  "-p", '[{"op":"replace","path":"/subjects","value":[]}]')
        s.kubectl("delete", "clusterrole", "system:public-info-viewer")
        s.stop()
        s.start()
        assert s.kubectl_json("get", "clusterrole", "system:basic-user").get("rules") in (None, [])
        subjects = s.kubectl_json("get", "clusterrolebinding", "system:discovery")["subjects"]
        assert {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"} in subjects
        s.kubectl("get", "clusterrole", "system:public-info-viewer")
    finally:
        s.cleanup()
