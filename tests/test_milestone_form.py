"""The milestone form: fields per payment model, validation before any API call, the contract
picker's htmx swap, the up-front permission check, and viewers."""

import re
import uuid

import pytest

from sandbox.models import Account, Contract
from tests.milestone_helpers import (
    ENDED,
    FIXED,
    HOURLY,
    LABELS,
    NO_RATE,
    form_url,
    milestones,
    open_form,
    posts,
    use_account,
)
from tests.mirror_helpers import refresh_contract, sync_account


def field_html(html: str, name: str) -> str:
    """The <input>/<textarea> tag of one field."""
    match = re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


def assert_error_next_to(html: str, name: str, message: str) -> None:
    tag = field_html(html, name)
    assert 'aria-invalid="true"' in tag
    assert f"id_{name}_error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    error = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>', html, re.S)
    assert error, f"no error element for {name}"
    assert message in error.group(1)


def test_a_fixed_price_contract_asks_for_an_amount_in_dollars(sandbox, pm):
    html = pm.get(form_url(FIXED)).content.decode()

    assert '<label for="id_amount_usd">Amount (USD)</label>' in html
    assert 'name="volume"' not in html
    for name in ("name", "description", "due_date"):
        assert f'<label for="id_{name}">' in html
    assert 'type="date" name="due_date"' in html
    assert '<textarea name="description"' in html


@pytest.mark.parametrize(
    ("contract_id", "label", "rate"),
    [(HOURLY, "Hours", "$12.50 / hour"), (LABELS, "Labels", "$0.07 / label")],
)
def test_hourly_and_per_label_contracts_ask_for_a_volume_and_show_the_rate(
    sandbox, pm, contract_id, label, rate
):
    html = pm.get(form_url(contract_id)).content.decode()

    assert f'<label for="id_volume">{label}</label>' in html
    assert 'name="amount_usd"' not in html
    assert rate in html


def test_the_form_works_without_javascript_and_with_htmx(sandbox, pm):
    html = pm.get(form_url(FIXED)).content.decode()

    form = re.search(r"<form id=\"milestone-form\"[^>]*>", html).group(0)
    assert 'method="post"' in form
    assert f'action="{form_url(FIXED)}"' in form
    assert f'hx-post="{form_url(FIXED)}"' in form
    assert 'hx-disabled-elt="find .form-actions button"' in form
    assert "<script>" not in html and "style=" not in html


def test_each_rendered_form_carries_a_new_submission_key(sandbox, pm):
    assert open_form(pm, FIXED) != open_form(pm, FIXED)


@pytest.mark.parametrize(
    ("contract_id", "data", "field", "message"),
    [
        (FIXED, {"description": "   \n  ", "amount_usd": "10"}, "description", "Describe the work"),
        (FIXED, {"amount_usd": ""}, "amount_usd", "Enter the amount"),
        (FIXED, {"amount_usd": "0"}, "amount_usd", "greater than zero"),
        (FIXED, {"amount_usd": "0.00"}, "amount_usd", "greater than zero"),
        (FIXED, {"amount_usd": "-5"}, "amount_usd", "greater than zero"),
        (FIXED, {"amount_usd": "abc"}, "amount_usd", "plain digits"),
        (FIXED, {"amount_usd": "NaN"}, "amount_usd", "plain digits"),
        (FIXED, {"amount_usd": "Infinity"}, "amount_usd", "plain digits"),
        (FIXED, {"amount_usd": "1e3"}, "amount_usd", "plain digits"),
        (FIXED, {"amount_usd": "0x10"}, "amount_usd", "plain digits"),
        (FIXED, {"amount_usd": "12.345"}, "amount_usd", "at most 2 decimal places"),
        (FIXED, {"amount_usd": "1000000.01"}, "amount_usd", "more than the dashboard accepts"),
        (FIXED, {"amount_usd": "9" * 40}, "amount_usd", "more than the dashboard accepts"),
        (HOURLY, {"volume": "1.234"}, "volume", "at most 2 decimal places"),
        (HOURLY, {"volume": "0"}, "volume", "greater than zero"),
        (HOURLY, {"volume": "100000.5"}, "volume", "more than the dashboard accepts"),
        (HOURLY, {"volume": ""}, "volume", "Enter how many hours"),
        (LABELS, {"volume": "2.5"}, "volume", "whole number of labels"),
        (LABELS, {"volume": "10000001"}, "volume", "more than the dashboard accepts"),
        (FIXED, {"due_date": "2026-02-30"}, "due_date", "Enter a real date"),
        (FIXED, {"due_date": "next week"}, "due_date", "Enter a real date"),
        (FIXED, {"due_date": "1999-12-31"}, "due_date", "between the years 2000 and 2100"),
    ],
)
def test_invalid_input_is_marked_next_to_its_field_kept_and_never_sent(
    sandbox, pm, upstream_calls, contract_id, data, field, message
):
    key = open_form(pm, contract_id)
    upstream_calls.clear()
    before = milestones(contract_id)
    money = "amount_usd" if contract_id == FIXED else "volume"
    posted = {"name": "Batch 9", "description": "Label the posts", money: "3", **data}

    response = pm.post(form_url(contract_id), {**posted, "submission_key": key})

    html = response.content.decode()
    assert response.status_code == 200
    assert_error_next_to(html, field, message)
    assert 'value="Batch 9"' in html
    if field != "description":
        assert "Label the posts</textarea>" in html
    if data[field].strip():
        assert f'value="{data[field]}"' in field_html(html, field) or data[field] in html
    assert posts(upstream_calls) == []
    assert milestones(contract_id) == before


