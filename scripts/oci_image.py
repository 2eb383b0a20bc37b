#!/usr/bin/env python3
"""Builds an OCI image-layout tar archive (one image, one layer) offline, deterministically.

The archive holds oci-layout, index.json, and blobs/sha256/ (layer, config, manifest). index.json
names the image twice: `io.containerd.image.name` (the full reference; `ctr images import` uses
it) and `org.opencontainers.image.ref.name` (the tag, as the OCI layout spec and skopeo's
`oci-archive:FILE:TAG` expect). Every timestamp is fixed and every list sorted, so the same
inputs always give byte-identical archives. Standard library only.

Examples:
  oci_image.py --name skiff.local/pause:3.10 --file build/pause:/pause:0755 \
      --entrypoint /pause --output pause.tar
  oci_image.py --busybox --output busybox.tar        # skiff.local/busybox:1.35
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile

FIXED_MTIME = 0
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Entry:
    """One path in the layer: a regular file, directory or symlink."""

    def __init__(self, path, kind, mode, data=b"", target=""):
        self.path = path.strip("/")
        self.kind = kind
        self.mode = mode
        self.data = data
        self.target = target


def parse_mode(text, default):
    return int(text, 8) if text else default


def parse_file_spec(spec):
    """SRC:DST[:MODE] -> Entry (mode defaults to the source file's permission bits)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise ValueError(f"--file wants SRC:/DST[:MODE], got {spec!r}")
    with open(parts[0], "rb") as f:
        data = f.read()
    mode = parse_mode(parts[2] if len(parts) == 3 else "", os.stat(parts[0]).st_mode & 0o7777)
    return Entry(parts[1], "file", mode, data=data)


def parse_symlink_spec(spec):
    """/LINK:TARGET -> Entry."""
    link, sep, target = spec.partition(":")
    if not sep or not link.startswith("/") or not target:
        raise ValueError(f"--symlink wants /LINK:TARGET, got {spec!r}")
    return Entry(link, "symlink", 0o777, target=target)


def parse_dir_spec(spec):
    """/DIR[:MODE] -> Entry."""
    path, _, mode = spec.partition(":")
    if not path.startswith("/"):
        raise ValueError(f"--dir wants /DIR[:MODE], got {spec!r}")
    return Entry(path, "dir", parse_mode(mode, 0o755))


def busybox_entries(binary):
    """/bin/busybox plus a symlink per applet, a minimal /etc, /tmp and /root."""
    with open(binary, "rb") as f:
        data = f.read()
    entries = [Entry("/bin/busybox", "file", 0o755, data=data)]
    applets = subprocess.run([binary, "--list-full"], check=True, capture_output=True,
                             text=True).stdout.split()
    for applet in applets:
        if applet != "bin/busybox":
            entries.append(Entry("/" + applet, "symlink", 0o777, target="/bin/busybox"))
    entries.append(Entry("/etc/passwd", "file", 0o644, data=(
        b"root:x:0:0:root:/root:/bin/sh\n"
        b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")))
    entries.append(Entry("/etc/group", "file", 0o644, data=b"root:x:0:\nnogroup:x:65534:\n"))
    entries.append(Entry("/etc/hosts", "file", 0o644, data=b"127.0.0.1 localhost\n"))
    entries.append(Entry("/tmp", "dir", 0o1777))
    entries.append(Entry("/root", "dir", 0o700))
    entries.append(Entry("/var/www", "dir", 0o755))
    return entries


def busybox_version(binary):
    out = subprocess.run([binary], capture_output=True, text=True).stdout
    match = re.search(r"BusyBox v(\d+)\.(\d+)", out)
    return f"{match.group(1)}.{match.group(2)}" if match else "latest"


def build_layer(entries):
    """Returns the uncompressed layer tar bytes; parent directories are added as 0755."""
    by_path = {}
    for entry in entries:
        if not entry.path:
            raise ValueError("cannot add / itself")
        by_path[entry.path] = entry
    for path in list(by_path):
        parent = os.path.dirname(path)
        while parent and parent not in by_path:
            by_path[parent] = Entry(parent, "dir", 0o755)
            parent = os.path.dirname(parent)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(by_path):
            entry = by_path[path]
            info = tarfile.TarInfo(path)
            info.mtime = FIXED_MTIME
            info.mode = entry.mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    return out.getvalue()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def split_reference(name):
    """'host/repo:tag' -> tag ('latest' when absent)."""
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def build_archive(name, entries, entrypoint, cmd, env, workdir, exposed, use_gzip, arch, labels):
    layer_tar = build_layer(entries)
    if use_gzip:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=FIXED_MTIME) as gz:
            gz.write(layer_tar)
        layer_blob, layer_media = buf.getvalue(), MEDIA_LAYER_GZIP
    else:
        layer_blob, layer_media = layer_tar, MEDIA_LAYER_TAR

    config = {"Env": env}
    if entrypoint:
        config["Entrypoint"] = entrypoint
    if cmd:
        config["Cmd"] = cmd
    if workdir:
        config["WorkingDir"] = workdir
    if exposed:
        config["ExposedPorts"] = {p if "/" in p else p + "/tcp": {} for p in exposed}
    if labels:
        config["Labels"] = labels
    image_config = {
        "architecture": arch,
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer_tar)]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "skiff oci_image.py"}],
    }
    config_blob = canonical_json(image_config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": sha256(config_blob),
                   "size": len(config_blob)},
        "layers": [{"mediaType": layer_media, "digest": sha256(layer_blob),
                    "size": len(layer_blob)}],
    }
    manifest_blob = canonical_json(manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": MEDIA_MANIFEST,
            "digest": sha256(manifest_blob),
            "size": len(manifest_blob),
            "platform": {"architecture": arch, "os": "linux"},
            "annotations": {
                "io.containerd.image.name": name,
                "org.opencontainers.image.ref.name": split_reference(name),
            },
        }],
    }
    files = {
        "oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}),
        "index.json": canonical_json(index),
    }
    for blob in (layer_blob, config_blob, manifest_blob):
        files["blobs/sha256/" + sha256(blob).split(":", 1)[1]] = blob

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, FIXED_MTIME
            tar.addfile(info)
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(files[path]), 0o644, FIXED_MTIME
            tar.addfile(info, io.BytesIO(files[path]))
    return out.getvalue()


