"""The inbox's items and the words and links they share. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from dashboard.models import Approval
from dashboard.words import ago, until

URGENT_EXPIRY = timedelta(hours=4)  # "expires in 3 h" and sooner
# The labels of `since` that say how long: "for 30 s", "waiting for 2 h", never "for 30 s ago".
SPANS = frozenset({"for", "waiting for"})


@dataclass
class Item:
    key: str
    kind: str
    what: str  # the problem, in words
    contract_id: str = ""
    contract_title: str = ""
    stake: str = ""  # the amount or volume at stake
    since: datetime | None = None
    since_label: str = "for"  # "for 30 s" (one of SPANS), or "sent 30 s ago"
    action_label: str = ""
    action_url: str = ""
    note: str = ""
    urgent: bool = False
    expires_at: datetime | None = None
    approval_url: str = ""
    mailto: str = ""
    detail: str = ""  # technical detail, shown behind a disclosure

    @cached_property
    def contract_url(self) -> str:
        return url("contract_detail", self.contract_id) if self.contract_id else ""

    @property
    def since_ago(self) -> bool:
        """Whether `since` is a moment ("sent 30 s ago") rather than a span ("for 30 s")."""
        return self.since_label not in SPANS

    @property
    def shown(self) -> tuple:
        """Everything the item shows, its times' words as of now included ("3 min ago",
        "expires in 2 h"): the key of its rendered HTML in the fragment cache, so a changed item,
        or a minute that changes its words, is a new key and nothing is ever stale."""
        values = tuple(getattr(self, name) for name in SHOWN)
        return (*values, self.contract_url, ago(self.since), until(self.expires_at))


SHOWN = tuple(item_field.name for item_field in fields(Item))


@dataclass
class Group:
    kind: str
    title: str
    items: list[Item] = field(default_factory=list)  # the first `limit`, or all
    total: int = 0  # every open item of this kind


@dataclass
class Found:
    """A kind's open items: how many there are, and the first few (or all) of them."""

    total: int = 0
    items: list[Item] = field(default_factory=list)

    @classmethod
    def of(cls, items: list[Item], hidden: set[str], limit: int | None) -> Found:
        """From items made in Python (the declined or expired approvals' few): the snoozed left
        out, then capped."""
        items = [item for item in items if item.key not in hidden]
        return cls(len(items), items if limit is None else items[:limit])


def is_waiting(approval: Approval, now) -> bool:
    not_expired = approval.expires_at is None or approval.expires_at > now
    return approval.is_pending and not_expired


def url(name: str, object_id: str, query: dict | None = None) -> str:
    """The dashboard URL of an object; "" when an ID from OpenTrain cannot be a path segment."""
    try:
        url = reverse(name, args=[object_id])
    except NoReverseMatch:  # empty, or with a slash
        return ""
    return f"{url}?{urlencode(query)}" if query else url
