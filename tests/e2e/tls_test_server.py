"""HTTPS servers on 127.0.0.1 that skiff calls out to in end-to-end tests (admission and conversion
webhooks, extension API servers, metrics adapters), the throwaway PKI they serve with, and the
selector-less Service + EndpointSlice that names such a server inside the cluster."""
import base64
import json
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def openssl(*args, cwd=None):
    res = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr.decode()


def make_serving_pki(directory, subject_alt_names, ca_name="skiff-test-ca"):
    """A CA and a serving certificate signed by it for `subject_alt_names` (e.g. "IP:127.0.0.1",
    "DNS:hook.ns.svc"), written into `directory`; returns the paths (ca.crt, tls.crt, tls.key)."""
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, csr, crt = (os.path.join(directory, n) for n in ("tls.key", "tls.csr", "tls.crt"))
    ext = os.path.join(directory, "san.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={','.join(subject_alt_names)}\n"
                "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *curve, "-keyout", ca_key, "-out", ca_crt, "-subj", f"/CN={ca_name}", "-days", "2")
    openssl("req", "-new", *curve, "-keyout", key, "-out", csr, "-subj", f"/CN={subject_alt_names[0][4:]}")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


def ca_bundle(ca_crt):
    """The base64 PEM of a CA file, as caBundle fields want it."""
    with open(ca_crt, "rb") as f:
        return base64.b64encode(f.read()).decode()


class JsonRequestHandler(BaseHTTPRequestHandler):
    """Base for the tests' handlers: quiet, JSON in and out. HTTP/1.0 (one request a connection)
    unless a subclass sets protocol_version, so a stopped server really stops answering."""

    def log_message(self, *args):
        pass

    def read_json(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_not_found(self):
        self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "reason": "NotFound", "code": 404})


class HttpsTestServer:
    """Serves `handler_class` over TLS on a free 127.0.0.1 port from a background thread. With
    `client_ca` (PEM text), client certificates are checked against it (`verify_mode`)."""

    def __init__(self, crt, key, handler_class, client_ca=None, verify_mode=ssl.CERT_REQUIRED):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        if client_ca:
            ctx.load_verify_locations(cadata=client_ca)
            ctx.verify_mode = verify_mode
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def expose_on_loopback(apply, ns, name, service_port, target_port):
    """A selector-less Service `ns/name` whose one endpoint is 127.0.0.1:target_port, written through
    `apply(obj)`, so skiff reaches a server of this test by its Service name."""
    apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
           "spec": {"ports": [{"name": "https", "port": service_port, "targetPort": target_port}]}})
    apply({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": f"{name}-1", "namespace": ns,
                        "labels": {"kubernetes.io/service-name": name,
                                   "endpointslice.kubernetes.io/managed-by": "e2e.skiff.io"}},
           "addressType": "IPv4",
           "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
           "ports": [{"name": "https", "port": target_port, "protocol": "TCP"}]})
