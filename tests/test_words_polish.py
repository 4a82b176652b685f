"""Issue 29's words and numbers: money with its cents, units that agree with their number, one
full stop after a name with an initial, "for 30 s" (never "for 30 s ago"), a budget with nothing
left not called "OK", the sign-in page saying what it keeps, the unclaimed and read-only setups in
a PM's words, and the batch pages' buttons and names. First the words themselves, then each on
the page where a PM meets it (the Django test client against the seeded sandbox)."""

import re
import uuid
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from dashboard import drafts
from dashboard.batches.models import Batch
from dashboard.batches.prefill import next_name
from dashboard.models import Submission
from dashboard.words import budget_words, full_stop, money, sentence, unit, volume_words
from sandbox.models import Contract as SandboxContract
from tests.batch_helpers import csv_file, xlsx_file
from tests.inbox_helpers import inbox, item
from tests.milestone_helpers import FIXED, HOURLY, LATER, form_url, send, use_account
from tests.mirror_helpers import refresh_contract

# --- the words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (Decimal("1575.5"), "$1,575.50"),
        (1575.5, "$1,575.50"),
        ("1575.5", "$1,575.50"),
        ("$1,575.5", "$1,575.50"),  # as a spreadsheet's cell or a PM types it
        (Decimal("1450"), "$1,450.00"),
        (Decimal("1.45E+3"), "$1,450.00"),
        (0, "$0.00"),
        (Decimal("0.07"), "$0.07"),
        (Decimal("-3"), "-$3.00"),
    ],
)
def test_money_always_has_two_decimals(value, words):
    assert money(value) == words


def test_money_that_is_no_number_is_shown_as_it_was_typed():
    assert money("about 300") == "about 300"
    assert money(None) == "—"


@pytest.mark.parametrize(
    ("payment_type", "volume", "words"),
    [
        ("PAY_PER_HOUR", Decimal("1.0000"), "1 hour"),
        ("PAY_PER_HOUR", 1, "1 hour"),
        ("PAY_PER_HOUR", "1", "1 hour"),
        ("PAY_PER_HOUR", Decimal("2.5"), "2.5 hours"),
        ("PAY_PER_HOUR", 0, "0 hours"),
        ("PAY_PER_LABEL", 1, "1 label"),
        ("PAY_PER_LABEL", 5000, "5,000 labels"),
    ],
)
def test_a_unit_agrees_with_its_number(payment_type, volume, words):
    assert volume_words(payment_type, volume) == words
    assert f"{volume_words(payment_type, volume).split(' ')[0]} {unit(payment_type, volume)}" == (
        words
    )


def test_a_unit_alone_is_plural_or_singular_as_asked():
    assert unit("PAY_PER_HOUR") == "hours"
    assert unit("PAY_PER_HOUR", False) == "hour"
    assert unit("FIXED_PRICE", 1) == ""


@pytest.mark.parametrize(
    ("text", "ended"),
    [
        ("Kenji T.", "Kenji T."),
        ("Aisha K", "Aisha K."),
        ("Is it done?", "Is it done?"),
        ("Payout for Kenji T. ", "Payout for Kenji T."),
    ],
)
def test_a_sentence_ending_with_an_initial_has_one_full_stop(text, ended):
    assert sentence(text) == ended
    assert ".." not in sentence(text)


def test_the_full_stop_after_a_name_is_left_out_when_the_name_has_one():
    assert full_stop("Kenji T.") == ""
    assert full_stop("Maria G") == "."


def test_a_budget_with_nothing_funded_says_so_though_opentrain_says_ok():
    words = budget_words("OK", "FIXED_PRICE", Decimal(0), funded=False)
    assert words.label == "Nothing funded"
    assert "No milestone is funded yet" in words.why


def test_a_budget_with_nothing_funded_and_no_rate_to_price_it_says_nothing_funded():
    assert budget_words("OK", "PAY_PER_LABEL", None, funded=False).label == "Nothing funded"


def test_a_budget_with_funded_milestones_and_nothing_left_is_not_ok():
    words = budget_words("OK", "FIXED_PRICE", Decimal("0.00"), funded=True)
    assert words.label == "Used up"
    assert words.why.startswith("$0.00 left")


def test_a_budget_with_nothing_left_and_not_known_whether_funded_is_not_ok_either():
    assert budget_words("OK", "FIXED_PRICE", Decimal(0), funded=None).label == "Nothing left"


def test_a_budget_keeps_opentrains_state_when_money_is_left_and_explains_it():
    ok = budget_words("OK", "PAY_PER_HOUR", Decimal(125), funded=True)
    assert (ok.label, ok.why) == ("OK", "Less than 80% of the funded hours are used.")
    low = budget_words("LOW", "PAY_PER_HOUR", Decimal(125), funded=True)
    assert (low.label, low.why) == ("LOW", "80% or more of the funded hours are used.")
    depleted = budget_words("DEPLETED", "PAY_PER_LABEL", Decimal(0), funded=True)
    assert depleted.label == "DEPLETED"
    assert depleted.why == "Every funded label is used: the work has stopped."


