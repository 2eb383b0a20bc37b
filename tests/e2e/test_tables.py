"""`kubectl get` columns for the built-in kinds: skiff's server-side Tables must print the same
headers (and cell formats) as a real Kubernetes 1.32 API server."""
import re

import pytest

NS = "tables"
P = "tbl-"  # prefix for cluster-scoped names, unique to this module

MANIFEST = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: builder, namespace: {NS}}}
secrets: [{{name: builder-token}}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {{name: {P}pv}}
spec:
  capacity: {{storage: 1024Mi}}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: {P}slow
  hostPath: {{path: /tmp/{P}pv}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data, namespace: {NS}}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: {P}slow
  resources: {{requests: {{storage: 1Gi}}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: quota, namespace: {NS}}}
spec: {{hard: {{pods: "10", limits.cpu: "2"}}}}
---
apiVersion: v1
kind: LimitRange
metadata: {{name: limits, namespace: {NS}}}
spec: {{limits: [{{type: Container, default: {{cpu: 500m}}}}]}}
---
apiVersion: v1
kind: PodTemplate
metadata: {{name: tpl, namespace: {NS}}}
template:
  metadata: {{labels: {{tier: web, app: shop}}}}
  spec: {{containers: [{{name: web, image: nginx:1.27}}, {{name: log, image: busybox}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: front, namespace: {NS}}}
spec:
  type: NodePort
  selector: {{app: shop}}
  ports: [{{port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP}}]
---
apiVersion: apps/v1
kind: ControllerRevision
metadata: {{name: db-rev1, namespace: {NS}}}
revision: 3
data: {{}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: leader, namespace: {NS}}}
spec: {{holderIdentity: node-a, leaseDurationSeconds: 15}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: front-abc, namespace: {NS}, labels: {{kubernetes.io/service-name: front}}}}
addressType: IPv4
ports: [{{name: http, port: 8080, protocol: TCP}}]
endpoints:
- addresses: [10.1.0.5]
- addresses: [10.1.0.6]
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {{name: front.1, namespace: {NS}}}
eventTime: "2024-05-01T12:00:00.000000Z"
reportingController: skiff.io/tables-test
reportingInstance: tables-1
action: Testing
reason: TablesChecked
type: Normal
note: columns look right
regarding: {{kind: Service, name: front, namespace: {NS}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: shop, namespace: {NS}}}
spec:
  maxUnavailable: 25%
  selector: {{matchLabels: {{app: shop}}}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: {P}high}}
