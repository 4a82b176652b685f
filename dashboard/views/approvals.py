# Placeholder until approval tracking lands (issue 4).
from django.http import Http404


def approval_list(request):
    raise Http404


def approval_detail(request, approval_id):
    raise Http404
