"""Setup problems (an unclaimed account, no payment method, ...) on the inbox's checklist, and the
buttons they block disabled with the reason beside them, on every page: read from what the worker
stored, never asked of OpenTrain by a page."""

import re

from sandbox import demo
from sandbox.models import Account, Token
from tests.milestone_helpers import form_url, use_account
from tests.mirror_helpers import sync_account

CLAIM_PATH = "/sandbox/claim/ot_cat_sandbox_unclaimed/"
UNCLAIMED_FIXED = "ctr_unclaimed_fixed_300"
NOBILLING_HOURLY = "ctr_nobilling_hourly_38"
NOT_FUNDED = "ms_nobilling_hourly_38_1"


def disabled(html: str, label: str) -> bool:
    return bool(re.search(rf"<button type=\"button\" class=\"[^\"]*\" disabled>{label}", html))


def setup_section(html: str) -> str:
    return html[html.index('<section class="card setup"') :]


def offers_check_again_beside(html: str, label: str) -> bool:
    """The disabled button has "Check again" beside it: a button of the page's one recheck form,
    which sits apart (the blocked button is often inside a write form of its own)."""
    beside = re.search(
        rf'<span class="action-blocked">\s*<button[^>]*disabled>{label}.*?</span>\s*</span>',
        html,
        re.S,
    )
    return (
        beside is not None
        and re.search(r'form="setup-recheck"[^>]*>Check again</button>', beside.group(0))
        is not None
        and html.count('<form id="setup-recheck" method="post" action="/setup/recheck/"') == 1
    )


def test_the_worker_records_an_unclaimed_account_with_its_claim_link(sandbox):
    [problem] = sync_account("unclaimed").access["problems"]

    assert problem["kind"] == "claim"
    assert problem["link_url"].endswith(CLAIM_PATH)


def test_an_unclaimed_account_is_on_the_setup_checklist_with_the_claim_link(sandbox, pm):
    use_account(pm, "unclaimed")

    setup = setup_section(pm.get("/").content.decode())

    assert "Claim the OpenTrain account" in setup
    assert f'{CLAIM_PATH}" target="_blank"' in setup


def test_the_form_shows_why_and_the_claim_link_instead_of_a_form(sandbox, pm, upstream_calls):
    use_account(pm, "unclaimed")
    pm.get(form_url(UNCLAIMED_FIXED))  # the page chrome's one read (the demo accounts), cached
    upstream_calls.clear()

    html = pm.get(form_url(UNCLAIMED_FIXED)).content.decode()

    assert "You cannot create milestones yet" in html
    assert "A human must claim this OpenTrain account first" in html
    assert f'{CLAIM_PATH}" target="_blank"' in html
    assert 'name="description"' not in html
    assert upstream_calls == []


def test_the_picker_form_shows_the_reason_instead_of_a_form_too(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get("/milestones/new/").content.decode()

    assert "You cannot create milestones yet" in html
    assert 'name="contract"' not in html


def test_the_contract_page_disables_every_write_with_the_reason(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get(f"/contracts/{UNCLAIMED_FIXED}/").content.decode()

    assert disabled(html, "New milestone")
    assert disabled(html, "End contract")
    assert disabled(html, "Request payout approval")
    assert "A human must claim this OpenTrain account first." in html
    assert f'href="/contracts/{UNCLAIMED_FIXED}/milestones/new/"' not in html


def test_the_handoff_page_disables_its_button_with_the_reason(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get(f"/contracts/{UNCLAIMED_FIXED}/end/").content.decode()

    assert disabled(html, "End contract")
    assert "A human must claim this OpenTrain account first." in html


def test_the_inbox_disables_the_actions_a_setup_problem_blocks(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get("/").content.decode()

    items = html[html.index('class="inbox-group') :]
    assert disabled(items, "Add")  # "Add next batch" / "Add a milestone"
    assert not re.search(r'<a class="btn btn-small" href="/contracts/[^"]*/milestones/new/', items)


def test_the_owner_sees_every_button_enabled(sandbox, pm):
    html = pm.get("/contracts/ctr_owner_fixed_300/").content.decode()

    assert (
        '<a class="btn btn-primary" href="/contracts/ctr_owner_fixed_300/milestones/new/">' in html
    )
    assert "disabled>" not in html


def test_no_payment_method_is_learned_from_a_refused_funding_request(sandbox, pm):
    use_account(pm, "nobilling")

    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})

    setup = setup_section(pm.get("/").content.decode())
    assert "Add a payment method" in setup
    assert "/sandbox/billing/" in setup
    contract = pm.get(f"/contracts/{NOBILLING_HOURLY}/").content.decode()
    assert disabled(contract, "Request funding")
    assert "Add a payment method first." in contract
    assert not disabled(contract, "New milestone")
    form = pm.get(form_url(NOBILLING_HOURLY)).content.decode()
    assert disabled(form, "Create and request funding")
    assert '<button type="submit" class="btn btn-primary">Create milestone</button>' in form


def test_an_unclaimed_account_without_a_payment_method_shows_both_items(sandbox, pm):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})
    # The account turns out to be an agent's, not claimed yet: its token has the pre-claim set.
    Account.objects.filter(key="nobilling").update(claimed=False)
    Token.objects.filter(value=demo.NOBILLING_TOKEN).update(
        scopes=[*demo.PRE_CLAIM_SCOPES, "payments:write"]
    )
    sync_account("nobilling")

    setup = setup_section(pm.get("/").content.decode())

    assert "Claim the OpenTrain account" in setup
    assert "Add a payment method" in setup


