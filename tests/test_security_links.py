"""Links from OpenTrain's answers: only https links on an OpenTrain host become anchors."""

import html as htmllib
import re
import uuid

import httpx
import pytest

from dashboard.opentrain import transport
from tests.mirror_helpers import sync_token

SECRET_TOKEN = "ot_pat_Zq7TOKENNEVERSHOWNx91k3v8w2"


def _html(response):
    return response.content.decode()


# --- links from API responses --------------------------------------------------------------------

GOOD_LINK = "https://app.opentrain.ai/claim/ot_cat_good"
BAD_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "http://app.opentrain.ai/claim/x",
    "http://evil.example/x",
    "https://evil.example/x",
    "https://app.opentrain.ai.evil.com/x",
    "https://app.opentrain.ai@evil.example/x",
    "https://evil.example\\@app.opentrain.ai/x",
    "//evil.example/x",
    "https://app.opentrain.ai:8443/x",
]
MOCK_CONTRACT = {
    "id": "c1",
    "status": "active",
    "title": "Mock contract",
    "paymentType": "FIXED_PRICE",
    "rateUsd": 100,
    "milestones": [
        {"id": "m1", "status": "NOT_FUNDED", "milestoneNumber": 1, "name": "M1", "amountUsd": 50}
    ],
}


def _upstream(monkeypatch, settings, link, kind):
    """OpenTrain, mocked: every answer that can carry a link carries `link`."""
    settings.OT_SANDBOX = False
    settings.OT_API_TOKEN = SECRET_TOKEN
    settings.OT_API_BASE_URL = "https://opentrain.test/api/public/v1"
    approval = {
        "id": "apr_mock",
        "type": "milestone_fund",
        "status": "pending",
        "contractId": "c1",
        "milestoneId": "m1",
        "approvalUrl": link,
    }
    contract = MOCK_CONTRACT | {"freelancer": {"displayName": "Fay", "profilePath": link}}

    def handler(request):
        path = request.url.path.removeprefix("/api/public/v1")
        if request.method == "GET" and path.startswith("/approvals/"):
            return httpx.Response(200, json={"approval": approval})
        if request.method == "GET" and path == "/contracts":
            return httpx.Response(200, json={"contracts": [contract]})
        if request.method == "GET":
            return httpx.Response(200, json={"contract": contract})
        if kind == "claim":
            details = {"reason": "account_claim_required", "claimUrl": link}
            return httpx.Response(
                403, json={"error": "Claim first.", "code": "FORBIDDEN"} | {"details": details}
            )
        if kind == "billing":
            details = {"reason": "payment_method_required", "billingUrl": link}
            return httpx.Response(
                409, json={"error": "No card.", "code": "CONFLICT"} | {"details": details}
            )
        return httpx.Response(202, json={"approval": approval, "message": "Confirm it."})

    transport.use_client(httpx.Client(transport=httpx.MockTransport(handler)))


def _hrefs(html):
    """The links, and what a Copy button would put on the clipboard, unescaped."""
    found = re.findall(r"\b(?:href|data-copy)=\"([^\"]*)\"", html)
    return [htmllib.unescape(h) for h in found]


def _pages_with_links(client, kind):
    if kind == "approval":
        response = client.post("/milestones/m1/fund/", {"contract": "c1"}, follow=True)
        assert response.redirect_chain, "the fund request did not lead to the approval page"
        sync_token(SECRET_TOKEN)  # the inbox lists the waiting approval from the mirror
        return [
            response,
            client.get("/approvals/apr_mock/", HTTP_HX_REQUEST="true"),
            client.get("/"),
        ]
    if kind == "profile":
        sync_token(SECRET_TOKEN)  # the worker reads the contract into the mirror
        return [client.get("/contracts/c1/"), client.get("/contracts/")]
    pages = [client.post("/milestones/m1/fund/", {"contract": "c1"})]
    if kind == "claim":
        milestone = {"description": "x", "amount_usd": "50", "submission_key": str(uuid.uuid4())}
        pages.append(client.post("/contracts/c1/milestones/new/", milestone))
    return pages


KINDS = ["claim", "billing", "approval", "profile"]


@pytest.mark.parametrize("link", BAD_LINKS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_link_from_opentrain_is_only_a_link_when_https_on_an_opentrain_host(
    pm, monkeypatch, settings, kind, link
):
    _upstream(monkeypatch, settings, link, kind)

    for response in _pages_with_links(pm, kind):
        html = _html(response)
        assert response.status_code == 200, html[:2000]
        for href in _hrefs(html):
            assert "evil" not in href and not href.lower().startswith(("javascript", "data")), href
            assert not href.startswith(("http:", "//")), href
            assert href.startswith(("/", "#", "?", "https://app.opentrain.ai/")), href
        assert "<script>alert" not in html


@pytest.mark.parametrize("kind", KINDS)
def test_an_https_opentrain_link_is_rendered_as_a_link(pm, monkeypatch, settings, kind):
    # The check above must be able to fail: a good link does become an anchor.
    link = GOOD_LINK if kind != "profile" else "/profile/fay"
    _upstream(monkeypatch, settings, link, kind)

    hrefs = [h for r in _pages_with_links(pm, kind) for h in _hrefs(_html(r))]

    expected = GOOD_LINK if kind != "profile" else "https://app.opentrain.ai/profile/fay"
    assert expected in hrefs
