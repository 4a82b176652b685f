import math

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dashboard import access, links, services
from dashboard.mirror.reading import account_for_request
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import explain
from dashboard.roles import editor_required


@require_POST
@editor_required
def setup_recheck(request):
    # Editors only: a check rewrites what blocks every editor's buttons (viewers see none) and
    # spends the account's OpenTrain rate limit, so it is also held to one every 10 s.
    account = account_for_request(request)
    token = services.token_for(request)
    if account is None or not token:
        messages.error(request, "The worker has not synced this OpenTrain account yet.")
        return _back(request)
    next_at = account.claim_recheck(access.RECHECK_EVERY)
    if next_at is not None:
        wait = max(1, math.ceil((next_at - timezone.now()).total_seconds()))
        messages.info(
            request,
            f"The setup was checked less than {access.RECHECK_EVERY.seconds} s ago (by you or "
            f"a colleague), so OpenTrain was not asked again. Try again in {wait} s.",
        )
        return _back(request)
    try:
        problems = access.recheck(account, token)
    except OpenTrainError as error:
        messages.error(request, f"{explain(error).title}: nothing was checked. Try again soon.")
    else:
        if problems:
            messages.info(request, "Checked again: the setup items below still apply.")
        else:
            messages.success(request, "Checked again: nothing blocks the dashboard any more.")
    return _back(request)


def _back(request):
    """The page the button was on (its form's `next`), else "Needs you"."""
    if request.POST.get("next"):
        return HttpResponseRedirect(links.back_to(request))
    return HttpResponseRedirect(reverse("inbox"))
