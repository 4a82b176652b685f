"""One-click unsubscribe (RFC 8058): a signed token that names one person and one setting (the
digest, or one urgent kind), good without sign-in for turning that one setting off.

No HTTP here: the view reads the token and calls `turn_off`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing

from .models import URGENT_KINDS, Preference

# A salt of its own: no other signed value of the dashboard passes for an unsubscribe token.
SALT = "dashboard.notify.unsubscribe"
DIGEST = "digest"

# Each setting in words, to finish "you will no longer get …".
WORDS = {
    DIGEST: "the daily digest of what needs you",
    "budget": "urgent e-mails about budgets that are depleted or run out within a day",
    "approval": "urgent e-mails about approvals that expire within 24 hours",
    "unclear": "urgent e-mails about milestones whose creation is still not known after an hour",
    "sync": "urgent e-mails about the sync with OpenTrain failing",
}


class BadToken(Exception):
    """The link was changed, cut short, or names a person or setting that no longer exists."""


@dataclass(frozen=True)
class Unsubscribe:
    user: object
    setting: str  # DIGEST or one of URGENT_KINDS

    @property
    def words(self) -> str:
        return words(self.setting)


def words(setting: str) -> str:
    return WORDS.get(setting) or f"urgent e-mails ({URGENT_KINDS[setting].lower()})"


def token(user, setting: str) -> str:
    """The token of an e-mail's List-Unsubscribe link: this person, this one setting."""
    if setting != DIGEST and setting not in URGENT_KINDS:
        raise ValueError(f"not a notification setting: {setting!r}")
    return signing.dumps([user.pk, setting], salt=SALT)


def read(value: str) -> Unsubscribe:
    """The person and setting a token names; BadToken when it is not one the dashboard signed."""
    try:
        pk, setting = signing.loads(value, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken from None
    if setting != DIGEST and setting not in URGENT_KINDS:
        raise BadToken
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise BadToken
    return Unsubscribe(user, setting)


def turn_off(unsubscribe: Unsubscribe) -> None:
    """Turn that one setting off in the person's choices (stored with the defaults if they had
    none yet); every other choice stays as it was."""
    chosen = Preference.of(unsubscribe.user)
    if unsubscribe.setting == DIGEST:
        chosen.digest, changed = False, "digest"
    else:
        kinds = [kind for kind in chosen.urgent_kinds if kind != unsubscribe.setting]
        chosen.urgent_kinds, changed = kinds, "urgent_kinds"
    # Only that column of a stored row: the worker writes `digest_day` on the same row.
    chosen.save(update_fields=[changed] if chosen.pk else None)
