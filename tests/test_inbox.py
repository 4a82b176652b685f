"""The "Needs you" home page: what needs the PM, each with one action, from the mirror only."""

import pytest


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here reads the seeded owner account, synced into the mirror."""


def _items(html: str, key: str) -> int:
    return html.count(f'data-key="{key}"')


def test_smoke(pm):
    response = pm.get("/")
    html = response.content.decode()
    print(html[html.find("<main") :])
    assert response.status_code == 200
