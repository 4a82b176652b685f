import pytest

from tests import notify_helpers


@pytest.fixture
def receiver():
    """A team chat's incoming webhook on this machine (`.received`, `.status`, `.url`)."""
    chat = notify_helpers.ChatReceiver()
    yield chat
    chat.close()
