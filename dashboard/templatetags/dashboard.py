"""Template helpers: the words of `dashboard/words.py` as filters, attention badges, which setup
problem blocks a write (for `_action.html`), and safe outbound links."""

from django import template
from django.utils.html import format_html

from dashboard import links, words
from dashboard.mirror import attention

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
    "full_stop",
    "contract_budget",
):
    register.filter(_name, getattr(words, _name))


@register.filter
def badges(score):
    """`contract.attention_score|badges`: (kind, words) of each reason, most urgent first."""
    return attention.badges(score)


@register.filter
def blocked_for(blocks, url):
    """`blocks|blocked_for:item.action_url`: the Problem that blocks that link's write, or None."""
    return blocks.for_url(url) if blocks else None


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
