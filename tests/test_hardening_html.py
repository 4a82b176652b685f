"""Valid HTML where checkers found none: `<time datetime>` and the date input."""

import re

from django.urls import reverse

from dashboard.models import Approval

# HTML's "valid global date and time string": seconds at most, never microseconds.
VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)")


def test_time_elements_carry_datetimes_without_microseconds(sandbox, pm):
    Approval.objects.create(
        approval_id="apr_now",
        type="milestone_fund",
        status="pending",
        contract_id="ctr_owner_hourly_38",
        milestone_id="ms_owner_hourly_38_1",
    )
    pages = [pm.get("/approvals/"), pm.get("/approvals/apr_now/")]
    pages.append(pm.get("/contracts/ctr_owner_hourly_38/"))

    values = [v for page in pages for v in re.findall(r'datetime="([^"]*)"', page.content.decode())]

    assert len(values) >= 3
    for value in values:
        assert VALID_DATETIME.fullmatch(value), value


def test_an_impossible_due_date_is_not_echoed_into_the_date_input(sandbox, pm):
    form = reverse("milestone_create", args=["ctr_owner_hourly_38"])

    html = pm.post(form, {"description": "x", "volume": "2", "due_date": "2026-13-45"}).content
    html = html.decode()

    [date_input] = re.findall(r'<input type="date"[^>]*>', html)
    assert "value=" not in date_input
    assert "Enter a real date, such as 2026-07-15. You typed “2026-13-45”." in html
