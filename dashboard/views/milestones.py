import uuid

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard import opentrain, services, submissions
from dashboard.forms import FORMS, ContractPickerForm, MilestoneForm
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.roles import can_edit, editor_required

TEMPLATE = "dashboard/milestone_form.html"


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def milestone_create(request, contract_id):
    token = services.token_for(request)
    try:
        contract = _find_contract(token, contract_id)
    except OpenTrainError as error:
        return _cannot_load(request, explain(error))
    action = reverse("milestone_create", args=[contract.id])
    return _milestone_page(request, token, contract, action=action)


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def milestone_new(request):
    token = services.token_for(request)
    try:
        contracts, _ = services.contracts(token)
    except OpenTrainError as error:
        # A PM who typed while OpenTrain went away still gets their form back, and can send it.
        chosen = request.POST.get("contract", "") if request.method == "POST" else ""
        remembered = submissions.remembered_contract(token, chosen) if chosen else None
        if remembered is None or not (error.is_transport or error.status == 429):
            return _cannot_load(request, explain(error))
        contracts = [remembered]
    data = request.POST if request.method == "POST" else request.GET
    picker = ContractPickerForm(data if "contract" in data else None, contracts=contracts)
    return _milestone_page(
        request, token, picker.chosen, action=reverse("milestone_new"), picker=picker
    )


@require_GET
def submission_detail(request, key):
    submissions.settle_abandoned()
    submission = get_object_or_404(Submission, key=key)
    form_url = reverse("milestone_create", args=[submission.contract_id])
    return render(
        request,
        "dashboard/submission_detail.html",
        {
            "submission": submission,
            "milestone": submission.milestone or {},
            "problem": submissions.problem_for(submission),
            "form_url": form_url,
        },
    )


def _find_contract(token: str, contract_id: str) -> opentrain.Contract:
    """From the cached contract list when it has it; otherwise ask OpenTrain for this one.

    When OpenTrain is down or busy, the contract this form was last rendered for will do: the
    submission itself still goes to OpenTrain, which has the final say.
    """
    try:
        contracts, _ = services.contracts(token)
        found = next((c for c in contracts if c.id == contract_id), None)
        return found if found is not None else opentrain.get_contract(token, contract_id)
    except OpenTrainError as error:
        remembered = submissions.remembered_contract(token, contract_id)
        if remembered is None or not (error.is_transport or error.status == 429):
            raise
        return remembered


def _milestone_page(request, token, contract, *, action, picker=None):
    form_class = FORMS.get(contract.payment_type, None) if contract else MilestoneForm
    rate = contract.rate_usd if contract else None
    context = {"contract": contract, "picker": picker, "action": action, "form_class": form_class}
    if contract is not None:
        submissions.remember_contract(token, contract)

    if form_class is None:
        form = None
    elif request.method == "POST":
        form = form_class(request.POST, rate=rate)
        if form.is_valid() and contract is None:
            form.add_error(None, "Choose a contract first.")
        elif form.is_valid():
            result = _submit(request, token, contract, form)
            if not isinstance(result, dict):
                return result
            context.update(result)
            form = _with_new_key(request, form_class, rate)
            problem = context["problem"]
            if problem is not None and problem.field in form.fields:
                form.add_error(problem.field, problem.message)
                label = form.fields[problem.field].label
                context["problem"] = submissions.field_problem(problem, label)
    else:
        form = form_class(rate=rate)
    context["form"] = form

    template_name = TEMPLATE
    if request.htmx and request.method == "POST":
        template_name += "#milestone-form"
    elif request.htmx and picker is not None:
        # The contract picker changed: only the contract's payment fields are swapped.
        template_name += "#payment-fields"
    else:
        context["access_problem"] = submissions.write_access_problem(token)
    context["can_edit"] = can_edit(request.user)
    context["rate_text"] = format(rate, "f") if rate is not None else ""
    return render(request, template_name, context)


def _submit(request, token, contract, form):
    """Send the milestone; a redirect on success, else what the re-rendered form must say."""
    try:
        outcome = submissions.submit(
            key=form.cleaned_data["submission_key"],
            user=request.user,
            token=token,
            contract=contract,
            fields=form.milestone_fields(),
        )
    except OpenTrainError as error:
        return {"problem": explain(error), "replayed": False}
    if outcome.created:
        services.forget_contracts(token)
    if outcome.created or outcome.pending:
        url = reverse("submission_detail", args=[outcome.submission.key])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return {"problem": outcome.problem, "replayed": outcome.replayed}


def _with_new_key(request, form_class, rate):
    """The form as typed, with a fresh submission key so "Submit again" is a new attempt."""
    data = request.POST.copy()
    data["submission_key"] = str(uuid.uuid4())
    form = form_class(data, rate=rate)
    form.is_valid()
    return form


def _cannot_load(request, problem: Problem):
    context = {"can_edit": can_edit(request.user), "action": request.path}
    if request.method == "POST":
        # Keep what was typed; the payment fields need the contract, which could not be read.
        form = MilestoneForm(request.POST)
        form.is_valid()
        context.update(
            form=form,
            problem=problem,
            contract_unavailable=True,
            posted_contract=request.POST.get("contract", ""),
        )
        template_name = TEMPLATE + ("#milestone-form" if request.htmx else "")
        return render(request, template_name, context)
    context.update(form=None, load_problem=problem)
    if request.htmx:
        return render(request, TEMPLATE + "#payment-fields", context)
    status = 404 if problem.kind == "not_found" else 200
    return render(request, TEMPLATE, context, status=status)
