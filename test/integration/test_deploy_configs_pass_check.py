"""The configs shipped in docker/ and doc/ pass `subtls -t`.

Only the paths change: /etc/subtls/ becomes a temporary directory with
test certificates and a ticket key file in the place where the volumes
would mount them.  Everything else is checked as shipped.
"""

from deploy_files import (DOCKER, REPOSITORY, ProjectedVolume, kubernetes_objects,
                          make_certificate, ticket_key_text)
from subtls_process import run_subtls


def test_image_config_passes_check(binary, tmp_path):
    make_certificate(tmp_path / "tls", "image.example")
    tickets = tmp_path / "tickets" / "ticket-keys"
    tickets.parent.mkdir()
    tickets.write_text(ticket_key_text())
    tickets.chmod(0o440)
    config = tmp_path / "subtls.ini"
    config.write_text((DOCKER / "subtls.ini").read_text()
                      .replace("/etc/subtls/", f"{tmp_path}/"))

    result = run_subtls(["-t", "-c", str(config)])

    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr
    assert f"ticket keys: 1 from {tickets}" in result.stdout
    assert "subject: /CN=image.example" in result.stdout
    assert "address = unix:/var/spool/postfix/public/subtls" in result.stdout


def test_kubernetes_config_passes_check(binary, tmp_path):
    objects = kubernetes_objects()
    config_map = objects[("ConfigMap", "subtls-config")]["data"]
    policy_map = objects[("ConfigMap", "subtls-tls-policy")]["data"]
    certificate, key = make_certificate(tmp_path / "made", "kubernetes.example")
    root = tmp_path / "etc-subtls"
    # The mount points of deployment.yaml, each laid out as the kubelet does.
    ProjectedVolume(root / "config", 0o644).write(
        {name: text.replace("/etc/subtls/", f"{root}/").encode()
         for name, text in config_map.items()})
    ProjectedVolume(root / "policy", 0o644).write(
        {name: text.encode() for name, text in policy_map.items()})
    ProjectedVolume(root / "tls").write(
        {"tls.crt": certificate.read_bytes(), "tls.key": key.read_bytes()})
    ProjectedVolume(root / "tickets").write({"ticket-keys": ticket_key_text().encode()})

    result = run_subtls(["-t", "-c", str(root / "config" / "subtls.ini")])

    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr
    assert "subject: /CN=kubernetes.example" in result.stdout
    assert f"ticket keys: 1 from {root}/tickets/ticket-keys" in result.stdout
    # The policy ConfigMap's groups reach both listeners through include.
    assert result.stdout.count(";   groups: X25519:P-256:P-384") == 2
    assert "ticket_lifetime = 12h" in result.stdout


def test_example_config_passes_check(binary, tmp_path):
    make_certificate(tmp_path, "example.example")
    text = (REPOSITORY / "doc" / "subtls.ini.example").read_text()
    # The user and group lines, for a start as root, are commented out.
    # Enabled, they must name a user and group that exist here: nobody and
    # nogroup stand in for subtls and postdrop.
    assert ";user = subtls" in text
    assert ";group = postdrop" in text
    text = (text.replace("/etc/subtls/fullchain.pem", str(tmp_path / "tls.crt"))
            .replace("/etc/subtls/privkey.pem", str(tmp_path / "tls.key"))
            .replace(";user = subtls", "user = nobody")
            .replace(";group = postdrop", "group = nogroup"))
    config = tmp_path / "subtls.ini"
    config.write_text(text)

    result = run_subtls(["-t", "-c", str(config)])

    assert result.returncode == 0, result.stderr
    assert "listen = 0.0.0.0:465, [::]:465" in result.stdout
    assert "user = nobody" in result.stdout
