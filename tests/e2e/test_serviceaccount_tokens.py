"""ServiceAccount tokens: `kubectl create token` (TokenRequest), authentication with the JWTs it
returns, pod binding, TokenReview, the OIDC discovery documents and bad TokenRequests."""
import base64
import json
import os
import stat
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import Skiff, api_request, wait_for

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
SELF_REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_jwt(token):
    header, claims, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))


def whoami_status(s, token):
    """HTTP status and body of a SelfSubjectReview made with `token`."""
    return api_request(s, "POST", SELF_REVIEW, {"apiVersion": "authentication.k8s.io/v1",
                                                "kind": "SelfSubjectReview"}, auth=token)[::2]


def create_token(s, *args):
    return s.kubectl("create", "token", *args).stdout.strip()


def test_kubectl_create_token_authenticates_as_the_service_account(shared_skiff):
    s = shared_skiff
    wait_for(lambda: s.kubectl("get", "sa", "default", check=False).returncode == 0, what="default SA")
    token = create_token(s, "default")
    header, claims = decode_jwt(token)
    assert header["alg"] == "ES256" and header["kid"]
    sa_uid = s.kubectl_json("get", "sa", "default")["metadata"]["uid"]
    assert claims["iss"] == DEFAULT_ISSUER
    assert claims["aud"] == DEFAULT_ISSUER
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]
    assert claims["kubernetes.io"]["namespace"] == "default"
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "default", "uid": sa_uid}

    who = json.loads(s.kubectl("--token", token, "auth", "whoami", "-o", "json").stdout)
    info = who["status"]["userInfo"]
    assert info["username"] == "system:serviceaccount:default:default"
    assert info["uid"] == sa_uid
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
    assert info["extra"]["authentication.kubernetes.io/credential-id"] == ["JTI=" + claims["jti"]]


def test_duration_and_audiences_are_honoured(shared_skiff):
    s = shared_skiff
    token = create_token(s, "default", "--duration=2h", "--audience=vault", "--audience=" + DEFAULT_ISSUER)
    _, claims = decode_jwt(token)
    assert claims["aud"] == ["vault", DEFAULT_ISSUER]
    assert claims["exp"] - claims["iat"] == 7200
    assert whoami_status(s, token)[0] == 201

    vault_only = create_token(s, "default", "--audience=vault")
    assert decode_jwt(vault_only)[1]["aud"] == "vault"
    status, body = whoami_status(s, vault_only)
    assert status == 401 and body["kind"] == "Status" and body["reason"] == "Unauthorized"

    res = s.kubectl("create", "token", "default", "--duration=5m", check=False)
    assert res.returncode != 0
    assert "may not specify a duration less than 10 minutes" in res.stderr


