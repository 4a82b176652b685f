"""A batch's rows follow the single form's rules: no due date in the past, a confirm before going
over a contract's estimated total (per row, or once for the batch with the rows listed), repeated
milestones flagged, and "Confirm and send" never sends a row whose edit is still open."""

import re
from datetime import timedelta

import pytest

from dashboard.batches.tasks import send_batch
from dashboard.forms import earliest_today
from tests.batch_helpers import confirm, upload, valid_row, xlsx_file
from tests.milestone_helpers import FIXED, HOURLY, LATER, milestones, posts

pytestmark = pytest.mark.django_db(transaction=True)

YESTERDAY = earliest_today() - timedelta(days=1)
PAST = {**valid_row(1), "due_date": YESTERDAY.isoformat()}
# HOURLY: $1,500.00 estimated, $1,000.00 of milestones; 41 hours at $12.50 is $512.50.
OVER = {"contract_id": HOURLY, "name": "A long month", "description": "Long", "volume": "41"}


def row_html(html: str, line: int) -> str:
    return re.search(rf'<tr id="row-{line}".*?</tr>', html, re.S).group(0)


def page(client, batch) -> str:
    return client.get(f"/batches/{batch.pk}/").content.decode()


def edit_url(batch, line: int) -> str:
    return f"/batches/{batch.pk}/rows/{batch.rows.get(position=line).pk}/edit/"


def test_a_past_due_date_in_a_csv_row_is_refused_beside_the_row_and_never_sent(
    sandbox, pm, upstream_calls
):
    batch = upload(pm, [PAST, valid_row(4)])

    html = page(pm, batch)
    confirm(pm, batch)
    send_batch.call(batch_id=str(batch.pk))

    day = f"{YESTERDAY.day} {YESTERDAY:%b %Y}"
    assert f"Due date: {day} is in the past. Choose today or a later date" in row_html(html, 2)
    assert "Send 1 milestone to OpenTrain" in html
    assert [c.path for c in posts(upstream_calls)] == [f"/contracts/{HOURLY}/milestones"]
    assert not [m for m in milestones(HOURLY) if m.name == "Week batch 1"]


def test_a_past_due_date_in_an_xlsx_row_is_refused_too(sandbox, pm):
    header = ["contract_id", "name", "description", "amount_usd", "volume", "due_date"]
    workbook = xlsx_file([header, [HOURLY, "Late", "Late work", None, 2, YESTERDAY]])

    response = pm.post("/milestones/import/", {"file": workbook})

    html = pm.get(response.url).content.decode()
    assert "is in the past. Choose today or a later date" in row_html(html, 2)
    assert "Send 0 milestones" in html


def test_a_ticked_contracts_row_edited_to_a_past_date_is_refused(sandbox, pm):
    response = pm.post("/milestones/batch/new/", {"contract": [HOURLY]})
    batch_id = response.url.strip("/").split("/")[-1]
    row_id = re.search(r"/rows/(\d+)/edit/", pm.get(response.url).content.decode()).group(1)

    edited = pm.post(
        f"/batches/{batch_id}/rows/{row_id}/edit/",
        {"description": "Weeks 5-6", "volume": "4", "due_date": YESTERDAY.isoformat()},
    ).content.decode()

    due = re.search(r'<input[^>]*id="row-2-due_date"[^>]*>\s*<ul[^>]*>.*?</ul>', edited, re.S)
    assert 'aria-invalid="true"' in due.group(0) and "is in the past" in due.group(0)
    assert f'value="{YESTERDAY.isoformat()}"' in due.group(0)


def test_rows_over_the_estimated_total_are_listed_and_not_sent_without_the_confirm(
    sandbox, pm, upstream_calls
):
    batch = upload(pm, [valid_row(2), OVER])

    html = page(pm, batch)
    refused = confirm(pm, batch, over_total_ok=False)

    over = "This makes $1,512.50 of milestones on a contract estimated at $1,500.00: $12.50 over."
    assert over in row_html(html, 3)
    card = re.search(r'<form[^>]*id="batch-confirm".*?</form>', html, re.S).group(0)
    assert "Line 3 of the file" in card and 'name="confirm_over_total"' in card
    assert refused.status_code == 200
    assert "Tick the box to send them anyway" in refused.content.decode()
    batch.refresh_from_db()
    assert not batch.confirmed and posts(upstream_calls) == []

    assert confirm(pm, batch).status_code == 302
    send_batch.call(batch_id=str(batch.pk))
    assert milestones(HOURLY)[-1].name == "A long month"


