# Placeholder until the money handoffs land (issue 4).
from django.http import Http404


def contract_end(request, contract_id):
    raise Http404


def milestone_fund(request, milestone_id):
    raise Http404


def milestone_approve(request, milestone_id):
    raise Http404
