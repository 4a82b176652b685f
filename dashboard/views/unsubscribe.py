"""One-click unsubscribe from an e-mail (RFC 8058), without sign-in: the signed token names one
person and one setting, and a POST (a form's, or a mail client's `List-Unsubscribe=One-Click`)
turns that setting off and nothing else."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dashboard.notify import unsubscribe as signed


# No CSRF: a mail client posts without a session or a token, and the signed token is the proof.
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        found = signed.read(token)
    except signed.BadToken:
        return render(request, "notify/unsubscribe.html", {"bad": True}, status=400)
    if request.method == "POST":
        signed.turn_off(found)
    context = {"words": found.words, "done": request.method == "POST"}
    return render(request, "notify/unsubscribe.html", context)
