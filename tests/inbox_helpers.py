"""Reading the "Needs you" page as a PM sees it, and acting in the sandbox as OpenTrain's people."""

import re

from django.urls import reverse

from tests.mirror_helpers import apply_approval


def inbox(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def item(html: str, key: str) -> str:
    """The one item with this key (it must appear exactly once)."""
    pattern = rf'<li class="inbox-item[^"]*" data-key="{re.escape(key)}">.*?</li>'
    found = re.findall(pattern, html, re.S)
    assert len(found) == 1, f"{key} appears {len(found)} times"
    return found[0]


def keys(html: str) -> list[str]:
    return re.findall(r'data-key="([^"]+)"', html)


def counted(html: str) -> int:
    """The items the group headings count, listed on the page or not."""
    totals = re.findall(r'<h2 id="group-[^"]+">[^<]*<span class="muted">\((\d+)\)</span>', html)
    return sum(map(int, totals))


def request_handoff(client, name: str, milestone_id: str, contract_id: str) -> str:
    """Ask for funding or a payout from its confirmation page; returns the approval ID."""
    response = client.post(reverse(name, args=[milestone_id]), {"contract": contract_id})
    assert response.status_code == 302, response.content.decode()
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def decide(client, approval_id: str, decision: str) -> None:
    """A person decides on OpenTrain's (the sandbox's) page; the worker applies the event."""
    response = client.post(reverse("sandbox:approval", args=[approval_id]), {"decision": decision})
    assert response.status_code == 302
    apply_approval(approval_id)
