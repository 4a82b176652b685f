"""The contracts list: signed-in only, read from the mirror, filtered and paged in SQL."""

import re

from django.urls import reverse, set_script_prefix
from django.utils import timezone

from dashboard.mirror.models import Contract as MirrorContract
from sandbox.demo import OWNER_TOKEN
from sandbox.models import Account, Contract
from tests.mirror_helpers import sync_account, sync_token


def _owner_contracts():
    return Contract.objects.filter(account__key="owner")


def test_it_asks_an_anonymous_visitor_to_sign_in(client, db):
    response = client.get("/contracts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_contracts_list_has_its_own_address_next_to_the_home_page(pm, sandbox):
    response = pm.get("/contracts/")
    assert response.status_code == 200
    assert 'href="/contracts/" aria-current="page"' in response.content.decode()


def test_it_lists_every_contract_of_the_account_with_its_details(pm, sandbox):
    response = pm.get("/contracts/")
    html = response.content.decode()
    assert response.status_code == 200
    for contract in _owner_contracts():
        assert contract.title in html
    assert "$0.07 / label" in html
    assert "$12.50 / hour" in html
    assert "Fixed price" in html and "Hourly" in html and "Per label" in html
    assert "Maria G." in html


def test_it_never_shows_another_accounts_contracts(pm, sandbox):
    html = pm.get("/contracts/").content.decode()
    others = Contract.objects.exclude(account__key="owner").exclude(
        title__in=_owner_contracts().values("title")
    )
    for contract in others:
        assert contract.title not in html


def test_under_a_sub_path_every_link_of_the_page_carries_it_and_at_the_root_none_does(pm, sandbox):
    set_script_prefix("/ops/")  # as Django's WSGI handler does for SCRIPT_NAME=/ops
    try:
        under = pm.get("/contracts/").content.decode()
    finally:
        set_script_prefix("/")
    at_root = pm.get("/contracts/").content.decode()

    for name in ("inbox", "approval_list", "activity", "sync_now", "logout"):
        assert f'"/ops{reverse(name)}"' in under, name
        assert f'"{reverse(name)}"' in at_root
    assert f'"/ops{reverse("contracts_export", args=["csv"])}?' in under
    assert '"/ops/' not in at_root


def test_the_banner_says_sandbox_and_shows_the_token_masked(pm, sandbox):
    html = pm.get("/contracts/").content.decode()
    assert "Sandbox" in html
    assert "ot_pat_sbxo…0001" in html
    assert OWNER_TOKEN not in html


def test_it_filters_by_status(pm, sandbox):
    ended = _owner_contracts().filter(status="ended").first()
    active = _owner_contracts().filter(status="active").first()
    html = pm.get("/contracts/", {"status": "ended"}).content.decode()
    assert ended.title in html
    assert active.title not in html


def test_it_filters_by_payment_model(pm, sandbox):
    html = pm.get("/contracts/", {"payment_type": "PAY_PER_LABEL"}).content.decode()
    for contract in _owner_contracts():
        assert (contract.title in html) == (contract.payment_type == "PAY_PER_LABEL"), (
            contract.title
        )


def test_it_searches_titles_and_freelancers_ignoring_case(pm, sandbox):
    html = pm.get("/contracts/", {"q": "maria g"}).content.decode()
    for contract in _owner_contracts():
        expected = "maria g" in contract.freelancer_display_name.lower()
        assert (contract.title in html) == expected or "maria g" in contract.title.lower()


def test_a_very_long_title_is_found_by_its_first_words_and_kept_short_enough_to_index(pm, sandbox):
    # OpenTrain sets no limit on a title; PostgreSQL's index on the search text does (2,704 bytes).
    contract = Contract.objects.get(id="ctr_owner_hourly_38")
    contract.title = "Farsi poetry rating " + "📝" * 2000
    contract.updated_at = timezone.now()
    contract.save()
    sync_account()

    html = pm.get("/contracts/", {"q": "farsi poetry"}).content.decode()

    assert '<tr data-href="/contracts/ctr_owner_hourly_38/"' in html
    stored = MirrorContract.objects.get(contract_id="ctr_owner_hourly_38").search_text
    assert len(stored.encode()) < 2704


def test_it_says_so_when_nothing_matches(pm, sandbox):
    html = pm.get("/contracts/", {"q": "no contract is called this"}).content.decode()
    assert "No contracts match these filters" in html


def test_an_htmx_filter_answers_only_the_results(pm, sandbox):
    response = pm.get("/contracts/", {"status": "ended"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_bad_filter_values_fall_back_to_defaults(pm, sandbox):
    response = pm.get("/contracts/", {"status": "<script>", "payment_type": "HOURLY", "page": "x"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_it_pages_long_lists_by_25(pm, sandbox):
    from sandbox.management.commands.seed_sandbox import seed_bulk

    seed_bulk(Account.objects.get(key="owner"), 40)
    sync_account()
    total = _owner_contracts().count()
    first = pm.get("/contracts/").content.decode()
    assert f"{total} contracts, page 1 of {(total + 24) // 25}" in first
    assert first.count('data-label="Contract"') == 25
    last = pm.get("/contracts/", {"page": (total + 24) // 25}).content.decode()
    assert last.count('data-label="Contract"') == total - 25 * ((total - 1) // 25)


def test_a_page_past_the_end_shows_the_last_and_one_that_is_no_number_the_first(pm, sandbox):
    from sandbox.management.commands.seed_sandbox import seed_bulk

    seed_bulk(Account.objects.get(key="owner"), 40)
    sync_account()
    total = _owner_contracts().count()
    pages = (total + 24) // 25

    past = pm.get("/contracts/", {"page": pages + 5}).content.decode()
    assert f"{total} contracts, page {pages} of {pages}" in past
    assert past.count('data-label="Contract"') == total - 25 * (pages - 1)
    for wrong in ("two", "", "2.5"):
        first = pm.get("/contracts/", {"page": wrong}).content.decode()
        assert f"{total} contracts, page 1 of {pages}" in first, wrong
        assert first.count('data-label="Contract"') == 25, wrong


def test_the_second_page_sorted_by_title_shows_the_next_25_contracts_in_that_order(pm, sandbox):
    from sandbox.management.commands.seed_sandbox import seed_bulk

    seed_bulk(Account.objects.get(key="owner"), 40)
    sync_account()
    total = _owner_contracts().count()
    mirrored = MirrorContract.objects.filter(contract_id__in=_owner_contracts().values("id"))
    by_title = list(mirrored.order_by("title", "pk").values_list("contract_id", flat=True))

    second = pm.get("/contracts/", {"page": 2, "sort": "title"}).content.decode()

    assert f"{total} contracts, page 2 of {(total + 24) // 25}" in second
    assert re.findall(r'<tr data-href="/contracts/([^/"]+)/"', second) == by_title[25:50]


def test_a_change_upstream_shows_once_the_worker_synced_it(pm, sandbox):
    Contract.objects.filter(account__key="owner").update(
        title="Renamed upstream", updated_at=timezone.now()
    )
    assert "Renamed upstream" not in pm.get("/contracts/").content.decode()

    sync_account()

    assert "Renamed upstream" in pm.get("/contracts/").content.decode()


def test_it_explains_an_unreachable_opentrain_instead_of_failing(pm, settings):
    settings.OT_API_TOKEN = "x"
    settings.OT_SANDBOX = False
    settings.OT_API_BASE_URL = "http://127.0.0.1:9/api/public/v1"
    sync_token("x")
    response = pm.get("/contracts/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "OpenTrain is not answering properly" in html
    assert "could not be reached" in html
    assert "No contracts yet" not in html
    assert "Traceback" not in html


def test_it_explains_a_rejected_token(pm, sandbox, settings):
    settings.OT_API_TOKEN = "ot_pat_nosuchtoken_000000000000"
    settings.OT_SANDBOX = False
    sync_token(settings.OT_API_TOKEN)
    html = pm.get("/contracts/").content.decode()
    assert "does not work" in html
    assert "OT_API_TOKEN" in html
    assert "Request ID for support" in html
    assert "ot_pat_nosuchtoken_000000000000" not in html


def test_switching_sandbox_account_changes_the_contracts_shown(pm, sandbox):
    sync_account("readonly")
    response = pm.post(reverse("switch_sandbox_account"), {"account": "readonly"}, follow=True)
    html = response.content.decode()
    assert "ot_pat_sbxr…0003" in html
    for contract in Contract.objects.filter(account__key="readonly"):
        assert contract.title in html


def test_a_contract_whose_id_needs_encoding_links_to_its_pages_encoded(pm, sandbox):
    contract = Contract.objects.get(id="ctr_owner_hourly_38")
    contract.pk = "ctr odd%id?é"
    contract.title = "Contract with an odd ID"
    contract.status = "active"
    contract.save(force_insert=True)
    sync_account()

    html = pm.get("/contracts/", {"q": "odd id"}).content.decode()
    detail_url = reverse("contract_detail", args=["ctr odd%id?é"])
    new_url = reverse("milestone_create", args=["ctr odd%id?é"])

    assert detail_url == "/contracts/ctr%20odd%25id%3F%C3%A9/"
    assert f'<a href="{detail_url}">Contract with an odd ID</a>' in html
    assert f'data-new="{new_url}"' in html
    assert f'href="{new_url}">New milestone' in html
    assert "Contract with an odd ID" in pm.get(detail_url).content.decode()
