"""The compose file, the Kubernetes objects, the Dockerfiles and the
installed files agree with each other and with the shipped configs."""

import re
import subprocess

from deploy_files import (DOCKER, KUBERNETES, REPOSITORY, ini_values, kubernetes_objects,
                          yaml_documents)
from subtls_process import subtls_binary

PROBE = "/usr/local/bin/subtls-probe"


def image_config() -> dict:
    return ini_values((DOCKER / "subtls.ini").read_text())


def kubernetes_config() -> dict:
    objects = kubernetes_objects()
    return ini_values(objects[("ConfigMap", "subtls-config")]["data"]["subtls.ini"])


def pod_spec() -> dict:
    return kubernetes_objects()[("Deployment", "subtls")]["spec"]["template"]["spec"]


def container(name: str) -> dict:
    return next(c for c in pod_spec()["containers"] if c["name"] == name)


def mounted_directory(mounts: list, path: str) -> dict:
    """Return the volume mount whose mountPath is the directory of path."""
    directory = path.rsplit("/", 1)[0]
    matches = [mount for mount in mounts if mount["mountPath"] == directory]
    assert matches, f"no volume is mounted at {directory} (for {path})"
    return matches[0]


def test_every_yaml_file_parses():
    paths = sorted(DOCKER.rglob("*.yaml"))

    assert DOCKER / "compose.yaml" in paths
    for path in paths:
        assert yaml_documents(path), f"{path} holds no YAML document"


def test_kubernetes_objects_have_expected_kinds():
    objects = kubernetes_objects()

    assert set(objects) == {
        ("Deployment", "subtls"), ("Service", "subtls"),
        ("ConfigMap", "subtls-config"), ("ConfigMap", "subtls-tls-policy"),
        ("Secret", "subtls-tls"), ("Secret", "subtls-ticket-keys")}
    assert objects[("Secret", "subtls-tls")]["type"] == "kubernetes.io/tls"
    assert objects[("Deployment", "subtls")]["spec"]["replicas"] == 2


def test_probes_ask_admin_listener():
    subtls = container("subtls")
    admin = kubernetes_config()["admin"]["listen"]

    assert subtls["readinessProbe"]["exec"]["command"] == [PROBE, "/readyz"]
    assert subtls["livenessProbe"]["exec"]["command"] == [PROBE, "/healthz"]
    # subtls-probe requests 127.0.0.1:9465 unless SUBTLS_ADMIN_ADDRESS is set.
    assert admin == ["127.0.0.1:9465"]
    assert "SUBTLS_ADMIN_ADDRESS" not in {e["name"] for e in subtls.get("env", [])}
    assert image_config()["admin"]["listen"] == ["127.0.0.1:9465"]


def test_kubernetes_mounts_match_config_paths():
    subtls = container("subtls")
    mounts = subtls["volumeMounts"]
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}
    config = kubernetes_config()
    environment = {e["name"]: e["value"] for e in subtls["env"]}

    config_mount = mounted_directory(mounts, environment["SUBTLS_CONFIG"])
    assert volumes[config_mount["name"]]["configMap"]["name"] == "subtls-config"
    include = config["tls"]["include"][0]
    policy_mount = mounted_directory(mounts, include)
    assert volumes[policy_mount["name"]]["configMap"]["name"] == "subtls-tls-policy"
    for path in config["tls"]["certificate"] + config["tls"]["key"]:
        mount = mounted_directory(mounts, path)
        assert volumes[mount["name"]]["secret"]["secretName"] == "subtls-tls"
        assert mount["readOnly"] is True
        assert "subPath" not in mount, "a subPath mount receives no renewals"
    ticket_mount = mounted_directory(mounts, config["tls"]["ticket_key_file"][0])
    ticket_volume = volumes[ticket_mount["name"]]["secret"]
    assert ticket_volume["secretName"] == "subtls-ticket-keys"
    # subtls refuses a ticket key file that every user may read.
    assert ticket_volume["defaultMode"] & 0o004 == 0


def test_kubernetes_backend_socket_shared():
    socket = kubernetes_config()["backend"]["address"][0].removeprefix("unix:")
    subtls_mount = mounted_directory(container("subtls")["volumeMounts"], socket)
    postfix_mount = mounted_directory(container("postfix")["volumeMounts"], socket)
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}

    assert subtls_mount["name"] == postfix_mount["name"]
    assert "emptyDir" in volumes[subtls_mount["name"]]


def test_kubernetes_security_context():
    security = container("subtls")["securityContext"]
    pod_security = pod_spec()["securityContext"]

    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"} in \
        pod_security["sysctls"]