value: 1000
preemptionPolicy: Never
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: {P}slow}}
provisioner: skiff.io/none
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: {NS}}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: read-pods, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}
subjects:
- {{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}}
- {{kind: ServiceAccount, name: builder, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {P}viewers}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects: [{{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly, namespace: {NS}}}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{{name: backup, image: busybox}}]
"""


@pytest.fixture(scope="module")
def seeded(shared_skiff):
    shared_skiff.kubectl("apply", "-f", "-", input=MANIFEST)
    return shared_skiff


def table(out):
    """Parses kubectl's aligned table: (headers, rows as dicts). Each column starts where its header
    starts, so headers with single spaces ("ACCESS MODES") and empty cells both come out right."""
    lines = [l for l in out.splitlines() if l.strip()]
    header = lines[0]
    spans = [(m.group(0), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    headers = [name for name, _ in spans]
    rows = []
    for line in lines[1:]:
        cells = {}
        for i, (name, start) in enumerate(spans):
            end = spans[i + 1][1] if i + 1 < len(spans) else len(line)
            cells[name] = line[start:end].strip()
        rows.append(cells)
    return headers, rows


def get(s, *args):
    return table(s.kubectl("get", *args).stdout)


def row_named(rows, name, column="NAME"):
    for r in rows:
        if r[column] == name:
            return r
    raise AssertionError(f"no row {name!r} in {rows}")


def test_service_accounts(seeded):
    headers, rows = get(seeded, "sa", "-n", NS)
    assert headers == ["NAME", "SECRETS", "AGE"]
    assert row_named(rows, "builder")["SECRETS"] == "1"


def test_persistent_volume_claims(seeded):
    headers, rows = get(seeded, "pvc", "-n", NS)
    assert headers == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                       "VOLUMEATTRIBUTESCLASS", "AGE"]
    row = row_named(rows, "data")
    assert row["STORAGECLASS"] == f"{P}slow"
    assert row["VOLUMEATTRIBUTESCLASS"] == "<unset>"
    wide, _ = get(seeded, "pvc", "-n", NS, "-o", "wide")
    assert wide[-1] == "VOLUMEMODE"


def test_persistent_volumes(seeded):
    headers, rows = get(seeded, "pv", f"{P}pv")
    assert headers == ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                       "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]
    row = row_named(rows, f"{P}pv")
    assert row["CAPACITY"] == "1Gi"
    assert row["ACCESS MODES"] == "RWO,RWX"
    assert row["RECLAIM POLICY"] == "Retain"
    assert row["STORAGECLASS"] == f"{P}slow"


def test_priority_classes(seeded):
    headers, rows = get(seeded, "pc", f"{P}high")
    assert headers == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    row = row_named(rows, f"{P}high")
    assert (row["VALUE"], row["GLOBAL-DEFAULT"], row["PREEMPTIONPOLICY"]) == ("1000", "false", "Never")


def test_storage_classes(seeded):
    headers, rows = get(seeded, "sc", f"{P}slow")
    assert headers == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    row = row_named(rows, f"{P}slow")
    assert (row["PROVISIONER"], row["RECLAIMPOLICY"], row["VOLUMEBINDINGMODE"], row["ALLOWVOLUMEEXPANSION"]) == (
        "skiff.io/none", "Retain", "WaitForFirstConsumer", "false")


def test_quota_and_kinds_without_printer(seeded):
    headers, rows = get(seeded, "quota", "-n", NS)
    assert headers == ["NAME", "REQUEST", "LIMIT", "AGE"]
    row_named(rows, "quota")
    for kind, name in (("limitrange", "limits"), ("role", "reader")):
        headers, rows = get(seeded, kind, "-n", NS)
        assert headers == ["NAME", "CREATED AT"], kind
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row_named(rows, name)["CREATED AT"])


def test_pod_templates(seeded):
    headers, rows = get(seeded, "podtemplates", "-n", NS)
    assert headers == ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"]
    row = row_named(rows, "tpl")
    assert (row["CONTAINERS"], row["IMAGES"], row["POD LABELS"]) == ("web,log", "nginx:1.27,busybox",
                                                                    "app=shop,tier=web")


def test_services_print_node_ports(seeded):
    headers, rows = get(seeded, "svc", "front", "-n", NS, "-o", "wide")
    assert headers == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    row = row_named(rows, "front")
    assert (row["TYPE"], row["EXTERNAL-IP"], row["PORT(S)"], row["SELECTOR"]) == (
        "NodePort", "<none>", "80:30080/TCP", "app=shop")


def test_controller_revisions_leases_endpoint_slices(seeded):
    headers, rows = get(seeded, "controllerrevisions", "-n", NS)
    assert headers == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    row = row_named(rows, "db-rev1")
    assert (row["CONTROLLER"], row["REVISION"]) == ("<none>", "3")

    headers, rows = get(seeded, "leases", "-n", NS)
    assert headers == ["NAME", "HOLDER", "AGE"]
    assert row_named(rows, "leader")["HOLDER"] == "node-a"

    headers, rows = get(seeded, "endpointslices", "-n", NS)
    assert headers == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    row = row_named(rows, "front-abc")
    assert (row["ADDRESSTYPE"], row["PORTS"], row["ENDPOINTS"]) == ("IPv4", "8080", "10.1.0.5,10.1.0.6")


def test_events_k8s_io_events(seeded):
    headers, rows = get(seeded, "events.events.k8s.io", "-n", NS)
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    row = row_named(rows, "TablesChecked", column="REASON")
    assert (row["TYPE"], row["OBJECT"], row["MESSAGE"]) == ("Normal", "service/front", "columns look right")
    wide, rows = get(seeded, "events.events.k8s.io", "-n", NS, "-o", "wide")
    assert wide == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN",
                    "COUNT", "NAME"]
    row = row_named(rows, "front.1")
    assert (row["SOURCE"], row["COUNT"]) == ("skiff.io/tables-test, tables-1", "1")


def test_pod_disruption_budgets(seeded):
    headers, rows = get(seeded, "pdb", "-n", NS)
    assert headers == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    row = row_named(rows, "shop")
    assert (row["MIN AVAILABLE"], row["MAX UNAVAILABLE"]) == ("N/A", "25%")


def test_role_bindings(seeded):
    headers, rows = get(seeded, "rolebindings", "-n", NS, "-o", "wide")
    assert headers == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    row = row_named(rows, "read-pods")
    assert (row["ROLE"], row["USERS"], row["SERVICEACCOUNTS"]) == ("Role/reader", "alice", f"{NS}/builder")

    headers, rows = get(seeded, "clusterrolebinding", f"{P}viewers")
    assert headers == ["NAME", "ROLE", "AGE"]
    assert row_named(rows, f"{P}viewers")["ROLE"] == "ClusterRole/view"


def test_cron_jobs(seeded):
    headers, rows = get(seeded, "cronjobs", "-n", NS, "-o", "wide")
    assert headers == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "CONTAINERS",
                       "IMAGES", "SELECTOR"]
    row = row_named(rows, "nightly")
    assert (row["SCHEDULE"], row["TIMEZONE"], row["SUSPEND"], row["ACTIVE"], row["LAST SCHEDULE"]) == (
        "0 3 * * *", "<none>", "True", "0", "<none>")
    assert (row["CONTAINERS"], row["IMAGES"], row["SELECTOR"]) == ("backup", "busybox", "<none>")


def test_several_kinds_keep_kind_prefixes(seeded):
    out = seeded.kubectl("get", "sa,pdb", "-n", NS).stdout
    assert "serviceaccount/builder" in out
    assert "poddisruptionbudget.policy/shop" in out