def test_a_volume_that_costs_more_than_the_limit_is_refused_before_sending(sandbox, pm):
    key = open_form(pm, "ctr_owner_hourly_38")  # $38 / hour: 30,000 hours is $1,140,000

    response = pm.post(
        form_url("ctr_owner_hourly_38"),
        {"description": "Too much", "volume": "30000", "submission_key": key},
    )

    assert_error_next_to(response.content.decode(), "volume", "would cost $1,140,000.00")
    assert len(milestones("ctr_owner_hourly_38")) == 1


def test_the_cost_is_computed_exactly_from_the_rate_and_shown_after_a_submit(sandbox, pm):
    key = open_form(pm, LABELS)

    response = pm.post(form_url(LABELS), {"description": " ", "volume": "3", "submission_key": key})

    html = response.content.decode()
    assert "Cost of this milestone: <strong>$0.21</strong> (3 labels at $0.07 / label)" in html


def test_the_cost_preview_carries_the_rate_for_the_live_update(sandbox, pm):
    html = pm.get(form_url(HOURLY)).content.decode()

    preview = re.search(r"<p class=\"preview\" id=\"cost-preview\"[^>]*>", html, re.S).group(0)
    assert 'data-input="id_volume"' in preview
    assert 'data-rate="12.5"' in preview
    assert 'aria-live="polite"' in preview


def test_a_contract_without_a_rate_shows_the_reason_and_the_contract_instead_of_a_form(sandbox, pm):
    html = pm.get(form_url(NO_RATE)).content.decode()

    assert "This contract has no rate" in html
    assert "Set the rate on the contract in the OpenTrain app" in html
    assert f'href="/contracts/{NO_RATE}/"' in html
    assert 'name="volume"' not in html
    assert "Create milestone</button>" not in html


def test_an_ended_contract_shows_the_reason_instead_of_a_form(sandbox, pm):
    html = pm.get(form_url(ENDED)).content.decode()

    assert "This contract has ended" in html
    assert f'href="/contracts/{ENDED}/"' in html
    assert 'name="description"' not in html


@pytest.mark.parametrize("contract_id", [NO_RATE, ENDED])
def test_a_direct_post_to_a_contract_that_takes_no_milestones_is_refused_and_nothing_is_sent(
    sandbox, pm, upstream_calls, contract_id
):
    before = len(milestones(contract_id))
    upstream_calls.clear()

    response = pm.post(
        form_url(contract_id),
        {"description": "Work", "volume": "5", "amount_usd": "5", "submission_key": uuid.uuid4()},
    )

    html = response.content.decode()
    assert "This contract has no rate" in html or "This contract has ended" in html
    assert posts(upstream_calls) == []
    assert len(milestones(contract_id)) == before


def test_picking_a_contract_without_a_rate_says_why_in_place_of_its_payment_fields(sandbox, pm):
    swapped = pm.get(f"/milestones/new/?contract={NO_RATE}", headers={"HX-Request": "true"})
    page = pm.get(f"/milestones/new/?contract={NO_RATE}")

    for html in (swapped.content.decode(), page.content.decode()):
        assert "This contract has no rate" in html
        assert 'name="volume"' not in html
    assert "Create milestone</button>" not in page.content.decode()


def test_the_picker_refuses_a_post_for_a_contract_without_a_rate_keeping_what_was_typed(
    sandbox, pm, upstream_calls
):
    pm.get("/milestones/new/")
    upstream_calls.clear()

    response = pm.post(
        "/milestones/new/",
        {"contract": NO_RATE, "description": "Kept words", "submission_key": uuid.uuid4()},
    )

    html = response.content.decode()
    assert "This contract has no rate" in html
    assert "Kept words</textarea>" in html
    assert posts(upstream_calls) == []


