"""Editing a row in the preview: the single form's checks again, errors beside the field, what
was typed kept, costs and the total recomputed; htmx swaps the row, plain forms work too."""

import re

import pytest

from tests.batch_helpers import INVALID_ROWS, confirm, upload, valid_row
from tests.milestone_helpers import posts

pytestmark = pytest.mark.django_db(transaction=True)


def edit_url(batch, row) -> str:
    return f"/batches/{batch.pk}/rows/{row.pk}/edit/"


def row_html(html: str, line: int) -> str:
    return re.search(rf'<tr id="row-{line}".*?</tr>', html, re.S).group(0)


HOURS = {"name": "Week 48", "description": "Transcripts QA", "volume": "10", "due_date": ""}


def test_editing_a_rows_hours_recomputes_its_cost_and_the_total(sandbox, pm, upstream_calls):
    batch = upload(pm, [valid_row(1), valid_row(3)])  # 4 hours ($50) and $300
    hourly = batch.rows.get(position=2)

    response = pm.post(edit_url(batch, hourly), HOURS)

    assert response.status_code == 302
    assert response.url == f"/batches/{batch.pk}/#row-2"
    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "10 hours" in row_html(html, 2) and "$125.00" in row_html(html, 2)
    assert "Week 48" in row_html(html, 2)
    assert "Total cost: <strong>$425.00</strong>" in html
    assert "Send 2 milestones to OpenTrain, costing $425.00 in all." in html
    assert posts(upstream_calls) == []


def test_a_bad_value_is_named_beside_its_field_and_everything_typed_is_kept(sandbox, pm):
    batch = upload(pm, [valid_row(1)])
    row = batch.rows.get()

    response = pm.post(edit_url(batch, row), HOURS | {"volume": "ten", "due_date": "2026-13-40"})

    html = response.content.decode()
    assert response.status_code == 200
    volume = re.search(r'<input[^>]*id="row-2-volume"[^>]*>\s*<ul[^>]*>.*?</ul>', html, re.S)
    assert 'value="ten"' in volume.group(0) and 'aria-invalid="true"' in volume.group(0)
    assert "Enter a number of hours as plain digits" in volume.group(0)
    due = re.search(r'<input[^>]*id="row-2-due_date"[^>]*>\s*<ul[^>]*>.*?</ul>', html, re.S)
    assert 'value="2026-13-40"' in due.group(0) and "Enter a real date" in due.group(0)
    assert 'value="Week 48"' in html and 'value="Transcripts QA"' in html
    row.refresh_from_db()
    assert row.errors and row.cost is None  # refused in the preview until fixed
    assert "Send 0 milestones" in pm.get(f"/batches/{batch.pk}/").content.decode()


def test_a_row_refused_in_the_csv_is_fixed_in_place(sandbox, pm):
    batch = upload(pm, [INVALID_ROWS[2]])  # amount_usd "3OO"
    row = batch.rows.get()

    form = pm.get(edit_url(batch, row)).content.decode()
    pm.post(
        edit_url(batch, row), {"name": "Typo fixed", "description": "Typo", "amount_usd": "300"}
    )

    assert 'value="3OO"' in form and "Enter an amount as plain digits" in form
    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "Ready" in row_html(html, 2) and "Total cost: <strong>$300.00</strong>" in html


def test_with_htmx_only_the_row_and_the_totals_come_back(sandbox, pm):
    batch = upload(pm, [valid_row(1), valid_row(3)])
    hourly = batch.rows.get(position=2)
    htmx = {"HX-Request": "true"}

    form = pm.get(edit_url(batch, hourly), headers=htmx).content.decode()
    saved = pm.post(edit_url(batch, hourly), HOURS, headers=htmx).content.decode()

    assert form.lstrip().startswith('<tr id="row-2" class="batch-row batch-row-editing">')
    assert 'hx-post="/batches/' in form and "<h1>" not in form
    assert saved.lstrip().startswith('<tr id="row-2" class="batch-row batch-row-waiting')
    assert "$125.00" in saved
    assert '<div id="batch-summary" hx-swap-oob="true">' in saved
    assert "Total cost: <strong>$425.00</strong>" in saved
    assert 'id="batch-confirm" hx-swap-oob="true"' in saved


def test_without_javascript_the_edit_link_opens_the_page_with_the_row_as_a_form(sandbox, pm):
    batch = upload(pm, [valid_row(1), valid_row(3)])
    hourly = batch.rows.get(position=2)

    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    page = pm.get(edit_url(batch, hourly)).content.decode()

    assert f'href="{edit_url(batch, hourly)}"' in html
    assert "<h1>Batch of milestones" in page
    assert f'<form method="post" action="{edit_url(batch, hourly)}"' in page
    assert 'value="4"' in row_html(page, 2) and "Save line 2" in page
    assert "Edit line 3" in row_html(page, 3)  # the other rows stay as they were


def test_a_confirmed_batch_cannot_be_edited(sandbox, pm):
    batch = upload(pm, [valid_row(1)])
    row = batch.rows.get()
    confirm(pm, batch)

    response = pm.post(edit_url(batch, row), HOURS)

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.typed["volume"] == "4"


def test_viewers_cannot_edit_rows(sandbox, pm, client, viewer):
    batch = upload(pm, [valid_row(1)])
    row = batch.rows.get()
    client.force_login(viewer)

    assert client.get(edit_url(batch, row)).url == f"/batches/{batch.pk}/"
    assert client.post(edit_url(batch, row), HOURS).status_code == 403
    row.refresh_from_db()
    assert row.typed["volume"] == "4"
