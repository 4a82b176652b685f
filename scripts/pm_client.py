"""What a project manager's browser does, for the scripts that play one: the benchmark, the load
test and the two-server test. Reading a page's form inputs, signing in through the login form,
filling in the milestone form. No servers here (servers.py starts them).
"""

from __future__ import annotations

import re

import httpx

LOGIN_PATH = "/accounts/login/"
INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


class SignInError(RuntimeError):
    """The login form did not sign the user in."""


def form_inputs(html: str) -> dict[str, str]:
    """name -> value of every <input> with a name (hidden keys and the CSRF token among them)."""
    values = {}
    for tag in INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            values[attrs["name"]] = attrs.get("value", "")
    return values


def login_data(login_page: str, username: str, password: str) -> dict[str, str]:
    """What the login form posts, read from the login page it came on."""
    return {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": form_inputs(login_page).get("csrfmiddlewaretoken", ""),
    }


def sign_in(url: str, username: str, password: str, timeout: float = 30) -> httpx.Client:
    """A client for the dashboard at `url`, signed in through its login form."""
    client = httpx.Client(base_url=url, timeout=timeout, follow_redirects=False)
    page = client.get(LOGIN_PATH)
    response = client.post(LOGIN_PATH, data=login_data(page.text, username, password))
    if response.status_code != 302:
        client.close()
        raise SignInError(f"signing in failed: {response.status_code}")
    return client


def milestone_data(form_page: str, **fields: str) -> dict[str, str]:
    """What a milestone form posts: the page's CSRF token and one-time submission key, and
    `fields` (name, description, amount_usd or volume, due_date)."""
    inputs = form_inputs(form_page)
    return {
        "csrfmiddlewaretoken": inputs.get("csrfmiddlewaretoken", ""),
        "submission_key": inputs["submission_key"],
        **fields,
    }
