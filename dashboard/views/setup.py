from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard import access, links, services
from dashboard.mirror.reading import account_for_request
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import explain


@require_POST
def setup_recheck(request):
    # Viewers may ask too: it only reads what the token may do (as the worker does), so a fixed
    # setup problem stops blocking buttons now instead of at the next full sync.
    account = account_for_request(request)
    token = services.token_for(request)
    if account is None or not token:
        messages.error(request, "The worker has not synced this OpenTrain account yet.")
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