@pytest.mark.parametrize(
    ("last", "following"),
    [
        ("Batch 1", "Batch 2"),
        ("Week 09", "Week 10"),
        ("Weeks 3-4", "Weeks 5-6"),
        ("Batch B", "Batch C"),
        ("First labeling batch", "First labeling batch 2"),
    ],
)
def test_the_next_milestone_is_named_after_the_last_one_not_copied(last, following):
    assert next_name(last) == following


# --- on the pages ------------------------------------------------------------------------------


@pytest.fixture
def seeded(sandbox):
    """The seeded sandbox, synced into the mirror, reached over HTTP."""
    return sandbox


def _contract(client, contract_id: str) -> str:
    response = client.get(reverse("contract_detail", args=[contract_id]))
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    """The page's visible words, one space apart (tags and `<details>` content left out)."""
    html = re.sub(r"<details.*?</details>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_milestone_of_one_hour_says_1_hour_on_the_contract_page(seeded, pm):
    contract = SandboxContract.objects.get(id=HOURLY)
    contract.milestones.create(
        number=3, name="Spot check", description="One hour.", amount_usd="12.50", volume=1
    )
    refresh_contract(HOURLY)

    text = _text(_contract(pm, HOURLY))

    assert "Volume 1 hour Due" in text
    assert "1 hours" not in text
    assert "Volume 40 hours" in text


def test_a_submission_of_one_hour_says_1_hour_not_hours_1(seeded, pm):
    form = {"name": "Spot check", "description": "One hour.", "volume": "1", "due_date": LATER}
    send(pm, HOURLY, form)
    key = Submission.objects.get().key

    html = pm.get(reverse("submission_detail", args=[key])).content.decode()

    assert "<dt>Volume</dt><dd>1 hour</dd>" in html
    assert "<dt>Hours</dt>" not in html


def test_the_contract_page_writes_money_with_cents(seeded, pm):
    text = _text(_contract(pm, HOURLY))

    assert "$1,500.00" in text  # the estimated total, a whole number of dollars upstream
    assert "$12.50 / hour" in text
    amounts = re.findall(r"\$[\d,]*\d(?:\.\d+)?", text)
    assert amounts and all(re.search(r"\.\d\d$", amount) for amount in amounts), amounts


def test_a_contract_with_nothing_funded_says_nothing_funded_not_ok(seeded, pm):
    html = _contract(pm, "ctr_owner_fixed_450")  # no milestone at all

    budget = _text(html[html.index('id="budget-title"') : html.index('id="milestones-title"')])
    assert "State Nothing funded No milestone is funded yet" in budget
    assert ">OK<" not in html


def test_an_hourly_contract_whose_only_milestone_is_not_funded_says_nothing_funded(seeded, pm):
    html = _contract(pm, "ctr_owner_hourly_38")

    assert "Nothing funded" in _text(html)
    assert ">OK<" not in html


def test_a_contract_without_a_rate_or_milestones_says_nothing_funded(seeded, pm):
    html = _contract(pm, "ctr_owner_label_norate")

    assert "State Nothing funded" in _text(html)
    assert ">OK<" not in html


def test_a_fixed_price_whose_funded_milestones_are_paid_is_used_up_not_ok(seeded, pm):
    html = _contract(pm, "ctr_owner_ended")  # its one milestone paid: $0.00 left

    assert "State Used up $0.00 left: every funded milestone is used or paid." in _text(html)
    assert ">OK<" not in html


def test_a_fixed_price_with_money_in_escrow_keeps_opentrains_ok_and_says_why(seeded, pm):
    text = _text(_contract(pm, FIXED))

    assert "State OK Fixed price: $300.00 funded and not paid yet." in text


def test_the_contract_list_says_nothing_funded_for_a_contract_with_no_funded_milestone(seeded, pm):
    html = pm.get(reverse("contract_list")).content.decode()

    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Chatbot Red-Teaming Prompts.*?</tr>", html, re.S)
    budget = row.group(0)[row.group(0).index('data-label="Budget"') :]
    assert re.search(r'<span class="badge badge-not_funded"[^>]*>Nothing funded</span>', budget)
    assert ">OK<" not in budget
    assert "$0.00 left" in budget
    hourly = re.search(r'<tr data-href="/contracts/ctr_owner_hourly_15/".*?</tr>', html, re.S)
    assert '<span class="badge badge-ok">OK</span>' in hourly.group(0)  # money left: OpenTrain's


def test_the_payout_confirmation_names_kenji_t_with_one_full_stop(seeded, pm):
    url = reverse("milestone_approve", args=["ms_owner_fixed_1250_2"])

    html = pm.get(url + "?contract=ctr_owner_fixed_1250").content.decode()

    assert "to Kenji T. No money moves yet." in _text(html)
    assert "Kenji T.." not in _text(html)


def test_a_budget_item_says_for_how_long_and_never_for_30_s_ago(seeded, pm):
    low = item(inbox(pm), "low:ctr_owner_hourly_1250")

    assert re.search(r"<span>for <time [^>]*>\d+ s</time></span>", low)
    assert "</time> ago" not in low


def test_a_moment_in_the_inbox_still_says_ago(seeded, pm):
    overdue = item(inbox(pm), "overdue:ms_owner_hourly_1250_2")  # due on 29 Jun 2026, seeded

    assert re.search(r"due <time [^>]*>[^<]+</time> ago", overdue)


def _sign_in(client):
    response = client.post(
        "/accounts/login/", {"username": "editor", "password": "editor-pass-123"}
    )
    assert response.status_code == 302


def test_the_sign_in_page_says_what_was_typed_is_kept_and_put_back(seeded, client, editor):
    _sign_in(client)
    Session.objects.all().delete()  # the session expires while the PM types
    typed = {"name": "Week 9", "description": "Typed before it expired", "volume": "6"}

    response = client.post(form_url(HOURLY), typed, follow=True)

    minutes = drafts.KEEP_SECONDS // 60
    assert response.request["PATH_INFO"] == "/accounts/login/"
    assert (
        f"What you typed is kept: sign in within {minutes} minutes and it is put back in the form."
        in _text(response.content.decode())
    )


def test_the_sign_in_page_promises_nothing_when_nothing_was_typed(seeded, client):
    html = client.get("/accounts/login/").content.decode()

    assert "What you typed is kept" not in html


def test_the_unclaimed_accounts_form_page_does_not_say_nothing_typed_was_lost(seeded, pm):
    use_account(pm, "unclaimed")

    html = pm.get(form_url("ctr_unclaimed_fixed_300")).content.decode()

    assert "You cannot create milestones yet" in html
    assert "A human must claim this OpenTrain account first" in html
    assert "Nothing you typed was lost" not in html
    assert 'name="description"' not in html


def test_a_refused_form_on_an_unclaimed_account_says_what_was_typed_is_kept(seeded, pm):
    use_account(pm, "unclaimed")
    contract_id = "ctr_unclaimed_hourly_38"
    typed = {"name": "Week 9", "description": "Kept", "volume": "2", "due_date": LATER}

    html = send(pm, contract_id, typed, key=str(uuid.uuid4())).content.decode()

    assert "A human must claim this OpenTrain account first" in html
    assert "Nothing you typed was lost." in html
    assert 'value="Week 9"' in html


def test_the_read_only_message_speaks_to_a_pm_and_names_the_variable_for_the_operator(seeded, pm):
    use_account(pm, "readonly")

    html = pm.get(form_url("ctr_readonly_fixed_300")).content.decode()

    text = _text(html)
    assert (
        "This dashboard's OpenTrain key may only read; ask whoever set it up for a key with "
        "payments:write." in text
    )
    assert "OT_API_TOKEN" not in text
    detail = re.search(
        r"<details[^>]*><summary>For whoever set up the dashboard</summary>.*?"
        r"</details>",
        html,
        re.S,
    )
    assert detail and "OT_API_TOKEN" in detail.group(0)


def test_a_batch_of_ticked_contracts_proposes_the_next_name_and_no_import(seeded, pm):
    response = pm.post("/milestones/batch/new/", {"contract": ["ctr_owner_label_012"]})

    batch = Batch.objects.get()
    assert batch.rows.get().typed["name"] == "Batch 2"  # its last milestone is "Batch 1"
    text = _text(pm.get(response.url).content.decode())
    assert "Batch 2" in text
    assert "Import another file" not in text


def test_an_imported_batch_offers_to_import_another_file(seeded, pm):
    row = {"contract_id": FIXED, "name": "More", "description": "More.", "amount_usd": "100"}
    response = pm.post("/milestones/import/", {"file": csv_file([{**row, "due_date": LATER}])})

    assert "Import another file" in _text(pm.get(response.url).content.decode())


def test_the_xlsx_preview_writes_amounts_with_cents(seeded, pm):
    rows = [
        ["contract_id", "name", "description", "amount_usd", "volume", "due_date"],
        [FIXED, "More", "More labels.", 1575.5, None, LATER],
        ["ctr_owner_ended", "Late", "After the end.", "$1,575.5", None, LATER],
    ]
    response = pm.post("/milestones/import/", {"file": xlsx_file(rows)})

    text = _text(pm.get(response.url).content.decode())
    assert "$1,575.50" in text
    assert not re.search(r"\$1,575\.5(?!0)", text)
    assert "This makes $1,875.50 of milestones on a contract estimated at $300.00" in text
