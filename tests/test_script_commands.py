"""The dashboard's commands for the benchmark and the load tests: editors, their sessions, the
ledger's count. (The sandbox's own commands are tested in tests/sandbox/test_commands.py.)"""

import uuid
from importlib import import_module
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.core.management import call_command

from dashboard.models import Submission
from dashboard.roles import can_edit


def _call(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_make_editors_creates_editors_who_sign_in_with_the_shared_password():
    _call("make_editors", "pm01", "pm02", "--password", "shared-pass-123")

    for name in ("pm01", "pm02"):
        user = User.objects.get(username=name)
        assert user.check_password("shared-pass-123")
        assert can_edit(user)


@pytest.mark.django_db
def test_make_editors_again_resets_the_password_of_an_existing_user():
    _call("make_editors", "pm", "--password", "first-pass-123")
    _call("make_editors", "pm", "--password", "second-pass-123")

    assert User.objects.filter(username="pm").count() == 1
    assert User.objects.get(username="pm").check_password("second-pass-123")


@pytest.mark.django_db
def test_make_editors_with_sessions_prints_a_signed_in_session_for_each_user():
    output = _call("make_editors", "pm01", "pm02", "--password", "shared-pass-123", "--sessions")

    lines = [line.split() for line in output.splitlines()]
    assert [(word, name) for word, name, _ in lines] == [("session", "pm01"), ("session", "pm02")]
    for _, name, key in lines:
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).load()
        assert session[SESSION_KEY] == str(User.objects.get(username=name).pk)


@pytest.mark.django_db
def test_count_submissions_counts_the_ledger_rows_for_a_key():
    key = uuid.uuid4()
    Submission.objects.create(key=key, contract_id="ctr_x")

    assert _call("count_submissions", str(key)).strip() == "1"
    assert _call("count_submissions", str(uuid.uuid4())).strip() == "0"


@pytest.mark.django_db
def test_unclear_submissions_lists_only_those_whose_outcome_is_not_known():
    unclear = Submission.objects.create(
        key=uuid.uuid4(),
        contract_id="ctr_1",
        payload={"description": "Simulated milestone load-1"},
        state=Submission.State.UNKNOWN,
    )
    Submission.objects.create(
        key=uuid.uuid4(),
        contract_id="ctr_1",
        payload={"description": "Simulated milestone load-2"},
        state=Submission.State.CREATED,
    )

    lines = _call("unclear_submissions").splitlines()

    assert len(lines) == 1
    assert lines[0].startswith(f"{unclear.key} ctr_1 ")
    assert lines[0].endswith("Simulated milestone load-1")