def test_pod_bound_token_stops_working_when_the_pod_is_deleted(shared_skiff):
    s = shared_skiff
    s.kubectl("create", "serviceaccount", "builder")
    s.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
        "spec": {"serviceAccountName": "builder", "containers": [{"name": "c", "image": "busybox"}]}}))
    pod_uid = s.kubectl_json("get", "pod", "bound")["metadata"]["uid"]
    token = create_token(s, "builder", "--bound-object-kind", "Pod", "--bound-object-name", "bound")
    _, claims = decode_jwt(token)
    assert claims["kubernetes.io"]["pod"] == {"name": "bound", "uid": pod_uid}

    status, body = whoami_status(s, token)
    assert status == 201
    extra = body["status"]["userInfo"]["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["bound"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [pod_uid]

    # The pod runs as builder, not as default.
    res = s.kubectl("create", "token", "default", "--bound-object-kind", "Pod", "--bound-object-name", "bound",
                    check=False)
    assert res.returncode != 0 and "different serviceaccount" in res.stderr

    s.kubectl("delete", "pod", "bound", "--grace-period=0", "--force")
    wait_for(lambda: s.kubectl("get", "pod", "bound", check=False).returncode != 0, what="pod gone")
    status, body = whoami_status(s, token)
    assert status == 401 and body["reason"] == "Unauthorized"
    res = s.kubectl("--token", token, "auth", "whoami", check=False)
    assert res.returncode != 0 and "Unauthorized" in res.stderr

    # The ServiceAccount too: deleting it ends its unbound tokens.
    sa_token = create_token(s, "builder")
    assert whoami_status(s, sa_token)[0] == 201
    s.kubectl("delete", "serviceaccount", "builder")
    assert whoami_status(s, sa_token)[0] == 401


def test_discovery_documents_verify_the_token_signature(shared_skiff):
    s = shared_skiff
    token = create_token(s, "default")
    status, headers, config = api_request(s, "GET", "/.well-known/openid-configuration")
    assert status == 200
    assert config["issuer"] == DEFAULT_ISSUER
    assert config["jwks_uri"] == DEFAULT_ISSUER + "/openid/v1/jwks"
    assert config["response_types_supported"] == ["id_token"]
    assert config["subject_types_supported"] == ["public"]
    assert config["id_token_signing_alg_values_supported"] == ["ES256"]
    status, headers, jwks = api_request(s, "GET", "/openid/v1/jwks")
    assert status == 200 and headers["Content-Type"] == "application/jwk-set+json"

    header_part, claims_part, signature_part = token.split(".")
    header, claims = decode_jwt(token)
    assert claims["iss"] == config["issuer"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url_decode(jwk["x"]), "big"),
                                           int.from_bytes(b64url_decode(jwk["y"]), "big"),
                                           ec.SECP256R1()).public_key()
    raw = b64url_decode(signature_part)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signed = f"{header_part}.{claims_part}".encode()
    public.verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature on a mismatch
    with pytest.raises(Exception):
        public.verify(der, signed + b"x", ec.ECDSA(hashes.SHA256()))


def test_token_review_answers_authenticated_user_and_audiences(shared_skiff):
    from kubernetes import client
    s = shared_skiff
    auth = client.AuthenticationV1Api(s.python_client())
    token = create_token(s, "default", "--audience=vault", "--audience=" + DEFAULT_ISSUER)

    review = auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token)))
    assert review.status.authenticated
    assert review.status.user.username == "system:serviceaccount:default:default"
    assert "system:serviceaccounts:default" in review.status.user.groups
    assert review.status.audiences == [DEFAULT_ISSUER]

    review = auth.create_token_review(
        client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token, audiences=["vault", "other"])))
    assert review.status.authenticated and review.status.audiences == ["vault"]

    review = auth.create_token_review(
        client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token, audiences=["other"])))
    assert not review.status.authenticated
    assert "audiences" in review.status.error

    review = auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token="garbage.x.y")))
    assert not review.status.authenticated

    status, _, body = api_request(s, "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                  {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}})
    assert status == 400 and body["kind"] == "Status"


def test_python_client_token_request(shared_skiff):
    from kubernetes import client
    s = shared_skiff
    v1 = client.CoreV1Api(s.python_client())
    answer = v1.create_namespaced_service_account_token(
        "default", "default",
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[DEFAULT_ISSUER],
                                                                            expiration_seconds=1200)))
    assert answer.spec.expiration_seconds == 1200
    _, claims = decode_jwt(answer.status.token)
    assert claims["exp"] - claims["iat"] == 1200
    assert abs(answer.status.expiration_timestamp.timestamp() - claims["exp"]) <= 1
    assert whoami_status(s, answer.status.token)[0] == 201


