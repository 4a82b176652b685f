from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dashboard import services
from dashboard.opentrain import OpenTrainError


@require_POST
def switch_sandbox_account(request):
    """On the sandbox, pick which demo account the dashboard acts as."""
    if not services.sandbox_mode():
        raise Http404("Only the sandbox has demo accounts.")
    key = request.POST.get("account", "")
    try:
        accounts = {a.key: a for a in services.sandbox_accounts()}
    except OpenTrainError:
        accounts = {}
    if key in accounts:
        request.session[services.SANDBOX_ACCOUNT_KEY] = key
        messages.success(request, f"Now acting as the sandbox account “{accounts[key].label}”.")
    else:
        messages.error(request, "There is no such sandbox account.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "contract_list"
    return redirect(target)
