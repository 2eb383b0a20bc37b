"""Helpers for the ingress tests and bench: busybox httpd Deployments that name themselves, a
WebSocket echo pod, self-signed certificates as kubernetes.io/tls Secrets, and HTTP through the
ingress with a Host header. The busybox image answers with its own tools only (httpd with a CGI
script that prints the request headers; nc with a shell script for the WebSocket handshake)."""
import base64
import hashlib
import os
import socket
import ssl
import subprocess

from agent_util import BUSYBOX, apply

# Every pod serves /NAME (index.html: "NAME <hostname>") under / and /api/, and
# /cgi-bin/headers (the HTTP_* variables of the request).
HTTPD = r"""
mkdir -p /www/api /www/cgi-bin
echo "$APP $(hostname)" > /www/index.html
cp /www/index.html /www/api/index.html
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\nenv | grep ^HTTP_ | sort\n' > /www/cgi-bin/headers
chmod +x /www/cgi-bin/headers
exec httpd -f -p 8080 -h /www
"""

# Reads the upgrade request, answers 101 with the RFC 6455 accept value, then echoes every byte.
WS_ECHO = r"""
cat > /ws.sh <<'EOF'
#!/bin/sh
key=""
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in
    [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(echo "${line#*:}" | tr -d ' ');;
  esac
done
h=$(printf '%s' "${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" | sha1sum | cut -c1-40)
accept=$(printf "$(echo $h | sed 's/../\\x&/g')" | base64)
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' "$accept"
exec cat
EOF
chmod +x /ws.sh
exec nc -ll -p 8080 -e /ws.sh
"""


def httpd_deployment(name, replicas):
    """A Deployment of busybox httpd pods labelled app=NAME (readiness probe; a preStop sleep keeps
    a withdrawn pod serving its in-flight requests), and its Service NAME (port http 80)."""
    return [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {
                     "terminationGracePeriodSeconds": 10,
                     "containers": [{
                         "name": "httpd", "image": BUSYBOX, "imagePullPolicy": "Never",
                         "env": [{"name": "APP", "value": name}],
                         "command": ["sh", "-c", HTTPD], "ports": [{"name": "http", "containerPort": 8080}],
                         "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
                         "lifecycle": {"preStop": {"exec": {"command": ["sleep", "2"]}}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}]


def ws_echo():
    return [{
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ws", "labels": {"app": "ws"}},
        "spec": {"containers": [{"name": "echo", "image": BUSYBOX, "imagePullPolicy": "Never",
                                 "command": ["sh", "-c", WS_ECHO], "ports": [{"containerPort": 8080}]}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ws"},
         "spec": {"selector": {"app": "ws"}, "ports": [{"port": 80, "targetPort": 8080}]}}]


def apply_all(s, objects):
    for obj in objects:
        apply(s, obj)


def tls_secret(s, tmp, name, host):
    """A self-signed certificate for `host` (openssl) stored as kubernetes.io/tls Secret NAME."""
    crt, key = os.path.join(tmp, f"{name}.crt"), os.path.join(tmp, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=DNS:{host}", "-keyout", key, "-out", crt],
                   check=True, capture_output=True, timeout=60)
    s.kubectl("create", "secret", "tls", name, "--cert", crt, "--key", key)


def http_request(port, host, path="/", addr="127.0.0.1", timeout=5):
    """GET through the ingress (plain HTTP, Host header `host`); returns (status, body)."""
    import http.client
    conn = http.client.HTTPConnection(addr, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace").strip()
    finally:
        conn.close()


def tls_peer(port, sni, addr="127.0.0.1", path="/", timeout=5):
    """GET over TLS with SNI `sni` (certificate not verified); returns (subject CN, status, body)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((addr, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            der = tls.getpeercert(binary_form=True)
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    pem = ssl.DER_cert_to_PEM_cert(der)
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline"], input=pem,
                             capture_output=True, text=True, check=True).stdout
    cn = next(line.split("=", 1)[1].strip() for line in subject.splitlines() if "commonName" in line)
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    return cn, int(head.split()[1]), body


def websocket_accept(key):
    return base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
