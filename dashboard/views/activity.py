# Placeholder until the activity page lands (issue 3).
from django.http import Http404


def activity(request):
    raise Http404
