"""The sign-in lockout keys on the person behind the load balancer, never on the balancer."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

BALANCER = "10.0.0.2"


def _sign_in(client, password, forwarded_for):
    return client.post(
        "/accounts/login/",
        {"username": "editor", "password": password},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def behind_a_balancer(settings):
    settings.FORWARDED_ALLOW_IPS = [BALANCER]


def test_wrong_passwords_from_one_person_do_not_lock_out_another(behind_a_balancer, editor):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "wrong", "203.0.113.9")

    locked = _sign_in(Client(), "editor-pass-123", "203.0.113.9")
    other = _sign_in(Client(), "editor-pass-123", "198.51.100.7")

    assert locked.status_code == 429
    assert other.status_code == 302


def test_the_header_is_ignored_from_an_address_that_is_not_a_balancer(settings, editor):
    settings.FORWARDED_ALLOW_IPS = ["10.9.9.9"]
    for number in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "wrong", f"203.0.113.{number}")

    response = _sign_in(Client(), "editor-pass-123", "198.51.100.7")

    assert response.status_code == 429


def test_only_the_hop_the_balancer_saw_counts(behind_a_balancer, editor):
    for number in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "wrong", f"1.2.3.{number}, 203.0.113.9")

    assert _sign_in(Client(), "editor-pass-123", "203.0.113.9").status_code == 429
