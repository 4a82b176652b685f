"""Ticked contracts become a batch: `/milestones/batch/new/?contract=...` (the contract list's and
the inbox's "Add milestones"), pre-filled from each contract's last milestone, from the mirror."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dashboard.batches.models import Batch
from tests.milestone_helpers import ENDED, FIXED, HOURLY, LABELS, NO_RATE

pytestmark = pytest.mark.django_db(transaction=True)


def next_week() -> date:
    """A week from today, as the page reckons it when the test runs (the seeded due dates are all
    past); worked out at each test, never once for the suite, which may run past midnight."""
    return timezone.localdate() + timedelta(days=7)


def ticked(*ids: str) -> str:
    return "/milestones/batch/new/?" + "&".join(f"contract={i}" for i in ids)


def test_ticked_contracts_show_next_weeks_milestones_without_calling_opentrain(
    sandbox, pm, upstream_calls
):
    pm.get("/milestones/batch/new/")  # the page chrome's one read (the demo accounts), now cached
    upstream_calls.clear()

    html = pm.get(ticked(HOURLY, LABELS, FIXED)).content.decode()

    assert 'Add milestones <span class="muted">· 3 contracts' in html
    # Each named after its last milestone ("Weeks 3-4", "Batch B", "First labeling batch").
    assert "Weeks 5-6" in html and "40 hours" in html and "$500.00" in html
    assert "Batch C" in html and "5,000 labels" in html and "$350.00" in html
    assert "First labeling batch 2" in html and "$300.00" in html
    assert html.count("due " + f"{next_week().day} {next_week():%b %Y}") == 3
    assert upstream_calls == []
    assert not Batch.objects.exists()


def test_ended_rateless_and_unknown_contracts_are_refused_with_the_reason(sandbox, pm):
    html = pm.get(ticked(ENDED, NO_RATE, "ctr_nobody")).content.decode()

    assert "This contract is ended: it takes no new milestones." in html
    assert "This contract has no rate, so OpenTrain cannot price the milestone." in html
    assert "No contract “ctr_nobody” on this account (as of the last sync)." in html
    assert html.count("Refused:") == 3


def test_previewing_the_ticked_contracts_makes_a_batch_with_one_row_each(sandbox, pm):
    response = pm.post("/milestones/batch/new/", {"contract": [HOURLY, ENDED, HOURLY, FIXED]})

    batch = Batch.objects.get()
    assert response.url == f"/batches/{batch.pk}/"
    rows = list(batch.rows.order_by("position"))
    assert [r.contract_id for r in rows] == [HOURLY, ENDED, FIXED]
    assert rows[0].typed["name"] == "Weeks 5-6"
    assert rows[0].fields["volume"] == "40" and rows[0].cost == 500
    assert rows[0].fields["due_date"] == next_week().isoformat()
    assert rows[1].errors == ["This contract is ended: it takes no new milestones."]
    html = pm.get(response.url).content.decode()
    assert "Total cost: <strong>$800.00</strong>" in html
    assert "nothing has been sent to OpenTrain" in html


def test_a_contract_without_milestones_gets_a_named_row_to_fill_in(sandbox, pm):
    pm.post("/milestones/batch/new/", {"contract": ["ctr_owner_fixed_450"]})

    row = Batch.objects.get().rows.get()
    assert row.typed["name"] == "Next batch"
    assert "Description: Describe the work to deliver." in row.errors


def test_nothing_ticked_says_where_to_tick(sandbox, pm):
    html = pm.get("/milestones/batch/new/").content.decode()

    assert "No contract was ticked." in html
    assert pm.post("/milestones/batch/new/").status_code == 200
    assert not Batch.objects.exists()


def test_viewers_see_the_rows_but_cannot_make_the_batch(sandbox, client, viewer):
    client.force_login(viewer)

    html = client.get(ticked(HOURLY)).content.decode()
    response = client.post("/milestones/batch/new/", {"contract": [HOURLY]})

    assert "Weeks 5-6" in html and "Preview these milestones" not in html
    assert response.status_code == 403
    assert not Batch.objects.exists()


def test_the_template_csv_holds_only_the_ticked_contracts(sandbox, pm):
    response = pm.get(f"/milestones/import/template.csv?contract={LABELS}&contract={ENDED}")

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "contract_id,name,description,amount_usd,volume,due_date"
    assert lines[1] == (
        f"{LABELS},Batch B,Batch B: deliver per the guidelines in the job post.,,5000,"
        f"{next_week().isoformat()}"
    )
    assert lines[2].startswith(f"{ENDED},")
    assert len(lines) == 3


def test_the_inboxs_budget_groups_tick_into_add_milestones(sandbox, pm):
    html = pm.get("/").content.decode()

    for kind, contract in (("low", HOURLY), ("depleted", LABELS)):
        form = re.search(rf'<form id="add-{kind}" method="get" action="([^"]+)"', html)
        assert form.group(1) == "/milestones/batch/new/"
        assert re.search(
            rf'<input type="checkbox" name="contract" value="{contract}" form="add-{kind}"', html
        )
    assert 'form="add-approval"' not in html


def test_viewers_get_no_tick_boxes_in_the_inbox(sandbox, client, viewer):
    client.force_login(viewer)

    html = client.get("/").content.decode()

    assert "Budget low" in html
    assert 'name="contract"' not in html
