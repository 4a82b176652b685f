"""`make run` keeps what the dashboard did (it seeds only an empty sandbox); `make reset` starts
over by deleting the SQLite database, and refuses any other database."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sandbox.models import Account, Contract

ROOT = Path(__file__).resolve().parent.parent


def seed(*args):
    out = StringIO()
    call_command("seed_sandbox", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seeding_an_empty_sandbox_fills_it():
    output = seed("--if-empty")

    assert "Sandbox seeded" in output
    assert Account.objects.filter(key="owner").exists()


@pytest.mark.django_db
def test_a_second_run_keeps_a_contract_that_was_ended_since():
    seed("--if-empty")
    Contract.objects.filter(pk="ctr_owner_fixed_300").update(status=Contract.ENDED)

    output = seed("--if-empty")

    assert "already seeded" in output
    assert Contract.objects.get(pk="ctr_owner_fixed_300").status == Contract.ENDED


def test_make_run_seeds_only_an_empty_sandbox_and_reset_deletes_the_database():
    dry_run = subprocess.run(
        ["make", "-n", "run", "reset"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout

    assert "seed_sandbox --if-empty" in dry_run
    assert "scripts/local_db.py" in dry_run


def reset_database(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    script = ROOT / "scripts" / "local_db.py"
    return subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)


def test_reset_deletes_the_sqlite_file_and_its_journal(tmp_path):
    database = tmp_path / "dashboard.sqlite3"
    database.write_text("")
    Path(f"{database}-wal").write_text("")

    result = reset_database(f"sqlite:///{database}")

    assert result.returncode == 0
    assert not database.exists()
    assert not Path(f"{database}-wal").exists()


def test_reset_refuses_a_database_that_is_not_sqlite():
    result = reset_database("postgres://user:pass@127.0.0.1:1/dashboard")

    assert result.returncode == 1
    assert "only a SQLite database" in result.stdout
