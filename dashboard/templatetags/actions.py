"""`{% load actions %}`: which setup problem blocks the write a link starts, for `_action.html`."""

from django import template

register = template.Library()


@register.filter
def blocked_for(blocks, url):
    """`blocks|blocked_for:item.action_url`: the Problem that blocks that link's write, or None."""
    return blocks.for_url(url) if blocks else None
