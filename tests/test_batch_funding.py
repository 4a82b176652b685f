"""'Request funding for all created': one funding approval per milestone a batch created, asked
by the worker (run here with `.call`, as the worker would) and listed on one page."""

import csv
import io
import re
from urllib.parse import unquote

import pytest

from dashboard.batches.funding import fund_batch
from dashboard.batches.tasks import send_batch
from sandbox.models import Approval as UpstreamApproval
from tests.batch_helpers import confirm, upload, valid_row
from tests.milestone_helpers import FIXED, HOURLY, LABELS, posts, set_fault, use_account
from tests.mirror_helpers import apply_approval

pytestmark = pytest.mark.django_db(transaction=True)


def created_batch(pm, n: int = 3):
    batch = upload(pm, [valid_row(i) for i in range(1, n + 1)])
    confirm(pm, batch)
    send_batch.call(batch_id=str(batch.pk))
    return batch


def fund_all(pm, batch):
    response = pm.post(f"/batches/{batch.pk}/funding/")
    assert response.status_code == 302
    assert response.url == f"/batches/{batch.pk}/funding/"
    fund_batch.call(batch_id=str(batch.pk))


def fundings(contracts=(FIXED, HOURLY, LABELS)):
    return UpstreamApproval.objects.filter(
        type=UpstreamApproval.MILESTONE_FUND,
        contract_id__in=contracts,
        milestone__name__startswith="Week batch",
    )


def test_a_finished_batch_offers_to_request_funding_for_all_it_created(sandbox, pm):
    batch = created_batch(pm)

    html = pm.get(f"/batches/{batch.pk}/").content.decode()

    assert "Request funding for all created" in html
    assert f'action="/batches/{batch.pk}/funding/"' in html


def test_one_funding_approval_per_created_milestone_listed_with_the_total(sandbox, pm):
    batch = created_batch(pm)

    fund_all(pm, batch)

    assert fundings().count() == 3
    html = pm.get(f"/batches/{batch.pk}/funding/").content.decode()
    assert "<strong>3</strong> milestones · total <strong>$420.00</strong>" in html
    assert html.count("Waiting for confirmation") == 3
    links = re.findall(r'href="(http[^"]*/sandbox/approvals/[^"]+)"', html)
    assert len(links) == 3
    copy_all = re.search(r'data-copy="([^"]*)"', html).group(1)
    assert copy_all.split("&#10;") == links
    mailto = unquote(re.search(r'href="(mailto:[^"]+)"', html).group(1))
    assert "3 milestones, $420.00" in mailto and links[0] in mailto and "$50.00" in mailto


def test_pressing_twice_asks_nothing_twice(sandbox, pm, upstream_calls):
    batch = created_batch(pm)
    upstream_calls.clear()

    fund_all(pm, batch)
    fund_all(pm, batch)  # a double click, or a second worker run
    pm.post(f"/batches/{batch.pk}/funding/", {"again": "1"})
    fund_batch.call(batch_id=str(batch.pk))

    fund_posts = [c for c in posts(upstream_calls) if c.path.endswith("/fund")]
    assert len(fund_posts) == 3
    assert fundings().count() == 3


def test_a_confirmation_in_opentrain_shows_on_the_page_after_the_sync(sandbox, pm):
    batch = created_batch(pm, 1)
    fund_all(pm, batch)
    approval = fundings().get()
    waiting = pm.get(f"/batches/{batch.pk}/funding/", headers={"HX-Request": "true"})

    pm.post(f"/sandbox/approvals/{approval.id}/", {"decision": "confirm"})
    apply_approval(approval.id)  # the worker applies the approval event OpenTrain sends

    done = pm.get(f"/batches/{batch.pk}/funding/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 3s"' in waiting.content.decode()
    assert "<strong>1</strong> confirmed" in done.content.decode()
    assert 'hx-trigger="every 3s"' not in done.content.decode()


def test_a_rate_limited_request_waits_and_asks_once(sandbox, pm):
    batch = created_batch(pm, 2)
    set_fault("POST:429=1,times=1")

    fund_all(pm, batch)

    assert fundings().count() == 2


def created_without_a_payment_method(pm):
    """A one-row batch created on the demo account that has no payment method on file."""
    use_account(pm, "nobilling")
    row = {"contract_id": "ctr_nobilling_fixed_300", "description": "x", "amount_usd": "5"}
    batch = upload(pm, [row])
    confirm(pm, batch)
    send_batch.call(batch_id=str(batch.pk))
    return batch


def test_a_refused_funding_is_explained_in_words_and_can_be_asked_again(sandbox, pm):
    batch = created_without_a_payment_method(pm)

    fund_all(pm, batch)

    html = pm.get(f"/batches/{batch.pk}/funding/").content.decode()
    assert "Not asked:" in html and "payment method" in html
    assert "Request ID" in html
    assert "Ask again for those not asked" in html


def test_funding_asked_for_the_batch_is_in_activity_and_its_csv_as_single_requests_are(sandbox, pm):
    batch = created_batch(pm, 2)

    fund_all(pm, batch)

    approvals = {a.id for a in fundings()}
    html = pm.get("/activity/").content.decode()
    requests = re.findall(r'<tr id="handoff-.*?</tr>', html, re.S)
    assert len(requests) == 2
    assert all('<span class="activity-action">Request funding</span>' in r for r in requests)
    assert "Week batch 2" in requests[0] and "Week batch 1" in requests[1]
    export = pm.get("/exports/activity.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    funded = [r for r in rows if r["action"] == "fund"]
    assert {r["approval_id"] for r in funded} == approvals
    assert {r["contract_id"] for r in funded} == {HOURLY, LABELS}
    assert {r["state"] for r in funded} == {"requested"}


def test_a_batch_funding_refused_for_billing_blocks_funding_and_one_that_goes_through_lifts_it(
    sandbox, pm
):
    batch = created_without_a_payment_method(pm)
    fund_all(pm, batch)
    assert "Add a payment method" in pm.get("/").content.decode()

    pm.post("/sandbox/billing/org_sbx_nobilling/")  # the person adds a card in OpenTrain
    pm.post(f"/batches/{batch.pk}/funding/", {"again": "1"})
    fund_batch.call(batch_id=str(batch.pk))

    assert "Add a payment method" not in pm.get("/").content.decode()