def go_arch():
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", "-o", required=True, help="archive to write")
    parser.add_argument("--name", help="image reference, e.g. skiff.local/app:1.0")
    parser.add_argument("--file", action="append", default=[], metavar="SRC:/DST[:MODE]")
    parser.add_argument("--symlink", action="append", default=[], metavar="/LINK:TARGET")
    parser.add_argument("--dir", action="append", default=[], metavar="/DIR[:MODE]")
    parser.add_argument("--entrypoint", action="append", default=[],
                        help="one argv element per flag")
    parser.add_argument("--cmd", action="append", default=[], help="one argv element per flag")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--workdir", default="")
    parser.add_argument("--expose", action="append", default=[], metavar="PORT[/PROTO]")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--gzip", action="store_true", help="gzip the layer")
    parser.add_argument("--arch", default=go_arch())
    parser.add_argument("--busybox", action="store_true",
                        help="preset: static busybox with every applet linked, /etc, /tmp")
    parser.add_argument("--busybox-binary", default="/bin/busybox")
    args = parser.parse_args(argv)

    try:
        entries = []
        name = args.name
        cmd = args.cmd
        if args.busybox:
            entries += busybox_entries(args.busybox_binary)
            name = name or f"skiff.local/busybox:{busybox_version(args.busybox_binary)}"
            cmd = cmd or ["sh"]
        entries += [parse_dir_spec(s) for s in args.dir]
        entries += [parse_file_spec(s) for s in args.file]
        entries += [parse_symlink_spec(s) for s in args.symlink]
        if not name:
            raise ValueError("--name is required (except with --busybox)")
        if not entries:
            raise ValueError("the image is empty: give --file, --symlink, --dir or --busybox")
        env = args.env if any(e.startswith("PATH=") for e in args.env) else [DEFAULT_PATH] + args.env
        labels = dict(label.split("=", 1) for label in args.label)
        archive = build_archive(name, entries, args.entrypoint, cmd, env, args.workdir,
                                args.expose, args.gzip, args.arch, labels)
    except (OSError, ValueError, subprocess.CalledProcessError) as error:
        print(f"oci_image.py: {error}", file=sys.stderr)
        return 1
    tmp = args.output + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, args.output)
    print(f"{args.output}: {name} ({len(archive)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