def test_the_dashboard_says_it_cannot_make_milestones_for_an_unknown_payment_model(sandbox, pm):
    Contract.objects.filter(pk=FIXED).update(payment_type="PAY_PER_TASK")
    refresh_contract(FIXED)

    html = pm.get(form_url(FIXED)).content.decode()

    assert "The dashboard cannot make milestones for this contract" in html
    assert 'id="milestone-form"' not in html


def test_a_contract_that_does_not_exist_says_so(sandbox, pm):
    response = pm.get(form_url("ctr_nope"))

    assert response.status_code == 404
    assert "Not found on this OpenTrain account" in response.content.decode()


def test_the_owner_sees_no_warning_before_typing(sandbox, pm):
    assert "You cannot create milestones yet" not in pm.get(form_url(FIXED)).content.decode()


@pytest.mark.parametrize(
    ("account", "contract_id", "words"),
    [
        ("readonly", "ctr_readonly_fixed_300", "payments:write"),
        ("nofeature", "ctr_nofeature_fixed_300", "public_api_payments_write"),
    ],
)
def test_a_token_that_cannot_create_milestones_gets_the_reason_instead_of_a_form(
    sandbox, pm, account, contract_id, words
):
    use_account(pm, account)

    html = pm.get(form_url(contract_id)).content.decode()

    assert "You cannot create milestones yet" in html
    assert words in html
    assert 'id="milestone-form"' not in html
    assert 'name="description"' not in html


def test_the_permission_hint_is_read_from_the_mirror_and_survives_a_refused_capabilities_probe(
    sandbox, pm, upstream_calls
):
    Account.objects.filter(key="owner").update(job_drafting_enabled=False)
    sync_account()  # the worker probes what the token may do
    pm.get(form_url(FIXED))  # the page chrome's one read (the demo accounts), now cached
    upstream_calls.clear()

    html = pm.get(form_url(FIXED)).content.decode()

    assert "You cannot create milestones yet" not in html
    assert upstream_calls == []


def test_the_picker_offers_only_active_contracts(sandbox, pm):
    html = pm.get("/milestones/new/").content.decode()

    assert f'<option value="{FIXED}">' in html
    assert f'value="{ENDED}"' not in html
    assert "Choose a contract above" in html


def test_picking_a_contract_with_htmx_swaps_only_the_payment_fields_without_calling_opentrain(
    sandbox, pm, upstream_calls
):
    pm.get("/milestones/new/")  # the contract list is now fresh in the cache
    upstream_calls.clear()

    response = pm.get(f"/milestones/new/?contract={LABELS}", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="payment-fields"')
    assert "<html" not in html
    assert 'name="contract"' not in html  # the picker's select, above, names the contract
    assert '<label for="id_volume">Labels</label>' in html
    assert "HX-Request" in response["Vary"]
    assert upstream_calls == []


def test_choosing_a_contract_without_javascript_renders_the_whole_form(sandbox, pm):
    html = pm.get(f"/milestones/new/?contract={HOURLY}").content.decode()

    assert "<html" in html
    assert f'<option value="{HOURLY}" selected>' in html
    assert '<label for="id_volume">Hours</label>' in html
    assert 'action="/milestones/new/"' in html


def test_an_ended_contract_cannot_be_picked(sandbox, pm):
    html = pm.get(f"/milestones/new/?contract={ENDED}").content.decode()

    assert "Choose one of the active contracts" in html
    assert 'name="amount_usd"' not in html


def test_sending_the_picker_form_without_a_contract_keeps_what_was_typed(sandbox, pm):
    html = pm.get("/milestones/new/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)

    response = pm.post(
        "/milestones/new/", {"contract": "", "description": "Kept", "submission_key": key}
    )

    assert "Choose a contract first." in response.content.decode()
    assert "Kept</textarea>" in response.content.decode()


def test_a_viewer_is_told_only_editors_create_milestones_instead_of_seeing_a_form(
    sandbox, client, viewer
):
    client.force_login(viewer)

    html = client.get(form_url(FIXED)).content.decode()

    assert 'name="description"' not in html
    assert "Create milestone</button>" not in html
    assert "Only editors can create milestones" in html


def test_a_viewer_cannot_submit_and_nothing_reaches_opentrain(
    sandbox, client, viewer, upstream_calls
):
    client.force_login(viewer)
    client.get(form_url(FIXED))
    key = str(uuid.uuid4())
    upstream_calls.clear()

    response = client.post(
        form_url(FIXED), {"description": "Sneaky", "amount_usd": "5", "submission_key": key}
    )

    assert response.status_code == 403
    assert upstream_calls == []
    assert len(milestones(FIXED)) == 1
