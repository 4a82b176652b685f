"""Operations: caching of account data, browser features, the favicon, the secret's file mode."""

import re
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", ["/contracts/", "/approvals/", "/activity/"])
def test_signed_in_pages_are_kept_by_no_cache(sandbox, pm, path):
    cache_control = pm.get(path)["Cache-Control"]

    assert "private" in cache_control
    assert "no-store" in cache_control


@pytest.mark.parametrize("path", ["/accounts/login/", "/contracts/"])
def test_pages_turn_off_browser_features_the_dashboard_does_not_use(sandbox, pm, path):
    policy = pm.get(path)["Permissions-Policy"]

    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


def test_every_page_links_a_favicon_that_is_served(client, db):
    html = client.get("/accounts/login/").content.decode()
    [href] = re.findall(r'<link rel="icon" href="([^"]+)"', html)

    response = client.get(href)

    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_make_writes_the_secret_key_file_readable_by_its_owner_only(tmp_path):
    subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), ".env"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )

    mode = stat.S_IMODE((tmp_path / ".env").stat().st_mode)
    assert mode == 0o600