def test_claiming_the_account_lifts_the_block_after_the_next_sync(sandbox, pm):
    use_account(pm, "unclaimed")
    pm.post(CLAIM_PATH)
    sync_account("unclaimed")

    html = pm.get(f"/contracts/{UNCLAIMED_FIXED}/").content.decode()

    assert not disabled(html, "New milestone")
    assert "Claim the OpenTrain account" not in pm.get("/").content.decode()


def test_after_adding_a_payment_method_check_again_lifts_the_block(sandbox, pm):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})
    pm.post("/sandbox/billing/org_sbx_nobilling/")  # the person adds a card in OpenTrain

    response = pm.post("/setup/recheck/", follow=True)

    html = response.content.decode()
    assert "nothing blocks the dashboard any more" in html
    assert '<section class="card setup"' not in html
    contract = pm.get(f"/contracts/{NOBILLING_HOURLY}/").content.decode()
    assert not disabled(contract, "Request funding")
    again = pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})
    assert again.url.startswith("/approvals/")


def test_every_page_with_a_button_blocked_for_funding_offers_check_again_beside_it(sandbox, pm):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})

    contract = pm.get(f"/contracts/{NOBILLING_HOURLY}/").content.decode()
    form = pm.get(form_url(NOBILLING_HOURLY)).content.decode()
    handoff = pm.get(f"/milestones/{NOT_FUNDED}/fund/?contract={NOBILLING_HOURLY}").content.decode()

    assert offers_check_again_beside(contract, "Request funding")
    assert offers_check_again_beside(form, "Create and request funding")
    assert offers_check_again_beside(handoff, "Request funding")


def test_every_page_with_a_button_blocked_for_the_claim_offers_check_again_beside_it(sandbox, pm):
    use_account(pm, "unclaimed")

    contract = pm.get(f"/contracts/{UNCLAIMED_FIXED}/").content.decode()
    listing = pm.get("/contracts/").content.decode()
    batch = pm.get(f"/milestones/batch/new/?contract={UNCLAIMED_FIXED}").content.decode()
    inbox = pm.get("/").content.decode()

    assert offers_check_again_beside(contract, "New milestone")
    assert offers_check_again_beside(contract, "End contract")
    assert offers_check_again_beside(listing, "New milestone")
    assert offers_check_again_beside(batch, "Preview these milestones")
    assert offers_check_again_beside(inbox, "Add")
    assert re.search(r'form="setup-recheck"[^>]*>Fixed it\? Check again<', setup_section(inbox))


def test_check_again_beside_a_blocked_button_lifts_the_block_and_comes_back_to_that_page(
    sandbox, pm
):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})
    pm.post("/sandbox/billing/org_sbx_nobilling/")  # the person adds a card in OpenTrain
    contract = pm.get(f"/contracts/{NOBILLING_HOURLY}/").content.decode()
    back = re.search(r'id="setup-recheck".*?name="next" value="([^"]*)"', contract, re.S).group(1)

    response = pm.post("/setup/recheck/", {"next": back}, follow=True)

    assert response.redirect_chain[-1][0] == f"/contracts/{NOBILLING_HOURLY}/"
    html = response.content.decode()
    assert "nothing blocks the dashboard any more" in html
    assert not disabled(html, "Request funding")
    assert "Check again" not in html


def test_a_funding_request_that_goes_through_lifts_the_funding_block_at_once(sandbox, pm):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})
    pm.post("/sandbox/billing/org_sbx_nobilling/")  # the person adds a card in OpenTrain

    # A page opened before the refusal still has its button: pressed now, OpenTrain takes it.
    funded = pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})

    assert funded.url.startswith("/approvals/")
    assert "Add a payment method" not in pm.get("/").content.decode()
    form = pm.get(form_url(NOBILLING_HOURLY)).content.decode()
    assert not disabled(form, "Create and request funding")


def test_the_batch_pages_disable_previewing_for_an_unclaimed_account(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get(f"/milestones/batch/new/?contract={UNCLAIMED_FIXED}").content.decode()

    assert disabled(html, "Preview these milestones")
    assert "A human must claim this OpenTrain account first." in html


def test_the_contract_list_disables_new_milestone_and_add_milestones(sandbox, pm):
    use_account(pm, "unclaimed")

    html = pm.get("/contracts/").content.decode()

    assert disabled(html, "New milestone")
    assert disabled(html, "Add milestones")
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert 'href="/contracts/' in rows
    assert not re.search(r'href="[^"]*/milestones/new/"', rows)