def test_kubernetes_grace_period_exceeds_drain():
    drain = kubernetes_config()["global"]["drain_timeout"]

    assert drain == ["60s"]
    assert pod_spec()["terminationGracePeriodSeconds"] > 60 + 5
    assert container("subtls")["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]


def test_service_keeps_client_address():
    service = kubernetes_objects()[("Service", "subtls")]["spec"]
    container_ports = {port["name"]: port["containerPort"]
                       for port in container("subtls")["ports"]}

    assert service["externalTrafficPolicy"] == "Local"
    assert {port["port"] for port in service["ports"]} == {465, 587}
    for port in service["ports"]:
        assert container_ports[port["targetPort"]] == port["port"]


def test_compose_services_and_volumes_consistent():
    compose = yaml_documents(DOCKER / "compose.yaml")[0]
    services = compose["services"]
    config = image_config()
    socket = config["backend"]["address"][0].removeprefix("unix:")
    socket_directory = socket.rsplit("/", 1)[0]

    assert set(services) == {"subtls", "postfix"}
    named = {mount["source"] for service in services.values()
             for mount in service["volumes"] if mount["type"] == "volume"}
    assert named == set(compose["volumes"])
    shared = [{(m["source"], m["target"]) for m in services[name]["volumes"]
               if m["target"] == socket_directory} for name in ("subtls", "postfix")]
    assert shared[0] == shared[1] == {("postfix-public", socket_directory)}
    tls_mount = next(m for m in services["subtls"]["volumes"]
                     if m["target"] == config["tls"]["certificate"][0].rsplit("/", 1)[0])
    assert tls_mount["read_only"] is True
    secret = services["subtls"]["secrets"][0]
    assert secret["target"] == config["tls"]["ticket_key_file"][0]
    assert secret["source"] in compose["secrets"]
    # stop_grace_period (75s) must exceed drain_timeout (60s).
    assert config["global"]["drain_timeout"] == ["60s"]
    assert services["subtls"]["stop_grace_period"] == "75s"
    assert sorted(services["subtls"]["ports"]) == ["465:465", "587:587"]


def test_postfix_image_serves_config_socket():
    master = (DOCKER / "postfix" / "master.cf.append").read_text()
    socket = image_config()["backend"]["address"][0]

    # A unix service that is not private (column 3: n) listens in public/.
    assert socket == "unix:/var/spool/postfix/public/subtls"
    assert re.search(r"^subtls\s+unix\s+n\s+-\s+n\s+-\s+-\s+smtpd$", master, re.MULTILINE)
    assert "-o smtpd_upstream_proxy_protocol=haproxy" in master
    # postdrop's gid in the Postfix image is the one the subtls image joins.
    assert "groupadd --system --gid 466 postdrop" in \
        (DOCKER / "postfix" / "Dockerfile").read_text()
    assert "groupadd --system --gid 466 postdrop" in (DOCKER / "Dockerfile").read_text()
    assert 466 in pod_spec()["securityContext"]["supplementalGroups"]


def dockerfile_run_lines(path) -> list:
    """Return the commands of the RUN instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    return [line[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_dockerfile_builds_like_run_build():
    runs = dockerfile_run_lines(DOCKER / "Dockerfile")
    text = (DOCKER / "Dockerfile").read_text()

    assert runs[0] == "./run build"
    assert runs[1] == "meson install -C build --destdir /staging"
    assert "COPY --from=build /staging/usr/local/ /usr/local/" in text
    assert "COPY docker/subtls.ini /etc/subtls/subtls.ini" in text
    assert re.search(r"^USER subtls:subtls$", text, re.MULTILINE)
    assert re.search(r"^EXPOSE 465 587$", text, re.MULTILINE)
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.MULTILINE)
    assert 'CMD ["/usr/local/bin/subtls-probe", "/healthz"]' in text


def test_meson_install_installs_binary_pages_example(tmp_path):
    build = subtls_binary().parents[1]

    result = subprocess.run(["meson", "install", "-C", str(build), "--destdir", str(tmp_path),
                             "--no-rebuild"], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    prefix = tmp_path / "usr" / "local"
    assert (prefix / "bin" / "subtls").stat().st_mode & 0o111
    assert (prefix / "share" / "man" / "man8" / "subtls.8").read_text().startswith(".\\\"")
    assert "subtls.ini" in (prefix / "share" / "man" / "man5" / "subtls.ini.5").read_text()
    assert (prefix / "share" / "doc" / "subtls" / "subtls.ini.example").read_text() == \
        (REPOSITORY / "doc" / "subtls.ini.example").read_text()


def configuration_keys() -> set:
    """Return every key name in the option table of config/keys.c."""
    table = (REPOSITORY / "config" / "keys.c").read_text()
    return set(re.findall(r"\{ CONFIG_SECTION_\w+, \"(\w+)\"", table))


def test_man_page_lists_every_key():
    page = (REPOSITORY / "doc" / "subtls.ini.5.scd").read_text()
    keys = configuration_keys()

    # The regular expression found the table, not a handful of lines.
    assert len(keys) >= 50
    missing = sorted(key for key in keys if f"*{key} =*" not in page)
    assert missing == [], f"keys of config/keys.c missing from doc/subtls.ini.5.scd: {missing}"


def test_readme_lists_every_key():
    readme = (REPOSITORY / "README.md").read_text()

    missing = sorted(key for key in configuration_keys() if f"| `{key}` |" not in readme)
    assert missing == [], f"keys of config/keys.c missing from README.md's tables: {missing}"
