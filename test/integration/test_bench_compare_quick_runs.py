"""test/bench/compare runs its parts for subtls and writes its report.

A short run (--quick, subtls only, two smtp-sink cases) against the build
under test: SUBTLS_BINARY or build/proxy/subtls gives the build directory,
which also holds test/bench/smtp-load.  The peers are left out, so the
test needs no HAProxy, stunnel or nginx.  It checks the figures that
would be wrong if the script measured nothing: delivered counts, CPU time,
idle sessions set up, the latency run, resumed handshakes, the in-memory
handshake figures and the chart.
"""

import json
import subprocess
import sys
from pathlib import Path

from subtls_process import subtls_binary

COMPARE = Path(__file__).resolve().parent.parent / "bench" / "compare"
QUICK_CONNECTIONS = 200  # the sink count of --quick
QUICK_IDLE_SESSIONS = 200


def test_compare_quick_run_reports(tmp_path):
    build = subtls_binary().parent.parent
    result = subprocess.run(
        [sys.executable, str(COMPARE), "--quick", "--build", str(build),
         "--fronts", "subtls", "--cases", "sink-465-ecdsa,sink-587-ecdsa",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "compare.json").read_text())

    assert report["failures"] == []
    runs = {run["case"]: run for run in report["runs"]["load"]}
    assert sorted(runs) == ["sink-465-ecdsa", "sink-587-ecdsa"]
    for run in runs.values():
        assert run["front"] == "subtls"
        assert run["messages"] == QUICK_CONNECTIONS
        assert run["delivered"] == QUICK_CONNECTIONS
        assert run["front_cpu_ms_per_message"] > 0

    [idle] = report["idle"]
    assert idle["front"] == "subtls"
    assert idle["established"] == QUICK_IDLE_SESSIONS
    assert idle["kib_per_session"] > 0

    [latency] = report["latency_at_load"]["rows"]
    assert latency["case"] == "sink-465-ecdsa"
    assert latency["offered_per_second"] == 0.8 * runs["sink-465-ecdsa"]["messages_per_second"]
    assert latency["p99_ms"] >= latency["p50_ms"] > 0

    resumed = [run for run in report["runs"]["resumption"] if run["resume"]]
    # One per certificate and TLS version.
    assert sorted((run["cert"], run["tls_version"]) for run in resumed) == [
        ("ecdsa", "1.2"), ("ecdsa", "1.3"), ("rsa", "1.2"), ("rsa", "1.3")]
    for run in resumed:
        assert run["resumed"] > run["handshakes"] // 2

    handshakes = report["handshake_against_in_memory"]
    assert sorted((row["cert"], row["resume"]) for row in handshakes) == [
        ("ecdsa", False), ("ecdsa", True), ("rsa", False), ("rsa", True)]
    for row in handshakes:
        assert row["in_memory_ms"] > 0
        assert row["ratio"] > 0

    assert "<svg" in (tmp_path / "compare.svg").read_text()
