from django.utils.functional import SimpleLazyObject

from dashboard import access, demo_accounts, inbox, services
from dashboard.mirror.reading import account_for_request


def opentrain(request):
    """The banner on every page: sandbox or real API, which host, and the token masked; and which
    writes a setup problem blocks (`blocks.create`, `blocks.fund`, ...), for `_action.html`."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        **demo_accounts.banner(request),
        "ot_api_host": services.api_host(),
        "ot_token_masked": services.mask_token(services.token_for(request)),
        # A callable: counted only when a page's navigation shows it (fragments never do).
        "inbox_count": lambda: inbox.open_count(request),
        # Read once per request, and only by a page that shows a write button.
        "blocks": SimpleLazyObject(lambda: access.blocks_for(account_for_request(request))),
    }
