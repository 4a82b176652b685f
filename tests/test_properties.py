"""Bad input, generated: the milestone form and the list filters never fail, never send what they
refuse, and never echo markup; no POST anywhere fails or grows the session table.

Hypothesis drives Django's test client against the sandbox's live server. The fixtures are
function-scoped and shared by all examples of a test, which is fine here: each example clears the
spy, and milestones that valid examples create do not change what the next example checks.
"""

import string
import uuid
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dashboard.forms import FORMS
from tests.url_helpers import URLS

CONTRACTS = {
    "FIXED_PRICE": ("ctr_owner_fixed_300", Decimal("300")),
    "PAY_PER_HOUR": ("ctr_owner_hourly_38", Decimal("38")),
    "PAY_PER_LABEL": ("ctr_owner_label_035", Decimal("0.35")),
}
MONEY_FIELD = {"FIXED_PRICE": "amount_usd", "PAY_PER_HOUR": "volume", "PAY_PER_LABEL": "volume"}

# Distinctive markup: if any of these comes back unescaped, the page would run it.
ATTACKS = [
    "<script>alert('xss-1')</script>",
    '"><img src=x onerror=alert(2)>',
    "</textarea><b id=xss-3>bold</b>",
    "<svg/onload=alert(4)>",
    "'><iframe src=javascript:alert(5)>",
]

# Numbers a PM might type that must never reach OpenTrain: exponents, NaN and infinities in
# every spelling, negative zero, zero and negatives, too many decimals, and absurd sizes.
NEVER_NUMBERS = [
    "1e3",
    "1E3",
    "1E-2",
    "2.5e1",
    "1e400",
    "-1e-400",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "+inf",
    "∞",
    "-0",
    "-0.0",
    "-0.00",
    "0",
    "0.00",
    "-5",
    "0.001",
    "0.000000001",
    "1" + "0" * 40,
    "9" * 25,
    "12.345",
    "1_000",
    "0x10",
    "1/2",
    "$",
    "12.5.1",
    " ",
]

bmp_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)),
    max_size=80,
)
tagged_text = st.builds(lambda a, b, c: a + b + c, bmp_text, st.sampled_from(ATTACKS), bmp_text)
long_text = st.integers(min_value=4990, max_value=12000).map(lambda n: ("é" * n)[:n])
texts = st.one_of(bmp_text, tagged_text, long_text, st.just(""))

exponents = st.from_regex(r"\A[+-]?\d{1,4}(\.\d{1,4})?[eE][+-]?\d{1,4}\Z")
numbers = st.one_of(
    st.sampled_from(NEVER_NUMBERS),
    exponents,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.from_regex(r"\A\d{1,3}(,\d{3}){0,3}(\.\d{1,5})?\Z"),
    bmp_text,
    tagged_text,
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "26-7-1", "tomorrow", ""]),
    tagged_text,
)
keys = st.one_of(st.builds(lambda: str(uuid.uuid4())), st.sampled_from(["", "not-a-key"]))

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _form_data(draw_values):
    """A POST body where any field may be missing."""
    return {name: value for name, value in draw_values.items() if value is not None}


plain_numbers = st.from_regex(r"\A[1-9]\d{0,2}(\.\d{1,2})?\Z")
filled_text = st.one_of(tagged_text, st.text(alphabet=string.ascii_letters + "é漢 ", min_size=3))


@st.composite
def milestone_posts(draw):
    payment_type = draw(st.sampled_from(sorted(CONTRACTS)))
    if draw(st.booleans()):
        # Mostly-valid posts, so the accepted path (and what it echoes) is exercised too.
        return payment_type, {
            "name": draw(filled_text),
            "description": draw(filled_text),
            MONEY_FIELD[payment_type]: draw(plain_numbers),
            "submission_key": str(uuid.uuid4()),
        }
    values = {
        "name": draw(st.one_of(st.none(), texts)),
        "description": draw(st.one_of(st.none(), texts)),
        MONEY_FIELD[payment_type]: draw(st.one_of(st.none(), numbers)),
        "due_date": draw(st.one_of(st.none(), dates)),
        "submission_key": draw(st.one_of(st.none(), keys)),
    }
    return payment_type, _form_data(values)


def _form_url(payment_type):
    return f"/contracts/{CONTRACTS[payment_type][0]}/milestones/new/"


