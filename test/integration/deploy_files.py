"""Helpers for the tests of the deployment files in docker/ and doc/.

They read the shipped files as an administrator would use them: the INI
text of the image and of the Kubernetes ConfigMap, the YAML objects, and
the volume layout that Kubernetes gives a mounted Secret or ConfigMap.
"""

import base64
import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import yaml

from subtls_process import REPOSITORY

DOCKER = REPOSITORY / "docker"
KUBERNETES = DOCKER / "kubernetes"


def yaml_documents(path: Path) -> list:
    """Return every document of the YAML file at path, empty ones left out."""
    with open(path) as stream:
        return [document for document in yaml.safe_load_all(stream) if document]


def kubernetes_objects() -> dict:
    """Return the objects of docker/kubernetes/*.yaml by (kind, name)."""
    objects = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml_documents(path):
            objects[(document["kind"], document["metadata"]["name"])] = document
    return objects


def ini_values(text: str) -> dict:
    """Return {section: {key: [values]}} of INI text, as subtls reads the keys.

    Comment lines are skipped.
    """
    sections = {}
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        if stripped.startswith("["):
            section = stripped.strip("[]")
            sections.setdefault(section, {})
            continue
        key, _, value = stripped.partition("=")
        value = re.split(r"\s;", value, maxsplit=1)[0]
        sections.setdefault(section, {}).setdefault(key.strip(), []).append(value.strip())
    return sections


def make_certificate(directory: Path, common_name: str) -> tuple:
    """Write a self-signed ECDSA P-256 certificate for localhost; return (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "30",
         "-subj", f"/CN={common_name}",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return certificate, key


def ticket_key_text() -> str:
    """Return a ticket key file with one random key, as `openssl rand -base64 48` prints it."""
    key = base64.b64encode(os.urandom(48)).decode()
    return f"# subtls ticket keys: one key per line, newest first\n{key}\n"


class ProjectedVolume:
    """A directory laid out as Kubernetes mounts a Secret or ConfigMap.

    Each file name is a symbolic link to ..data/NAME, and ..data is a link
    to a timestamped directory with the files.  An update writes a new
    directory, points ..data_tmp at it and renames ..data_tmp over ..data,
    as the kubelet's atomic writer does.
    """

    def __init__(self, path: Path, mode: int = 0o440):
        self.path = path
        self.mode = mode
        self.versions = 0
        path.mkdir(parents=True, exist_ok=True)

    def write(self, files: dict) -> None:
        """Publish files ({name: bytes}) as the volume's new content in one rename."""
        self.versions += 1
        stamp = datetime.now(timezone.utc).strftime("%Y_%m_%d_%H_%M_%S")
        version = self.path / f"..{stamp}.{self.versions:09d}"
        version.mkdir()
        for name, content in files.items():
            (version / name).write_bytes(content)
            os.chmod(version / name, self.mode)

        data = self.path / "..data"
        old_version = Path(os.readlink(data)) if data.is_symlink() else None
        temporary = self.path / "..data_tmp"
        os.symlink(version.name, temporary)
        os.rename(temporary, data)
        for name in files:
            if not (self.path / name).is_symlink():
                os.symlink(f"..data/{name}", self.path / name)
        if old_version is not None:
            for child in (self.path / old_version).iterdir():
                child.unlink()
            (self.path / old_version).rmdir()
