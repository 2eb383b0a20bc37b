"""certificates.k8s.io/v1 CertificateSigningRequests end to end, with real kubectl, openssl and the
Python client: user-made requests approved or denied with `kubectl certificate`, the issued
certificate authenticating (`kubectl auth whoami`), the signer's subject rules, bad requests
answered 4xx, and a remote `skiff agent` joining with the bootstrap token: it gets its own client
certificate (CN=system:node:NAME, O=system:nodes) through an auto-approved CSR, runs Ready with it,
reuses it after a restart and rotates it before it expires."""
import base64
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from agent_util import JoiningAgent, make_tmp_dir, require_container_host, wait_node_ready
from conftest import SKIFF_BIN, Skiff, wait_for

KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet"
APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client"


@pytest.fixture(scope="module")
def tmp():
    d = tempfile.mkdtemp(prefix="skiff-csr-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def openssl(*args, input=None):
    res = subprocess.run(["openssl", *args], input=input, capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res.stdout


def make_request(tmp, name, subject, sans=None):
    """An EC P-256 key and a PEM CSR for `subject` ("/O=g/CN=u"); returns (key_path, csr_pem)."""
    key = os.path.join(tmp, f"{name}.key")
    openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", key)
    extra = ["-addext", f"subjectAltName={sans}"] if sans else []
    csr = openssl("req", "-new", "-key", key, "-subj", subject, *extra)
    return key, csr


def csr_object(name, csr_pem, signer=APISERVER_CLIENT, usages=("client auth", "digital signature"), **spec):
    return {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": name},
            "spec": {"request": base64.b64encode(csr_pem).decode(), "signerName": signer,
                     "usages": list(usages), **spec}}


def create(s, obj, check=True):
    import json
    return s.kubectl("create", "-f", "-", input=json.dumps(obj), check=check)


def get_csr(s, name):
    return s.kubectl_json("get", "csr", name)


def conditions(csr):
    return {c["type"]: c for c in csr.get("status", {}).get("conditions", [])}


def issued_certificate(s, name, timeout=30):
    csr = wait_for(lambda: (lambda c: c if c.get("status", {}).get("certificate") else None)(get_csr(s, name)),
                   timeout, 0.25, f"a certificate for CSR {name}")
    return base64.b64decode(csr["status"]["certificate"])


def subject_of(cert_pem):
    text = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", input=cert_pem).decode().strip()
    return text.removeprefix("subject=")


def whoami(s, cert_path, key_path):
    """`kubectl auth whoami` as the holder of a client certificate (no admin credentials)."""
    res = s.kubectl("--kubeconfig=/dev/null", f"--server={s.url}",
                    f"--certificate-authority={os.path.join(s.data_dir, 'pki', 'ca.crt')}",
                    f"--client-certificate={cert_path}", f"--client-key={key_path}",
                    "auth", "whoami", "-o", "json", env_extra={"KUBECONFIG": "/dev/null"})
    import json
    return json.loads(res.stdout)["status"]["userInfo"]


def test_approved_user_csr_is_issued_and_authenticates(shared_skiff, tmp):
    s = shared_skiff
    key, req = make_request(tmp, "alice", "/O=devs/CN=alice")
    create(s, csr_object("alice", req, expirationSeconds=3600))
    csr = get_csr(s, "alice")
    # The server, not the body, says who asked.
    assert csr["spec"]["username"] == "admin"
    assert "system:masters" in csr["spec"]["groups"]
    table = s.kubectl("get", "csr", "alice").stdout.splitlines()
    assert table[0].split() == ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"]
    assert table[1].split()[2:] == [APISERVER_CLIENT, "admin", "60m", "Pending"]
    # A kube-apiserver-client request is never auto-approved.
    time.sleep(1)
    assert "certificate" not in get_csr(s, "alice").get("status", {})

    out = s.kubectl("certificate", "approve", "alice").stdout
    assert "approved" in out
    cert = issued_certificate(s, "alice")
    approved = conditions(get_csr(s, "alice"))["Approved"]
    assert approved["status"] == "True" and approved["reason"] == "KubectlApprove"
    assert approved["lastUpdateTime"] and approved["lastTransitionTime"]
    assert s.kubectl("get", "csr", "alice").stdout.splitlines()[1].split()[-1] == "Approved,Issued"

    assert subject_of(cert) == "CN=alice,O=devs"
    text = openssl("x509", "-noout", "-text", input=cert).decode()
    assert "TLS Web Client Authentication" in text and "Digital Signature" in text
    # expirationSeconds: one hour (plus the signer's five-minute backdate of notBefore).
    start = openssl("x509", "-noout", "-startdate", input=cert).decode()
    end = openssl("x509", "-noout", "-enddate", input=cert).decode()
    parse = lambda line: time.mktime(time.strptime(line.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y %Z"))
    assert parse(end) - parse(start) == 3600 + 300

    cert_path = os.path.join(tmp, "alice.crt")
    with open(cert_path, "wb") as f:
        f.write(cert)
    user = whoami(s, cert_path, key)
    assert user["username"] == "alice"
    assert "devs" in user["groups"]


def test_denied_csr_is_never_issued(shared_skiff, tmp):
    s = shared_skiff
    _, req = make_request(tmp, "bob", "/CN=bob")
    create(s, csr_object("bob", req))
    s.kubectl("certificate", "deny", "bob")
    csr = get_csr(s, "bob")
    assert conditions(csr)["Denied"]["reason"] == "KubectlDeny"
    assert s.kubectl("get", "csr", "bob").stdout.splitlines()[1].split()[-1] == "Denied"
    # A denied request cannot be approved any more (Approved and Denied exclude each other).
    res = s.kubectl("certificate", "approve", "bob", check=False)
    assert res.returncode != 0
    time.sleep(1)
    assert "certificate" not in get_csr(s, "bob").get("status", {})


def test_signer_refuses_a_kubelet_request_with_a_foreign_subject(shared_skiff, tmp):
    s = shared_skiff
    _, req = make_request(tmp, "mallory", "/O=system:masters/CN=system:node:evil")
    create(s, csr_object("mallory", req, signer=KUBELET_CLIENT))
    time.sleep(1)
    # Not a node's request: not auto-approved.
    assert not conditions(get_csr(s, "mallory"))
    s.kubectl("certificate", "approve", "mallory")
    csr = wait_for(lambda: (lambda c: c if "Failed" in conditions(c) else None)(get_csr(s, "mallory")), 30, 0.25,
                   "the signer's Failed condition")
    assert conditions(csr)["Failed"]["reason"] == "SignerValidationFailure"
    assert "certificate" not in csr.get("status", {})
    assert s.kubectl("get", "csr", "mallory").stdout.splitlines()[1].split()[-1] == "Approved,Failed"


def test_approving_and_signing_need_the_signer_verbs(shared_skiff, tmp):
    """`kubectl certificate approve` by a user allowed to update the approval subresource but not to
    `approve` for the signer is refused, as Kubernetes' CertificateApproval plug-in refuses it."""
    s = shared_skiff
    s.kubectl("create", "clusterrole", "csr-approval-only", "--verb=get,list,watch,update",
              "--resource=certificatesigningrequests,certificatesigningrequests/approval,"
              "certificatesigningrequests/status")
    s.kubectl("create", "clusterrolebinding", "erin-csr-approval-only", "--clusterrole=csr-approval-only",
              "--user=erin")
    _, req = make_request(tmp, "frank", "/CN=frank")
    create(s, csr_object("frank", req))
    res = wait_for(lambda: (lambda r: r if "cannot" not in r.stderr else None)(
        s.kubectl("certificate", "approve", "frank", "--as", "erin", check=False)), what="erin's role in effect")
    assert res.returncode != 0
    assert ('certificatesigningrequests.certificates.k8s.io "frank" is forbidden: user not permitted to approve '
            f'requests with signerName "{APISERVER_CLIENT}"') in res.stderr, res.stderr
    assert not conditions(get_csr(s, "frank"))
    # Approve for the signer's domain (`<domain>/*`) is enough.
    s.kubectl("apply", "-f", "-", input="""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: approve-kubernetes-io}
rules:
- apiGroups: [certificates.k8s.io]
  resources: [signers]
  resourceNames: [kubernetes.io/*]
  verbs: [approve]
""")
    s.kubectl("create", "clusterrolebinding", "erin-approves", "--clusterrole=approve-kubernetes-io", "--user=erin")
    wait_for(lambda: s.kubectl("certificate", "approve", "frank", "--as", "erin", check=False).returncode == 0,
             what="erin approves")
    assert "Approved" in conditions(get_csr(s, "frank"))
    # Writing a certificate through /status needs `sign`: erin has none.
    csr = issued_certificate(s, "frank")
    current = get_csr(s, "frank")
    current["status"]["certificate"] = base64.b64encode(csr).decode()
    import json
    res = s.kubectl("replace", "--subresource=status", "--as", "erin", "-f", "-", input=json.dumps(current),
                    check=False)
    # The issued certificate is the stored one: no change, no `sign` needed.
    assert res.returncode == 0, res.stderr
    _, other = make_request(tmp, "grace", "/CN=grace")
    create(s, csr_object("grace", other, signer="example.com/signer"))
    s.kubectl("certificate", "approve", "grace")
    current = get_csr(s, "grace")
    current["status"]["certificate"] = base64.b64encode(csr).decode()
    res = s.kubectl("replace", "--subresource=status", "--as", "erin", "-f", "-", input=json.dumps(current),
                    check=False)
    assert ('user not permitted to sign requests with signerName "example.com/signer"') in res.stderr, res.stderr
    for kind, name in (("clusterrolebinding", "erin-csr-approval-only"), ("clusterrolebinding", "erin-approves"),
                       ("clusterrole", "csr-approval-only"), ("clusterrole", "approve-kubernetes-io"),
                       ("csr", "frank"), ("csr", "grace")):
        s.kubectl("delete", kind, name)


def test_apiserver_client_signer_refuses_system_masters(shared_skiff, tmp):
    s = shared_skiff
    _, req = make_request(tmp, "root", "/O=system:masters/CN=root")
    res = create(s, csr_object("root", req), check=False)
    assert res.returncode != 0
    assert ('certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of '
            f'{APISERVER_CLIENT} signer with system:masters group is not allowed') in res.stderr, res.stderr


def test_python_client_reads_and_approves(shared_skiff, tmp):
    from kubernetes import client
    s = shared_skiff
    api = client.CertificatesV1Api(s.python_client())
    _, req = make_request(tmp, "carol", "/CN=carol")
    body = client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name="carol"),
        spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(req).decode(),
                                                    signer_name=APISERVER_CLIENT,
                                                    usages=["client auth"], username="someone-else"))
    created = api.create_certificate_signing_request(body)
    assert created.spec.username == "admin"
    created.status = client.V1CertificateSigningRequestStatus(conditions=[client.V1CertificateSigningRequestCondition(
        type="Approved", status="True", reason="PythonApprove", message="approved from Python")])
    api.replace_certificate_signing_request_approval("carol", created)
    cert = issued_certificate(s, "carol")
    assert subject_of(cert) == "CN=carol"
    # The approval cannot be taken back.
    current = api.read_certificate_signing_request("carol")
    current.status.conditions = []
    with pytest.raises(client.ApiException) as err:
        api.replace_certificate_signing_request_approval("carol", current)
    assert err.value.status == 422
    # Nor can the issued certificate be replaced through status.
    current = api.read_certificate_signing_request("carol")
    current.status.certificate = base64.b64encode(cert + cert).decode()
    with pytest.raises(client.ApiException) as err:
        api.replace_certificate_signing_request_status("carol", current)
    assert err.value.status == 422
    # A spec change is ignored: the spec is immutable.
    current = api.read_certificate_signing_request("carol")
    current.spec.signer_name = "example.com/other"
    assert api.replace_certificate_signing_request("carol", current).spec.signer_name == APISERVER_CLIENT


def test_bad_requests_get_4xx(shared_skiff, tmp):
    s = shared_skiff
    _, req = make_request(tmp, "dave", "/CN=dave")
    cert_pem = openssl("req", "-x509", "-key", os.path.join(tmp, "dave.key"), "-subj", "/CN=dave", "-days", "1")
    cases = [
        (csr_object("bad-pem", b"hello"), "PEM block type must be CERTIFICATE REQUEST"),
        (csr_object("bad-type", cert_pem), "PEM block type must be CERTIFICATE REQUEST"),
        (csr_object("bad-signer", req, signer="nodomain"), "spec.signerName"),
        (csr_object("bad-duration", req, expirationSeconds=60), "600 seconds"),
        (csr_object("bad-usage", req, usages=("client auth", "teleport")), "spec.usages[1]"),
        (csr_object("dup-usage", req, usages=("client auth", "client auth")), "Duplicate value"),
        (csr_object("no-usages", req, usages=()), "spec.usages: Required value"),
    ]
    for obj, message in cases:
        res = create(s, obj, check=False)
        assert res.returncode != 0, obj["metadata"]["name"]
        assert message in res.stderr, (obj["metadata"]["name"], res.stderr)
    # A tampered request fails its signature check.
    tampered = bytearray(req)
    body = tampered.index(b"\n") + 40
    tampered[body] = ord("A") if tampered[body] != ord("A") else ord("B")
    res = create(s, csr_object("tampered", bytes(tampered)), check=False)
    assert res.returncode != 0 and "spec.request" in res.stderr, res.stderr
    names = {c["metadata"]["name"] for c in s.kubectl_json("get", "csr")["items"]}
    assert not names & {"bad-pem", "bad-type", "bad-signer", "bad-duration", "bad-usage", "dup-usage",
                        "no-usages", "tampered"}

    # Setting a certificate on a request that is not approved is refused.
    create(s, csr_object("eve", req))
    from conftest import api_request
    csr = get_csr(s, "eve")
    csr["status"] = {"certificate": base64.b64encode(cert_pem).decode()}
    import json
    status, body, _ = api_request(s, "PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/eve/status",
                                  json.dumps(csr))
    assert status == 422, body


# ---- a remote agent bootstrapping its identity ----

def node_csrs(s, node):
    return [c for c in s.kubectl_json("get", "csr")["items"] if c["spec"]["signerName"] == KUBELET_CLIENT]


def stored_certificate(agent_dir):
    path = os.path.join(agent_dir, "pki", "kubelet-client-current.pem")
    with open(path, "rb") as f:
        text = f.read()
    return path, text[text.index(b"-----BEGIN CERTIFICATE-----"):]


def test_remote_agent_joins_with_its_own_certificate_and_rotates_it():
    require_container_host()
    tmp = make_tmp_dir("skiff-csr-agent-")
    agent_dir = os.path.join(tmp, "agent")
    node = "csr-n1"
    # Certificates of two minutes (plus the five-minute backdate): the agent renews within about a
    # minute and a half of getting one.
    s = Skiff(extra_args=["--cluster-signing-duration", "2m"])
    agent = None
    try:
        s.start()
        agent = JoiningAgent(s, agent_dir, node, host_services=False).start()
        try:
            wait_node_ready(s, 120, node)
        except AssertionError as e:
            raise AssertionError(f"{e}\nagent log: {agent.log()}") from None

        # The bootstrap CSR: asked by the bootstrap user, auto-approved, issued.
        csrs = node_csrs(s, node)
        assert len(csrs) == 1, csrs
        first = csrs[0]
        assert first["spec"]["username"].startswith("system:bootstrap:")
        assert "system:bootstrappers" in first["spec"]["groups"]
        approved = conditions(first)["Approved"]
        assert approved["reason"] == "AutoApproved"
        assert approved["message"] == "Auto approving kubelet client certificate after SubjectAccessReview."
        row = [r for r in s.kubectl("get", "csr").stdout.splitlines() if r.startswith(first["metadata"]["name"])]
        assert row and row[0].split()[-1] == "Approved,Issued"

        # The agent stored its key and certificate (0600) and a kubeconfig that works as the node.
        pem_path, cert = stored_certificate(agent_dir)
        assert os.stat(pem_path).st_mode & 0o777 == 0o600
        assert subject_of(cert) == f"CN=system:node:{node},O=system:nodes"
        kubeconfig = os.path.join(agent_dir, "kubelet.kubeconfig")
        res = s.kubectl("--kubeconfig", kubeconfig, "auth", "whoami", "-o", "json",
                        env_extra={"KUBECONFIG": kubeconfig})
        import json
        user = json.loads(res.stdout)["status"]["userInfo"]
        assert user["username"] == f"system:node:{node}" and "system:nodes" in user["groups"]

        # Rotation: the node asks for a new certificate with its current one (selfnodeclient),
        # stores it and keeps heartbeating without a restart.
        renewed = wait_for(lambda: [c for c in node_csrs(s, node)
                                    if c["spec"]["username"] == f"system:node:{node}"
                                    and c.get("status", {}).get("certificate")], 150, 1,
                           "a renewal CSR from the node itself")
        assert conditions(renewed[0])["Approved"]["reason"] == "AutoApproved"
        assert "system:nodes" in renewed[0]["spec"]["groups"]
        wait_for(lambda: stored_certificate(agent_dir)[1] != cert, 30, 0.5, "the renewed certificate stored")
        assert agent.proc.poll() is None, agent.log()
        lease = s.kubectl_json("get", "lease", "-n", "kube-node-lease", node)
        renewed_at = lease["spec"]["renewTime"]
        wait_for(lambda: s.kubectl_json("get", "lease", "-n", "kube-node-lease", node)["spec"]["renewTime"]
                 != renewed_at, 30, 1, "a heartbeat after the rotation")

        # A restarted agent reuses its stored certificate: no new bootstrap CSR.
        agent.stop()
        log_size = os.path.getsize(agent.log_path)
        agent.start()
        wait_node_ready(s, 60, node)
        bootstraps = [c for c in node_csrs(s, node) if c["spec"]["username"].startswith("system:bootstrap:")]
        assert len(bootstraps) == 1, agent.log()
        with open(agent.log_path, errors="replace") as f:
            f.seek(log_size)
            assert "using the client certificate" in f.read(), agent.log()
    finally:
        if agent:
            agent.stop()
        subprocess.run([SKIFF_BIN, "agent", "reset", "--data-dir", agent_dir], capture_output=True, timeout=120)
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