@pytest.mark.parametrize("body, code, words", [
    ({"spec": {"expirationSeconds": -5}}, 422, "may not specify a duration less than 10 minutes"),
    ({"spec": {"expirationSeconds": 2 ** 33}}, 422, "larger than 2^32 seconds"),
    ({"spec": {"expirationSeconds": "soon"}}, 400, "expirationSeconds"),
    ({"spec": {"boundObjectRef": {"kind": "Deployment", "apiVersion": "apps/v1", "name": "x"}}}, 400,
     "cannot bind token to object of type apps/v1, Kind=Deployment"),
    ({"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "nowhere"}}}, 404, "not found"),
    ({"metadata": {"name": "someone-else"}}, 422, "must match the service account name"),
    ("{not json", 400, ""),
])
def test_bad_token_requests_get_a_status(shared_skiff, body, code, words):
    status, _, answer = api_request(shared_skiff, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                                    body)
    assert status == code, answer
    assert answer["kind"] == "Status" and answer["code"] == code
    assert words in answer["message"]


def test_missing_service_account_is_404(shared_skiff):
    status, _, answer = api_request(shared_skiff, "POST", "/api/v1/namespaces/default/serviceaccounts/ghost/token",
                                    {"spec": {}})
    assert status == 404 and answer["reason"] == "NotFound"
    res = shared_skiff.kubectl("create", "token", "ghost", check=False)
    assert res.returncode != 0 and 'serviceaccounts "ghost" not found' in res.stderr


def test_signing_key_is_private_and_survives_a_restart():
    s = Skiff().start()
    try:
        wait_for(lambda: s.kubectl("get", "sa", "default", check=False).returncode == 0, what="default SA")
        key = os.path.join(s.data_dir, "pki", "service-account.key")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        token = create_token(s, "default")
        s.stop()
        s.start()
        assert whoami_status(s, token)[0] == 201
    finally:
        s.cleanup()


def test_issuer_audiences_and_maximum_lifetime_flags():
    s = Skiff(extra_args=["--service-account-issuer", "https://issuer.example", "--api-audiences", "api,other",
                          "--service-account-max-token-expiration", "1h"]).start()
    try:
        wait_for(lambda: s.kubectl("get", "sa", "default", check=False).returncode == 0, what="default SA")
        res = s.kubectl("create", "token", "default", "--duration=10h")
        _, claims = decode_jwt(res.stdout.strip())
        assert claims["iss"] == "https://issuer.example"
        assert claims["aud"] == ["api", "other"]
        assert claims["exp"] - claims["iat"] == 3600
        assert "shortened to 3600 seconds" in res.stderr
        assert whoami_status(s, res.stdout.strip())[0] == 201
        _, _, config = api_request(s, "GET", "/.well-known/openid-configuration")
        assert config["issuer"] == "https://issuer.example"
        assert config["jwks_uri"] == "https://issuer.example/openid/v1/jwks"
        # A token for an audience the API does not have is not accepted by it.
        assert whoami_status(s, create_token(s, "default", "--audience=elsewhere"))[0] == 401
    finally:
        s.cleanup()


# ---- ServiceAccount admission and the root CA publisher ----

MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def make_pod(s, ns, name, spec_extra=None, init=False, own_mount=False):
    container = {"name": "c", "image": "busybox"}
    if own_mount:
        container["volumeMounts"] = [{"name": "mine", "mountPath": MOUNT_PATH}]
    spec = {"containers": [container, {"name": "d", "image": "busybox"}]}
    if own_mount:
        spec["volumes"] = [{"name": "mine", "emptyDir": {}}]
    if init:
        spec["initContainers"] = [{"name": "i", "image": "busybox"}]
    spec.update(spec_extra or {})
    return api_request(s, "POST", f"/api/v1/namespaces/{ns}/pods",
                       {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def access_volumes(pod):
    return [v for v in pod["spec"].get("volumes", []) if v["name"].startswith("kube-api-access-")]


def test_pods_get_the_kube_api_access_volume(shared_skiff):
    s = shared_skiff
    s.kubectl("create", "namespace", "sa-admission")
    status, _, pod = make_pod(s, "sa-admission", "plain", init=True)
    assert status == 201, pod
    assert pod["spec"]["serviceAccountName"] == "default"
    (volume,) = access_volumes(pod)
    assert len(volume["name"]) == len("kube-api-access-") + 5
    assert volume["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ]}
    expected_mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}
    for c in pod["spec"]["containers"] + pod["spec"]["initContainers"]:
        assert expected_mount in c["volumeMounts"], c

    # A container that mounts something at the path keeps it; the others get the token.
    status, _, pod = make_pod(s, "sa-admission", "own-mount", own_mount=True)
    assert status == 201, pod
    (volume,) = access_volumes(pod)
    first, second = pod["spec"]["containers"]
    assert first["volumeMounts"] == [{"name": "mine", "mountPath": MOUNT_PATH}]
    assert second["volumeMounts"] == [{"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}]

    # Opting out: on the pod, or on its ServiceAccount unless the pod says otherwise.
    status, _, pod = make_pod(s, "sa-admission", "opt-out", {"automountServiceAccountToken": False})
    assert status == 201 and access_volumes(pod) == []
    assert "volumeMounts" not in pod["spec"]["containers"][0]
    s.kubectl("apply", "-n", "sa-admission", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
        "automountServiceAccountToken": False, "imagePullSecrets": [{"name": "registry"}]}))
    status, _, pod = make_pod(s, "sa-admission", "quiet", {"serviceAccountName": "quiet"})
    assert status == 201 and access_volumes(pod) == []
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry"}]
    status, _, pod = make_pod(s, "sa-admission", "loud",
                              {"serviceAccountName": "quiet", "automountServiceAccountToken": True})
    assert status == 201 and len(access_volumes(pod)) == 1

    status, _, answer = make_pod(s, "sa-admission", "ghostly", {"serviceAccountName": "ghost"})
    assert status == 403 and answer["kind"] == "Status" and answer["reason"] == "Forbidden"
    assert "error looking up service account sa-admission/ghost" in answer["message"]

    # The mounted token is what TokenRequest issues for the pod: request one the kubelet's way.
    status, _, answer = api_request(
        s, "POST", "/api/v1/namespaces/sa-admission/serviceaccounts/default/token",
        {"spec": {"expirationSeconds": 3607, "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "plain"}}})
    assert status == 201, answer
    _, claims = decode_jwt(answer["status"]["token"])
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600  # extended, warning after 3607 s
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert answer["spec"]["expirationSeconds"] == 3607


def test_root_ca_is_published_in_every_namespace(shared_skiff):
    s = shared_skiff
    with open(os.path.join(s.data_dir, "pki", "ca.crt")) as f:
        ca = f.read()
    s.kubectl("create", "namespace", "ca-publish")

    def published():
        res = s.kubectl("get", "configmap", "kube-root-ca.crt", "-n", "ca-publish", "-o", "json", check=False)
        return json.loads(res.stdout) if res.returncode == 0 else None

    wait_for(lambda: published() is not None, what="kube-root-ca.crt")
    cm = published()
    assert cm["data"] == {"ca.crt": ca}
    assert "kube-apiserver" in cm["metadata"]["annotations"]["kubernetes.io/description"]
    for ns in ("default", "kube-system", "kube-public"):
        assert s.kubectl_json("get", "configmap", "kube-root-ca.crt", "-n", ns)["data"]["ca.crt"] == ca

    s.kubectl("patch", "configmap", "kube-root-ca.crt", "-n", "ca-publish", "--type=merge",
              "-p", json.dumps({"data": {"ca.crt": "forged", "extra": "x"}}))
    wait_for(lambda: (published() or {}).get("data") == {"ca.crt": ca}, what="CA restored")
    uid = published()["metadata"]["uid"]
    s.kubectl("delete", "configmap", "kube-root-ca.crt", "-n", "ca-publish")
    wait_for(lambda: (published() or {}).get("metadata", {}).get("uid", uid) != uid, what="CA re-created")
    assert published()["data"] == {"ca.crt": ca}
