from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dashboard import access, services
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
        return redirect("inbox")
    try:
        problems = access.recheck(account, token)
    except OpenTrainError as error:
        messages.error(request, f"{explain(error).title}: nothing was checked. Try again soon.")
    else:
        if problems:
            messages.info(request, "Checked again: the setup items below still apply.")
        else:
            messages.success(request, "Checked again: nothing blocks the dashboard any more.")
    return redirect("inbox")