def test_the_confirm_for_the_batch_covers_only_the_rows_it_listed(sandbox, pm, upstream_calls):
    batch = upload(pm, [OVER, valid_row(2)])
    html = page(pm, batch)
    lines = re.search(r'name="over_total_lines" value="([^"]*)"', html).group(1)
    # LABELS: $1,400.00 estimated; 25,000 labels at $0.07 is $1,750.00.
    pm.post(edit_url(batch, 3), {"description": "Now over too", "volume": "25000"})

    response = pm.post(
        f"/batches/{batch.pk}/confirm/",
        {"confirm_over_total": "on", "over_total_lines": lines},
    )

    assert response.status_code == 200
    assert "Line 3 of the file" in response.content.decode()
    batch.refresh_from_db()
    assert not batch.confirmed and posts(upstream_calls) == []


def test_a_row_over_the_estimated_total_can_be_confirmed_on_its_own(sandbox, pm):
    batch = upload(pm, [OVER])

    form = pm.get(edit_url(batch, 2)).content.decode()
    pm.post(edit_url(batch, 2), {**OVER, "confirm_over_total": "on"})

    assert "Create it anyway, over the estimated total" in form
    html = page(pm, batch)
    assert "confirmed for this line" in row_html(html, 2)
    assert 'name="confirm_over_total"' not in re.search(
        r'<form[^>]*id="batch-confirm".*?</form>', html, re.S
    ).group(0)
    assert confirm(pm, batch, over_total_ok=False).status_code == 302


def test_rows_that_repeat_a_milestone_on_the_same_contract_are_flagged(sandbox, pm):
    same = {**valid_row(1), "due_date": LATER}
    batch = upload(pm, [same, valid_row(2), same, {**same, "name": "Another week"}])

    html = page(pm, batch)

    assert "Repeats line 2 above: the same milestone on the same contract." in row_html(html, 4)
    assert "Repeats" not in row_html(html, 2) and "Repeats" not in row_html(html, 5)


def test_confirm_and_send_with_a_row_still_open_sends_nothing_without_javascript(
    sandbox, pm, upstream_calls
):
    batch = upload(pm, [valid_row(1)])
    edit_page = pm.get(edit_url(batch, 2)).content.decode()
    opened = re.search(r'<input type="hidden" name="open_edit"[^>]*>', edit_page).group(0)
    row_id = re.search(r'value="(\d+)"', opened).group(1)

    response = pm.post(f"/batches/{batch.pk}/confirm/", {"open_edit": row_id})

    assert 'form="batch-confirm"' in opened
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 2 of the file is still open: save it or cancel it" in html
    assert "Save line 2" in html  # the row is still open, with what was saved
    batch.refresh_from_db()
    assert not batch.confirmed and posts(upstream_calls) == []


def test_while_a_row_is_open_in_place_the_confirm_button_waits_for_it(sandbox, pm):
    batch = upload(pm, [valid_row(1)])
    htmx = {"HX-Request": "true"}

    opened = pm.get(edit_url(batch, 2), headers=htmx).content.decode()
    saved = pm.post(edit_url(batch, 2), valid_row(1), headers=htmx).content.decode()

    card = re.search(r'<form[^>]*id="batch-confirm".*?</form>', opened, re.S).group(0)
    assert 'hx-swap-oob="true"' in card
    assert "Save or cancel line 2 of the file first" in card
    assert re.search(r"<button[^>]*disabled[^>]*>Confirm and send", card)
    card = re.search(r'<form[^>]*id="batch-confirm".*?</form>', saved, re.S).group(0)
    assert not re.search(r"<button[^>]*disabled[^>]*>Confirm and send", card)


def test_a_refused_confirm_in_place_answers_with_the_card_alone(sandbox, pm):
    batch = upload(pm, [OVER])
    htmx = {"HX-Request": "true"}

    refused = pm.post(f"/batches/{batch.pk}/confirm/", {}, headers=htmx)
    sent = confirm(pm, batch)

    html = refused.content.decode()
    assert html.lstrip().startswith('<form method="post" action="/batches/')
    assert "<h1>" not in html and "Tick the box to send them anyway" in html
    assert sent.status_code == 302


def test_the_preview_says_refused_rows_will_not_be_sent_and_counts_the_files_lines(sandbox, pm):
    batch = upload(pm, [valid_row(1), {"contract_id": FIXED, "description": "x"}])

    html = page(pm, batch)

    assert "Refused: will not be sent" in row_html(html, 3)
    assert "not sent" not in html.replace("will not be sent", "")
    assert "Line 3 of the file" in row_html(html, 3)
    assert "Line of the file" in html  # the column's heading
