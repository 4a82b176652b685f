"""The load test's short mode, so `make test` runs it: 20 PMs for 10 s, faults and double clicks.

The full minute is `make load` (scripts/loadtest.py).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_twenty_project_managers_under_faults_get_no_crash_and_no_duplicate_milestone():
    result = subprocess.run(
        [sys.executable, "scripts/loadtest.py", "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "duplicate milestones 0" in result.stdout, report
    assert "HTTP 500" not in result.stdout, report
    assert "RESULT: OK" in result.stdout, report
