"""The Postfix image's entrypoint survives "postfix set-permissions".

Docker cannot run here, so the test runs Debian's post-install (what
"postfix set-permissions" executes) on a copy of the installation laid out
under a temporary directory: every directory parameter points there, so no
system path is changed.  The copy has no man pages, as in debian:bookworm-
slim, whose dpkg configuration leaves out /usr/share/man/*; post-install
then exits.  With the man pages present, as the Dockerfile installs them,
it sets the modes that Postfix needs on the queue.
"""

import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from deploy_files import DOCKER

POSTFIX_IMAGE = DOCKER / "postfix"
POST_INSTALL = Path("/usr/lib/postfix/sbin/post-install")
POSTFIX_FILES = Path("/etc/postfix/postfix-files")
POSTCONF = Path("/usr/sbin/postconf")


def installation_parameters(root: Path) -> dict:
    """Return post-install's parameters, with every path under root."""
    return {
        "config_directory": str(root / "etc"),
        "command_directory": str(root / "sbin"),
        "daemon_directory": str(root / "libexec"),
        "shlib_directory": str(root / "lib"),
        "meta_directory": str(root / "meta"),
        "queue_directory": str(root / "spool"),
        "data_directory": str(root / "data"),
        "manpage_directory": str(root / "man"),
        "sample_directory": str(root / "etc"),
        "sendmail_path": str(root / "sbin" / "sendmail"),
        "newaliases_path": str(root / "bin" / "newaliases"),
        "mailq_path": str(root / "bin" / "mailq"),
        "html_directory": "no",
        "readme_directory": "no",
        "mail_owner": "postfix",
        "setgid_group": "postdrop",
    }


def listed_paths(parameters: dict) -> list:
    """Return (path, type) for each entry of postfix-files, its $names expanded."""
    entries = []
    for line in POSTFIX_FILES.read_text().splitlines():
        if not line.startswith("$"):
            continue
        path, kind = line.split(":")[:2]
        path = re.sub(r"\$(\w+)", lambda match: parameters[match.group(1)], path)
        entries.append((path, kind))
    return entries


def build_installation(root: Path, with_man_pages: bool) -> dict:
    """Create every directory and file that postfix-files lists, under root.

    Files are empty, except the postconf that post-install runs, which is a
    copy of the real one.  The man pages are left out unless with_man_pages.
    """
    parameters = installation_parameters(root)
    for path, kind in listed_paths(parameters):
        assert path.startswith(str(root) + "/") or path == "no" or path.startswith("no/"), path
        if path == "no" or path.startswith("no/"):
            continue
        if path.startswith(parameters["manpage_directory"] + "/") and not with_man_pages:
            continue
        if kind == "d":
            os.makedirs(path, exist_ok=True)
        elif kind == "f":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Path(path).touch()
    os.makedirs(parameters["manpage_directory"], exist_ok=True)
    shutil.copy(POSTFIX_FILES, Path(parameters["meta_directory"]) / "postfix-files")
    shutil.copy(POSTCONF, Path(parameters["command_directory"]) / "postconf")
    Path(parameters["config_directory"], "main.cf").touch()
    return parameters


def run_set_permissions(parameters: dict) -> subprocess.CompletedProcess:
    arguments = [f"{name}={value}" for name, value in parameters.items()]
    return subprocess.run([str(POST_INSTALL), *arguments, "set-permissions"],
                          capture_output=True, text=True, timeout=120)


needs_postfix_as_root = pytest.mark.skipif(
    os.geteuid() != 0 or not POST_INSTALL.exists(),
    reason="post-install changes owners, so it needs root and Debian's postfix package")


def test_dockerfile_installs_man_pages():
    dockerfile = (POSTFIX_IMAGE / "Dockerfile").read_text()

    assert "Dpkg::Options::=--path-include=/usr/share/man/*" in dockerfile


def test_entrypoint_prepares_chroot_before_start():
    lines = [line.strip() for line in (POSTFIX_IMAGE / "entrypoint.sh").read_text().splitlines()
             if line.strip() and not line.startswith("#")]

    assert lines.index("postfix set-permissions") < lines.index(
        "/usr/lib/postfix/configure-instance.sh -")
    assert lines.index("/usr/lib/postfix/configure-instance.sh -") < lines.index(
        "exec postfix start-fg")


@needs_postfix_as_root
def test_set_permissions_fails_without_man_pages(tmp_path):
    parameters = build_installation(tmp_path, with_man_pages=False)

    result = run_set_permissions(parameters)

    assert result.returncode != 0, result.stdout + result.stderr
    assert parameters["manpage_directory"] + "/man1/" in result.stderr, result.stderr


@needs_postfix_as_root
def test_set_permissions_passes_with_man_pages(tmp_path):
    parameters = build_installation(tmp_path, with_man_pages=True)

    result = run_set_permissions(parameters)

    assert result.returncode == 0, result.stdout + result.stderr
    public = os.stat(Path(parameters["queue_directory"]) / "public")
    assert pwd.getpwuid(public.st_uid).pw_name == "postfix"
    assert grp.getgrgid(public.st_gid).gr_name == "postdrop"
    assert stat.S_IMODE(public.st_mode) == 0o710
    postdrop = os.stat(Path(parameters["command_directory"]) / "postdrop")
    assert grp.getgrgid(postdrop.st_gid).gr_name == "postdrop"
    assert postdrop.st_mode & stat.S_ISGID