def _assert_escaped(html):
    for attack in ATTACKS:
        assert attack not in html, f"unescaped input in the page: {attack}"
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg/" not in html


def _posts(calls):
    return [call for call in calls if call[0] == "POST"]


@PROPERTY_SETTINGS
@given(post=milestone_posts())
def test_the_milestone_form_never_fails_and_sends_only_what_it_accepts(
    sandbox, pm, upstream_calls, post
):
    payment_type, data = post
    upstream_calls.clear()

    response = pm.post(_form_url(payment_type), data)

    assert response.status_code in (200, 302)
    html = response.content.decode()
    _assert_escaped(html)
    form = FORMS[payment_type](data, rate=CONTRACTS[payment_type][1])
    if not form.is_valid():
        assert _posts(upstream_calls) == []
        assert "Nothing was sent" in html or "field-invalid" in html
    assert len(_posts(upstream_calls)) <= 1
    event("sent to OpenTrain" if _posts(upstream_calls) else "refused by the form")
    if response.status_code == 302:
        _assert_escaped(pm.get(response["Location"]).content.decode())


@PROPERTY_SETTINGS
@given(
    payment_type=st.sampled_from(sorted(CONTRACTS)),
    number=st.one_of(st.sampled_from(NEVER_NUMBERS), exponents),
    htmx=st.booleans(),
)
def test_a_number_that_is_not_plain_digits_is_refused_before_anything_is_sent(
    sandbox, pm, upstream_calls, payment_type, number, htmx
):
    data = {
        "description": "Plain description",
        MONEY_FIELD[payment_type]: number,
        "submission_key": str(uuid.uuid4()),
    }
    upstream_calls.clear()
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = pm.post(_form_url(payment_type), data, **extra)

    assert response.status_code == 200
    assert _posts(upstream_calls) == []
    html = response.content.decode()
    assert "field-invalid" in html
    assert "Nothing was sent" in html


FILTER_NAMES = ["status", "payment_type", "q", "page", "refresh", "sort", "contract"]
filter_values = st.one_of(
    st.sampled_from(["all", "active", "ended", "FIXED_PRICE", "PAY_PER_HOUR", "1", "-1", "0"]),
    numbers,
    texts,
    st.text(alphabet=string.printable, max_size=40),
)


@PROPERTY_SETTINGS
@given(
    params=st.dictionaries(st.sampled_from(FILTER_NAMES), filter_values, max_size=5),
    htmx=st.booleans(),
)
def test_the_list_filters_never_fail_and_only_read_the_list(
    sandbox, pm, upstream_calls, params, htmx
):
    upstream_calls.clear()
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = pm.get("/contracts/", params, **extra)

    assert response.status_code == 200
    _assert_escaped(response.content.decode())
    # Filters apply locally to the one cached list read (plus the page chrome's demo accounts).
    assert set(upstream_calls.routes()) <= {("GET", "/contracts"), ("GET", "/_sandbox/accounts")}
    assert upstream_calls.routes().count(("GET", "/contracts")) <= 1


field_names = st.one_of(
    st.sampled_from(
        ["name", "description", "volume", "amount_usd", "due_date", "contract", "next"]
    ),
    st.text(min_size=1, max_size=2_000),
)
field_values = st.one_of(texts, st.text(max_size=20_000), st.just("x" * 200_000))
PEOPLE = ["editor", "viewer", "signed out", "signed out, expired session"]


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    url=st.sampled_from(URLS),
    who=st.sampled_from(PEOPLE),
    fields=st.dictionaries(field_names, field_values, max_size=40),
)
def test_no_post_anywhere_fails_or_grows_the_session_table(
    sandbox, editor, viewer, url, who, fields
):
    Session.objects.all().delete()
    client = Client()
    if who in ("editor", "viewer"):
        client.force_login(editor if who == "editor" else viewer)
    if who == "signed out, expired session":
        client.cookies[django_settings.SESSION_COOKIE_NAME] = "a-session-that-expired"
    path, name = url
    event(name)

    response = client.post(path, urlencode(fields), "application/x-www-form-urlencoded")

    assert response.status_code < 500, (path, who)
    sessions = list(Session.objects.all())
    assert len(sessions) <= (0 if who == "signed out" else 1)
    assert all(len(s.session_data) < 20_000 for s in sessions)
