"""Template helpers: the words of `dashboard/words.py` as filters, and safe outbound links."""

from django import template
from django.utils.html import format_html, format_html_join

from dashboard import links, words

register = template.Library()

for _name in (
    "money",
    "number",
    "payment_model",
    "unit",
    "rate",
    "milestone_status",
    "contract_status",
    "approval_type",
    "approval_status",
    "css_token",
    "iso",
    "day",
    "when",
    "datetime_attr",
    "ago",
    "until",
):
    register.filter(_name, getattr(words, _name))


@register.simple_tag
def options(choices, chosen):
    """A select's options, the chosen value selected: `{% options form.fields.sort.choices
    filters.sort %}`. One call, not a template loop of three lookups and a test per option."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == chosen else "", label) for value, label in choices),
    )


@register.simple_tag
def external_link(url, label, css_class=""):
    """A link a human must open (claim, approval, billing, profile), opened in a new tab.

    Only allowed links become anchors; anything else is shown as text so it cannot be clicked.
    """
    if url and links.is_allowed(url):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer" class="{}">{}'
            '<span class="visually-hidden"> (opens in a new tab)</span></a>',
            url,
            css_class,
            label,
        )
    if url:
        return format_html(
            '{} <span class="muted">(link not shown: <code>{}</code> is not an OpenTrain '
            "address)</span>",
            label,
            url,
        )
    return label


@register.filter
def profile_url(path):
    return links.profile_url(path)
