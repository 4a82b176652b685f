"""What a new project manager tripped over: one message per failure, "Choose" without JavaScript,
and what viewers are offered."""

import uuid

import pytest

from tests.milestone_helpers import HOURLY, form_url, posts, use_account

TYPED = {"name": "Second batch", "description": "Typed before choosing"}


def send(client, contract_id, data, **headers):
    # A form opened before the worker saw the problem (today the page shows the reason instead).
    key = str(uuid.uuid4())
    data = {**data, "submission_key": key, "confirm_over_total": "on"}
    return client.post(form_url(contract_id), data, headers=headers)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("account", "contract_id", "title"),
    [
        ("readonly", "ctr_readonly_fixed_300", "not allowed to do this"),
        ("nofeature", "ctr_nofeature_fixed_300", "switched off"),
    ],
)
def test_a_refusal_a_retry_cannot_fix_is_said_once_without_submit_again(
    sandbox, pm, account, contract_id, title, htmx
):
    use_account(pm, account)
    headers = {"HX-Request": "true"} if htmx else {}

    response = send(pm, contract_id, {"description": "Work", "amount_usd": "5"}, **headers)

    html = response.content.decode()
    assert html[html.index('id="milestone-form"') :].count(title) == 1
    assert "You cannot create milestones yet" not in html
    assert "Submit again" not in html
    assert "cannot succeed until this is fixed" in html
    assert "Work</textarea>" in html


def test_a_form_that_cannot_succeed_is_replaced_by_its_reason_before_anything_is_typed(sandbox, pm):
    use_account(pm, "readonly")

    html = pm.get(form_url("ctr_readonly_fixed_300")).content.decode()

    assert "You cannot create milestones yet" in html
    assert "not allowed to do this" in html
    assert "Create milestone</button>" not in html


def test_choose_without_javascript_keeps_what_was_typed_and_sends_nothing(
    sandbox, pm, upstream_calls
):
    pm.get("/milestones/new/")
    upstream_calls.clear()

    response = pm.post("/milestones/new/", {**TYPED, "contract": HOURLY, "choose": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_volume">Hours</label>' in html
    assert 'value="Second batch"' in html
    assert "Typed before choosing</textarea>" in html
    assert 'aria-invalid="true"' not in html
    assert "Nothing was sent" not in html
    assert posts(upstream_calls) == []


def test_viewers_are_not_offered_new_milestone_in_the_navigation(sandbox, client, viewer):
    client.force_login(viewer)

    for path in ("/contracts/", "/activity/"):
        assert 'href="/milestones/new/"' not in client.get(path).content.decode()


def test_editors_are_offered_new_milestone_in_the_navigation(sandbox, pm):
    for path in ("/contracts/", "/activity/"):
        assert 'href="/milestones/new/"' in pm.get(path).content.decode()


def test_a_viewer_who_opens_the_picker_is_told_only_editors_create_milestones(
    sandbox, client, viewer
):
    client.force_login(viewer)

    html = client.get("/milestones/new/").content.decode()

    assert "Only editors can create milestones" in html
    assert 'name="contract"' not in html
    assert 'id="milestone-form"' not in html


def test_an_unknown_filter_value_is_named_next_to_its_filter(sandbox, pm):
    html = pm.get("/contracts/?payment_type=HOURLY").content.decode()

    select = html[html.index('<select name="payment_type"') :]
    assert 'aria-invalid="true"' in select[: select.index(">")]
    error = select[select.index("</select>") : select.index("</div>")]
    assert "“HOURLY” is not a known payment model" in error


def test_a_known_filter_still_applies_beside_an_unknown_one(sandbox, pm):
    html = pm.get("/contracts/?status=GONE&payment_type=FIXED_PRICE").content.decode()

    assert "“GONE” is not a known status" in html
    assert "Per label" not in html[html.index('id="results"') :]
