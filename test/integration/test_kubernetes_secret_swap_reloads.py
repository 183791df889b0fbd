"""A certificate renewed in a Kubernetes Secret volume is served without a restart.

The kubelet updates a mounted Secret by writing a new timestamped
directory and renaming a ..data_tmp link to it over ..data.  tls.crt and
tls.key stay links to ..data/tls.crt and ..data/tls.key, so the paths that
subtls names are never written or renamed themselves.  With watch_files = yes subtls must notice the
..data swap and load the new certificate.
"""

import ssl
import time

from deploy_files import ProjectedVolume, make_certificate

RELOAD_TIMEOUT = 15.0


def served_certificate(port: int) -> bytes:
    """Return the DER certificate that a TLS client gets on 127.0.0.1:port."""
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port), timeout=10))


def file_certificate(path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def test_secret_volume_swap_reloads_certificate(start_subtls, tmp_path):
    old_certificate, old_key = make_certificate(tmp_path / "old", "old.example")
    new_certificate, new_key = make_certificate(tmp_path / "new", "new.example")
    volume = ProjectedVolume(tmp_path / "tls")
    volume.write({"tls.crt": old_certificate.read_bytes(), "tls.key": old_key.read_bytes()})
    subtls = start_subtls(
        certificate_lines=f"certificate = {volume.path}/tls.crt\nkey = {volume.path}/tls.key\n",
        tls_settings="watch_files = yes\n")
    assert served_certificate(subtls.implicit_port) == file_certificate(old_certificate)

    volume.write({"tls.crt": new_certificate.read_bytes(), "tls.key": new_key.read_bytes()})

    deadline = time.monotonic() + RELOAD_TIMEOUT
    while "reloaded " not in subtls.log_text():
        assert time.monotonic() < deadline, f"no reload after the ..data swap:\n{subtls.log_text()}"
        time.sleep(0.1)
    assert served_certificate(subtls.implicit_port) == file_certificate(new_certificate)
    assert "TLS files changed: reloading" in subtls.log_text()
    assert (volume.path / "tls.crt").is_symlink()
