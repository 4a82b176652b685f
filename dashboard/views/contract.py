from django.http import Http404
from django.views.decorators.http import require_GET


@require_GET
def contract_detail(request, contract_id):
    raise Http404("The contract page is being built.")
