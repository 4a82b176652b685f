"""The form's guardrails, through the sandbox: no due date in the past, a clear warning (and a
confirm) before going over the contract's estimated total, and a cost preview driven by the
same rules the server checks."""

import re
import uuid
from datetime import timedelta

from dashboard.forms import NUMBER_PATTERN, earliest_today
from tests.milestone_helpers import (
    HOURLY,
    LABELS,
    LATER,
    assert_input_kept,
    form_url,
    milestones,
    posts,
    send,
)


def test_a_due_date_in_the_past_is_refused_next_to_the_field_and_nothing_is_sent(
    sandbox, pm, upstream_calls
):
    yesterday = earliest_today() - timedelta(days=1)
    typed = {"description": "Two hours", "volume": "2", "due_date": yesterday.isoformat()}
    before = len(milestones(HOURLY))

    html = send(pm, HOURLY, typed).content.decode()

    due = re.search(r'<input type="date"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in due
    error = re.search(r'<ul class="errorlist" id="id_due_date_error">(.*?)</ul>', html, re.S)
    day = f"{yesterday.day} {yesterday:%b %Y}"
    assert f"{day} is in the past. Choose today or a later date" in error.group(1)
    assert_input_kept(html, {"description": "Two hours", "volume": "2"})
    assert posts(upstream_calls) == []
    assert len(milestones(HOURLY)) == before


def test_today_is_a_valid_due_date_in_every_time_zone(sandbox, pm):
    today = earliest_today()

    response = send(pm, HOURLY, {"description": "Due today", "volume": "1", "due_date": today})

    assert response.status_code == 302
    assert str(milestones(HOURLY)[-1].due_date) == today.isoformat()


def test_the_date_input_starts_at_the_earliest_today(sandbox, pm):
    html = pm.get(form_url(HOURLY)).content.decode()

    assert f'min="{earliest_today().isoformat()}"' in html


def test_going_over_the_estimated_total_shows_the_numbers_and_needs_a_confirm(
    sandbox, pm, upstream_calls
):
    # HOURLY: $1,500.00 estimated; $1,000.00 of milestones; 41 hours at $12.50 is $512.50.
    typed = {"description": "A long month", "volume": "41", "due_date": LATER}

    warned = send(pm, HOURLY, typed, over_total_ok=False).content.decode()

    assert (
        "This makes $1,512.50 of milestones on a contract estimated at $1,500.00: $12.50 over."
        in warned
    )
    assert 'name="confirm_over_total"' in warned
    assert "Tick the box to create it anyway" in warned
    assert_input_kept(warned, typed)
    assert posts(upstream_calls) == []

    key = re.search(r'name="submission_key" value="([^"]+)"', warned).group(1)
    confirmed = send(pm, HOURLY, {**typed, "confirm_over_total": "on"}, key=key)

    assert confirmed.status_code == 302
    assert milestones(HOURLY)[-1].description == "A long month"


def test_a_milestone_within_the_estimated_total_needs_no_confirm(sandbox, pm):
    html = pm.post(
        form_url(HOURLY),
        {"description": "Within", "volume": "40", "submission_key": uuid.uuid4()},
    )

    assert html.status_code == 302


def test_the_volume_input_carries_the_servers_own_rules_for_the_preview(sandbox, pm):
    labels = pm.get(form_url(LABELS)).content.decode()
    hours = pm.get(form_url(HOURLY)).content.decode()

    label_input = re.search(r'<input[^>]*name="volume"[^>]*>', labels).group(0)
    hour_input = re.search(r'<input[^>]*name="volume"[^>]*>', hours).group(0)
    assert 'data-places="0"' in label_input
    assert 'data-places="2"' in hour_input
    assert 'data-max="10000000"' in label_input
    pattern = re.search(r'data-pattern="([^"]*)"', label_input).group(1)
    assert pattern == NUMBER_PATTERN
    assert 'data-max-cost="1000000"' in labels


def test_the_servers_preview_shows_no_cost_for_a_volume_it_refuses(sandbox, pm):
    html = send(pm, LABELS, {"description": "Half a label", "volume": "2.5"}).content.decode()

    assert "Enter a whole number of labels." in html
    assert "Cost of this milestone: <strong>" not in html
    assert "Cost of this milestone: enter the number of labels" in html
