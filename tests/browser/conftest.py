"""Playwright on Chromium against a live server of the dashboard and its sandbox.

One browser for all the browser tests (starting Chromium is the slow part); each test gets a fresh
context, so cookies and storage never leak between tests.

Which Chromium: Debian's `/usr/bin/chromium` (what `.ci/run` installs), else a `chromium` or
`chromium-browser` on PATH, else the one `playwright install chromium` downloads. With none of
them the browser tests fail: they are part of `make test` and are never skipped.
"""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

# Headless, and quiet on the network: without the background-networking flags Chromium keeps
# calling Google's hosts, which a closed CI network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_INSTALL = (
    "The browser tests need Chromium and found none.\n"
    "  Debian/Ubuntu:  sudo apt-get install -y chromium   (gives /usr/bin/chromium)\n"
    "  elsewhere:      .venv/bin/python -m playwright install chromium\n"
    "Then run `make test` again."
)

PASSWORD = "editor-pass-123"  # the `editor` fixture's (tests/conftest.py)
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def system_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="package")
def browser():
    """One Chromium for this package's tests, closed before the rest of the suite runs."""
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # around it (users, counting sandbox rows) are still plain synchronous code.
    allow_async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    executable = system_chromium()
    with sync_playwright() as playwright:
        try:
            # executable_path=None means Playwright's own downloaded Chromium.
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.fail(f"{HOW_TO_INSTALL}\n\nPlaywright said: {exc}", pytrace=False)
        yield chromium
        chromium.close()
    if allow_async_unsafe is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allow_async_unsafe


@pytest.fixture
def expected_console_errors():
    """Words of the console errors a test expects its page to log (append them).

    Empty unless a test adds to it; every other console error fails the test (see `new_context`).
    """
    return []


def _where(event) -> str:
    return event.page.url if event.page else "a page"


@pytest.fixture
def new_context(browser, sandbox, expected_console_errors):
    """Open browser contexts on the live server; all are closed after the test.

    A page that logs an error to the console (a failed htmx selector, a CSP refusal, an uncaught
    exception, a resource that failed to load) fails the test at teardown, unless the test said
    it expects those words in `expected_console_errors`.
    """
    opened = []
    errors = []

    def on_console(message):
        if message.type == "error":
            errors.append(f"console error on {_where(message)}: {message.text}")

    def on_uncaught(web_error):
        errors.append(f"uncaught error on {_where(web_error)}: {web_error.error}")

    def open_context(**options):
        options.setdefault("viewport", LAPTOP)
        context = browser.new_context(base_url=sandbox.url, **options)
        context.set_default_timeout(10_000)
        context.on("console", on_console)
        context.on("weberror", on_uncaught)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()
    unexpected = [e for e in errors if not any(words in e for words in expected_console_errors)]
    if unexpected:
        pytest.fail(
            "The browser's console logged errors:\n  " + "\n  ".join(unexpected), pytrace=False
        )


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs about a second per sign-in here; the form and the session are real.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pm_user(editor):
    """A project manager in the "editors" group, who may make changes."""
    return editor


def _sign_in(page, user, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/contracts/")


@pytest.fixture
def sign_in(pm_user):
    """Sign a page in through the real login form, as a person would."""
    return lambda page: _sign_in(page, pm_user)


@pytest.fixture
def pm_page(page, sign_in):
    """A page signed in as the project manager, on the contracts list."""
    sign_in(page)
    return page


@pytest.fixture
def axe_page(new_context, sign_in):
    """A signed-in page whose context bypasses the CSP, so axe-core can be injected."""
    page = new_context(bypass_csp=True).new_page()
    sign_in(page)
    return page


def serious_axe_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands, one line each."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
