import contextlib
import uuid

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard import access, drafts, form_contracts, services, submissions
from dashboard.forms import FORMS, ContractPickerForm, MilestoneForm
from dashboard.mirror import after_write, reading
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.roles import can_edit, editor_required

TEMPLATE = "dashboard/milestone_form.html"


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def milestone_create(request, contract_id):
    account = reading.account_for_request(request)
    try:
        contract = form_contracts.contract_for_form(account, contract_id)
    except form_contracts.NotInMirror as missing:
        return _cannot_load(request, missing.problem, account)
    action = reverse("milestone_create", args=[contract.id])
    if request.method == "POST":
        return _submit(request, account, contract, action=action)
    draft = drafts.take(request)  # what was typed before a sign-in, if anything
    form = _typed_form(draft, contract) if draft else _blank_form(contract, prefill=request.GET)
    return _page(request, account, contract, form, action=action)


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def milestone_new(request):
    account = reading.account_for_request(request)
    contracts = form_contracts.contracts_for_picker(account)
    data = request.POST if request.method == "POST" else request.GET
    draft = drafts.take(request) if request.method == "GET" and not request.htmx else {}
    if draft.get("contract") and "contract" not in data:
        data = {"contract": draft["contract"]}
    picker = ContractPickerForm(data if "contract" in data else None, contracts=contracts)
    contract = picker.chosen
    action = reverse("milestone_new")
    if request.method == "POST" and "choose" in request.POST:
        # "Choose" without JavaScript: the chosen contract's fields, with what was typed so far.
        form = _typed_form(request.POST, contract)
        return _form_again(request, account, contract, form, action=action, picker=picker)
    if request.method == "POST":
        return _submit(request, account, contract, action=action, picker=picker)
    if request.htmx:
        # The contract picker changed: only the contract's payment fields are swapped.
        template_name = TEMPLATE + "#payment-fields"
        context = _context(request, contract, _blank_form(contract), action=action, picker=picker)
        return render(request, template_name, context)
    form = _typed_form(draft, contract)
    return _page(request, account, contract, form, action=action, picker=picker)


@require_GET
def submission_detail(request, key):
    # Read-only: one left "sending" by a stopped worker shows as unknown (see `as_shown`).
    submission = get_object_or_404(Submission, key=key).as_shown()
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


def _submit(request, account, contract, *, action, picker=None):
    """Send the milestone once: a redirect when it is created (or still being sent), else the
    form again, as typed, saying what happened."""
    form_class = _form_class(contract)
    form = form_class(request.POST, rate=_rate(contract)) if form_class else None
    if form is None or not form.is_valid():
        return _form_again(request, account, contract, form, action=action, picker=picker)
    if contract is None:
        form.add_error(None, "Choose a contract first.")
        return _form_again(request, account, contract, form, action=action, picker=picker)

    token = services.token_for(request)

    try:
        outcome = submissions.submit(
            key=form.cleaned_data["submission_key"],
            user=request.user,
            token=token,
            contract=contract,
            fields=form.milestone_fields(),
        )
    except OpenTrainError as error:
        problem, replayed = explain(error), False
    else:
        if outcome.created:
            # The contract page after the redirect shows the new milestone without waiting.
            after_write.refresh_contract(token, contract.id)
        if outcome.created or outcome.pending:
            url = reverse("submission_detail", args=[outcome.submission.key])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        problem, replayed = outcome.problem, outcome.replayed

    form = _with_new_key(request, form_class, _rate(contract))
    if problem is not None and problem.field in form.fields:
        form.add_error(problem.field, problem.message)
        problem = submissions.field_problem(problem, form.fields[problem.field].label)
    context = {"action": action, "picker": picker, "problem": problem, "replayed": replayed}
    return _form_again(request, account, contract, form, **context)


def _form_again(request, account, contract, form, **context):
    """A posted form re-rendered: in place for htmx, else the whole page."""
    if request.htmx:
        template_name = TEMPLATE + "#milestone-form"
        context = _context(request, contract, form, access_problem=_hint(account), **context)
        return render(request, template_name, context)
    return _page(request, account, contract, form, **context)


def _page(request, account, contract, form, **context):
    context = _context(request, contract, form, access_problem=_hint(account), **context)
    return render(request, TEMPLATE, {**context, "mirror": account})


def _hint(account):
    # The hint as the worker last stored it: opening the form never asks OpenTrain.
    return access.stored_problem(account.access) if account is not None else None


def _context(request, contract, form, *, action, picker=None, **extra):
    rate = _rate(contract)
    return {
        "contract": contract,
        "picker": picker,
        "action": action,
        "form_class": _form_class(contract),
        "form": form,
        "can_edit": can_edit(request.user),
        "rate_text": format(rate, "f") if rate is not None else "",
        **extra,
    }


def _form_class(contract):
    """The form for the contract's payment model; None for one the dashboard does not know."""
    return FORMS.get(contract.payment_type) if contract else MilestoneForm


def _rate(contract):
    return contract.rate_usd if contract else None


def _blank_form(contract, prefill=None):
    """An empty form; `prefill` (the query string) may fill in the amount or volume, as the
    inbox's "Add next batch" links do, when the form would accept the value."""
    form_class = _form_class(contract)
    if form_class is None:
        return None
    initial = {}
    name = form_class.money_field
    if prefill and name and prefill.get(name):
        # A value the form would refuse is not offered.
        with contextlib.suppress(ValidationError):
            initial[name] = form_class.base_fields[name].clean(prefill[name])
    return form_class(rate=_rate(contract), initial=initial)


def _typed_form(data, contract):
    """An unbound form showing what was typed (no errors yet), with a fresh submission key:
    after "Choose", or after signing in again (`drafts`). Blank when nothing was typed."""
    form_class = _form_class(contract)
    if form_class is None:
        return None
    typed = {name: data[name] for name in form_class.base_fields if data.get(name)}
    typed.pop("submission_key", None)
    return form_class(initial=typed, rate=_rate(contract))


def _with_new_key(request, form_class, rate):
    """The form as typed, with a fresh submission key so "Submit again" is a new attempt."""
    data = request.POST.copy()
    data["submission_key"] = str(uuid.uuid4())
    form = form_class(data, rate=rate)
    form.is_valid()
    return form


def _cannot_load(request, problem: Problem, account):
    context = {"can_edit": can_edit(request.user), "action": request.path, "mirror": account}
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
