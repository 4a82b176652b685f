"""`{% load inbox %}`: one inbox item's markup, written in Python, as Django's admin writes its
result rows: fifty items of template lookups were a third of the home page's time. The markup is
what `inbox.html` had; every value goes through `escape`, and a blocked action still renders
`_action.html`."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from dashboard.inbox.items import url
from dashboard.words import ago, datetime_attr, until, when

register = template.Library()

# Groups whose items can be ticked for "Add milestones" (an editor's only).
TICKED = ("low", "depleted")


@register.simple_tag(takes_context=True)
def inbox_item(context, item, kind: str, editor: bool) -> SafeString:
    urgent = " urgent" if item.urgent else ""
    html = f'<li class="inbox-item{urgent}" data-key="{escape(item.key)}">'
    if kind in TICKED and editor:
        # hx-preserve: the inbox redraws itself when the mirror changes; a tick survives that.
        tick = escape(f"tick-{slugify(item.key)}")
        html += (
            f'<div class="inbox-tick"><input type="checkbox" name="contract" '
            f'value="{escape(item.contract_id)}" form="add-{escape(kind)}" id="{tick}" '
            f'hx-preserve="true"><label for="{tick}"><span class="visually-hidden">Tick '
            f"{escape(item.contract_title or item.contract_id)}</span></label></div>"
        )
    html += _what(item) + _actions(context, item) + "</li>"
    return mark_safe(html)  # noqa: S308 (every value in it is escaped)


def _what(item) -> str:
    contract_url = url("contract_detail", item.contract_id) if item.contract_id else ""
    if contract_url:
        title = escape(item.contract_title or item.contract_id)
        contract = f'<a href="{escape(contract_url)}">{title}</a>'
    else:
        contract = escape(item.contract_title or "—")
    meta = ""
    if item.stake:
        meta += f'<span class="inbox-stake">{escape(item.stake)}</span>'
    if item.since:
        moment = escape(datetime_attr(item.since))
        meta += (
            f'<span>{escape(item.since_label)} <time datetime="{moment}" '
            f'title="{escape(when(item.since))}">{escape(ago(item.since))}</time> ago</span>'
        )
    if item.expires_at:
        css = ' class="urgent-text"' if item.urgent else ""
        meta += f"<span{css}>expires in {escape(until(item.expires_at))}</span>"
    note = f'<p class="inbox-note">{escape(item.note)}</p>' if item.note else ""
    return (
        f'<div class="inbox-what"><p class="inbox-contract">{contract}</p>'
        f'<p>{escape(item.what)}</p><p class="muted inbox-meta">{meta}</p>{note}</div>'
    )


def _actions(context, item) -> str:
    html = '<div class="inbox-actions">'
    blocks = context.get("blocks")  # the setup problems (context processor), read once a page
    blocked = blocks.for_url(item.action_url) if blocks and item.action_url else None
    if blocked:
        html += render_to_string(
            "dashboard/_action.html",
            {
                "href": item.action_url,
                "label": item.action_label,
                "css": "btn btn-small",
                "blocked": blocked,
                "hidden": f"({item.contract_title})",
            },
        )
    elif item.action_url:
        html += (
            f'<a class="btn btn-small" href="{escape(item.action_url)}">'
            f'{escape(item.action_label)}<span class="visually-hidden"> '
            f"({escape(item.contract_title)})</span></a>"
        )
    if item.approval_url:
        html += (
            f'<button type="button" class="btn btn-small btn-link" '
            f'data-copy="{escape(item.approval_url)}">Copy link<span class="visually-hidden"> '
            f'to the approval</span></button><a class="btn btn-small btn-link" '
            f'href="{escape(item.mailto)}">E-mail it</a>'
        )
    html += (
        _snooze_form(context) + f'<input type="hidden" name="key" value="{escape(item.key)}">'
        f'<button type="submit" class="btn btn-small btn-link">Snooze for a day'
        f'<span class="visually-hidden"> ({escape(item.what)})</span></button></form>'
    )
    return html + "</div>"


def _snooze_form(context) -> str:
    """The snooze form's opening and CSRF field: the same for every item, made once a page."""
    made = context.render_context
    if "inbox_snooze_form" not in made:
        made["inbox_snooze_form"] = (
            f'<form method="post" action="{escape(reverse("inbox_snooze"))}" class="snooze">'
            f'<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{escape(context.get("csrf_token", ""))}">'
        )
    return made["inbox_snooze_form"]
