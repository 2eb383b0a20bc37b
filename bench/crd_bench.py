#!/usr/bin/env python3
"""crd_bench: custom resources against built-in objects in one `skiff server` (targets: CRD
Established -> first custom resource accepted <= 100 ms; custom resource creates within 20% of
ConfigMap creates).

It starts `skiff server --disable-controllers --disable-agent` on a free loopback port, then
  1. establish latency: POSTs a CRD (a 30-field structural schema) and POSTs one custom resource
     in a tight loop until it is accepted; prints the time from the CRD POST returning to the first
     201 (which includes the CRD controller's install), and how many 404s came first;
  2. create throughput: --objects creates of small ConfigMaps, then of small custom resources, each
     spread over --clients keep-alive HTTPS connections (one thread each); prints creates/s of both
     and their ratio.
Conditions (CPU count, load average, objects, clients) are printed with the figures. The server and
its data dir are removed at the end.

Usage: python3 bench/crd_bench.py [--skiff build/skiff] [--objects 3000] [--clients 8]
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

GROUP = "bench.example.com"


def crd():
    props = {f"field{i}": {"type": "string" if i % 3 else "integer"} for i in range(30)}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "samples." + GROUP},
            "spec": {"group": GROUP, "scope": "Namespaced",
                     "names": {"plural": "samples", "kind": "Sample"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {"type": "object", "properties": props}}}}}]}}


def sample(name):
    return {"apiVersion": GROUP + "/v1", "kind": "Sample", "metadata": {"name": name},
            "spec": {f"field{i}": (f"value{i}" if i % 3 else i) for i in range(30)}}


def configmap(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {f"field{i}": f"value{i}" for i in range(30)}}


class Conn:
    def __init__(self, s):
        ctx = ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))
        self.conn = http.client.HTTPSConnection(s.host, s.port, context=ctx, timeout=60)
        self.headers = {"Authorization": "Bearer " + s.token(), "Content-Type": "application/json",
                        "Accept": "application/json"}

    def post(self, path, body):
        self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        resp.read()
        return resp.status


def throughput(s, path, make, objects, clients):
    per = objects // clients
    errors = []

    def run(c):
        conn = Conn(s)
        for i in range(per):
            code = conn.post(path, make(f"o-{c}-{i}"))
            if code != 201:
                errors.append(code)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    if errors:
        raise SystemExit(f"{len(errors)} creates failed on {path}: {errors[:5]}")
    return per * clients / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", default=os.path.join(REPO, "build", "skiff"))
    ap.add_argument("--objects", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    import conftest
    conftest.SKIFF_BIN = os.path.abspath(args.skiff)
    s = conftest.Skiff(extra_args=["--disable-controllers"]).start()
    try:
        conn = Conn(s)
        code = conn.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd())
        assert code == 201, code
        t0 = time.time()
        misses = 0
        while conn.post(f"/apis/{GROUP}/v1/namespaces/default/samples", sample("first")) != 201:
            misses += 1
            if time.time() - t0 > 10:
                raise SystemExit("the custom resource was not served within 10 s")
        latency_ms = (time.time() - t0) * 1000
        cm = throughput(s, "/api/v1/namespaces/default/configmaps", configmap, args.objects, args.clients)
        cr = throughput(s, f"/apis/{GROUP}/v1/namespaces/default/samples", sample, args.objects, args.clients)
        print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
              f"{args.objects} objects per kind, {args.clients} clients, SQLite store, no controllers")
        print(f"CRD created -> first custom resource accepted: {latency_ms:.1f} ms ({misses} 404s before)")
        print(f"ConfigMap creates: {cm:.0f}/s")
        print(f"custom resource creates (30-field schema): {cr:.0f}/s ({cr / cm * 100:.0f}% of ConfigMaps)")
    finally:
        s.cleanup()


if __name__ == "__main__":
    main()
