"""Config errors name file and line and stop subtls.  `subtls -t` prints a valid config."""

import re

import pytest

from private_postfix import free_loopback_port
from subtls_process import SubtlsConfig, run_subtls


@pytest.fixture
def valid_config(certificate, postfix, tmp_path) -> SubtlsConfig:
    return SubtlsConfig(certificate=certificate.certificate, key=certificate.key,
                        backend_address=f"unix:{postfix.unix_socket}",
                        implicit_port=free_loopback_port(),
                        starttls_port=free_loopback_port())


def write_with_unknown_key(config: SubtlsConfig, path) -> int:
    """Write config with an unknown key in [global] and return that key's 1-based line."""
    lines = config.render().splitlines()
    index = lines.index("[global]") + 1
    lines.insert(index, "colour = blue")
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def test_check_mode_accepts_valid_config(binary, valid_config, tmp_path):
    path = tmp_path / "valid.conf"
    path.write_text(valid_config.render())

    result = run_subtls(["-t", "-c", str(path)])

    assert result.returncode == 0, result.stderr
    assert "[listener smtps]" in result.stdout
    assert re.search(r"^handshake_timeout\s*=", result.stdout, re.MULTILINE)


def test_check_mode_output_reads_back(binary, valid_config, tmp_path):
    """The printed settings are a config that subtls accepts and prints the same way."""
    path = tmp_path / "valid.conf"
    path.write_text(valid_config.render())
    printed = tmp_path / "printed.conf"
    printed.write_text(run_subtls(["-t", "-c", str(path)]).stdout)

    result = run_subtls(["-t", "-c", str(printed)])

    assert result.returncode == 0, result.stderr
    # The first line names the file that was read, so it differs.
    assert result.stdout.splitlines()[1:] == printed.read_text().splitlines()[1:]


@pytest.mark.parametrize("arguments", [["-t", "-c"], ["-c"]], ids=["check", "run"])
def test_unknown_key_reports_file_and_line(binary, valid_config, tmp_path, arguments):
    path = tmp_path / "unknown-key.conf"
    line = write_with_unknown_key(valid_config, path)

    result = run_subtls([*arguments, str(path)])

    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert re.search(rf"^{re.escape(str(path))}:{line}: .*colour", output, re.MULTILINE), output


def test_version_option_prints_versions(binary):
    result = run_subtls(["-V"])

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "subtls" in output
    assert re.search(r"\d+\.\d+\.\d+", output), output


def test_check_mode_warns_about_identity_none(binary, valid_config, tmp_path):
    valid_config.identity = "none"
    path = tmp_path / "identity-none.conf"
    path.write_text(valid_config.render())

    result = run_subtls(["-t", "-c", str(path)])

    assert result.returncode == 0, result.stderr
    assert f"{path}: warning: identity = none" in result.stderr
    assert "relay for anyone" in result.stderr


def test_version_option_names_wolfssl_build(binary):
    result = run_subtls(["-V"])

    assert result.returncode == 0, result.stderr
    assert re.search(r"^wolfssl: \d+\.\d+\.\d+, (built for subtls|system package)",
                     result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^wolfssl protocols compiled in: .*TLSv1\.3", result.stdout,
                     re.MULTILINE), result.stdout
