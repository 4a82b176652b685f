"""Each person's notification settings: the form of /settings/notifications/ and how it is kept.

Saving never writes `Preference.digest_day`: that is the worker's record of the last digest made.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import cache

from django import forms
from django.conf import settings

from .models import URGENT_KINDS, Preference

MAX_PAUSE_DAYS = 90
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


@cache
def zones() -> list[tuple[str, str]]:
    """Every time zone this machine knows, as (name, "America/New York")."""
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class PreferenceForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        max_length=254,
        # A text input, as the pause's: what was typed stays, and the error says what is wrong.
        widget=forms.TextInput(
            attrs={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"}
        ),
        error_messages={
            "invalid": "This is not an e-mail address: it needs a name, @ and a domain."
        },
    )
    urgent_kinds = forms.MultipleChoiceField(
        label="Urgent e-mails",
        required=False,
        choices=list(URGENT_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    digest = forms.BooleanField(label="Send me the daily digest", required=False)
    digest_hour = forms.TypedChoiceField(
        label="Sent at",
        choices=HOURS,
        coerce=int,
        error_messages={
            "required": "Choose the digest's hour, from 00:00 to 23:00.",
            "invalid_choice": "“%(value)s” is not an hour: choose one from 00:00 to 23:00.",
        },
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=zones,
        error_messages={
            "required": "Choose your time zone.",
            "invalid_choice": "“%(value)s” is not a time zone this dashboard knows: "
            "choose one from the list.",
        },
    )
    pause_days = forms.IntegerField(
        label="Pause all e-mails for (days)",
        required=False,
        min_value=1,
        max_value=MAX_PAUSE_DAYS,
        # A text input: a number input would drop what it cannot read, and the error could not
        # show what was typed.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=f"1 to {MAX_PAUSE_DAYS} days from now. Leave it empty to change nothing.",
        error_messages={
            "invalid": f"Type a whole number of days, from 1 to {MAX_PAUSE_DAYS}.",
            "min_value": f"Pause for 1 to {MAX_PAUSE_DAYS} days.",
            "max_value": f"Pause for 1 to {MAX_PAUSE_DAYS} days.",
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, user, chosen: Preference) -> PreferenceForm:
        """The form as the person's stored choices (or the defaults) fill it."""
        return cls(
            initial={
                "email": user.email,
                "urgent_kinds": chosen.urgent_kinds,
                "digest": chosen.digest,
                "digest_hour": chosen.digest_hour,
                "time_zone": chosen.zone.key,
            }
        )

    def save(self, user, now: datetime) -> None:
        data = self.cleaned_data
        if user.email != data["email"]:
            user.email = data["email"]
            user.save(update_fields=["email"])
        chosen = {
            # In URGENT_KINDS' order, whatever order the browser sent them in.
            "urgent_kinds": [kind for kind in URGENT_KINDS if kind in data["urgent_kinds"]],
            "digest": data["digest"],
            "digest_hour": data["digest_hour"],
            # Blank follows TIME_ZONE, should the operator change it later.
            "time_zone": "" if data["time_zone"] == settings.TIME_ZONE else data["time_zone"],
        }
        if data["pause_days"]:
            chosen["paused_until"] = now + timedelta(days=data["pause_days"])
        # update_or_create saves only these fields: the worker's digest_day is left as it is.
        Preference.objects.update_or_create(user=user, defaults=chosen)


def resume(user) -> None:
    """The person's pause ends now."""
    Preference.objects.filter(user=user).update(paused_until=None)


def local(moment: datetime, zone: zoneinfo.ZoneInfo, *, with_day: bool = True) -> str:
    """A moment in the person's own time zone: "14 Dec 2026, 09:00 CET", or "09:00 CET"."""
    moment = moment.astimezone(zone)
    if not with_day:
        return f"{moment:%H:%M %Z}"
    return f"{moment.day} {moment:%b %Y, %H:%M %Z}"
