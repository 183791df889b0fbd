"""A reload that changes [admin] listen succeeds, logs a warning, and the
admin listener stays on its old address until a restart.
"""

from admin_http import admin_port, curl, sample_value, scrape
from session_log import wait_for_log_text


def test_admin_listen_kept_on_reload(start_subtls):
    old_port = admin_port()
    subtls = start_subtls("unix", admin_port=old_port)
    new_port = admin_port()
    text = subtls.config_path.read_text()
    subtls.config_path.write_text(text.replace(f"127.0.0.1:{old_port}",
                                               f"127.0.0.1:{new_port}"))

    subtls.reload()
    warning = wait_for_log_text(subtls, "[admin] listen changed")

    assert (f"from 127.0.0.1:{old_port} to 127.0.0.1:{new_port}; the admin listener "
            f"keeps 127.0.0.1:{old_port} until subtls restarts") in warning
    assert "warning" in warning
    wait_for_log_text(subtls, "reloaded")
    assert curl(old_port, "/healthz") == (200, "ok\n")
    assert sample_value(scrape(old_port), "subtls_reloads_total", result="ok") == 1
