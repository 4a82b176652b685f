# Placeholder until the milestone form lands (issue 3).
from django.http import Http404


def milestone_create(request, contract_id):
    raise Http404


def milestone_new(request):
    raise Http404


def submission_detail(request, key):
    raise Http404
