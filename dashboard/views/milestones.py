import contextlib
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard import access, approvals, drafts, form_contracts, services, submissions
from dashboard.forms import (
    FORMS,
    MAX_AMOUNT_USD,
    ContractPickerForm,
    MilestoneForm,
    earliest_today,
)
from dashboard.mirror import after_write, reading
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.roles import can_edit, editor_required
from dashboard.views.handoffs import to_approval

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
    refused = form_contracts.refusal(contract)
    if refused is not None:
        # No form: OpenTrain would refuse any milestone here (a POST is refused the same way).
        return _page(request, account, contract, None, action=action, refused=refused)
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
    refused = form_contracts.refusal(contract)
    if request.htmx:
        # The contract picker changed: only the contract's payment fields are swapped.
        template_name = TEMPLATE + "#payment-fields"
        context = _context(
            request, contract, _blank_form(contract), action=action, picker=picker, refused=refused
        )
        return render(request, template_name, context)
    form = _typed_form(draft, contract)
    return _page(request, account, contract, form, action=action, picker=picker, refused=refused)


@require_GET
def submission_detail(request, key):
    # Read-only: one left "sending" by a stopped worker shows as unknown (see `as_shown`).
    submission = get_object_or_404(Submission, key=key).as_shown()
    form_url = reverse("milestone_create", args=[submission.contract_id])
    # "Create and request funding": what the second call came to, when it was asked for.
    funding = submission.handoffs.order_by("-created_at", "-id").first()
    account = reading.account_for_request(request)
    compare = None
    if submission.state in (Submission.State.UNKNOWN, Submission.State.PENDING):
        # Not known yet: the contract's milestones as the mirror has them, to compare.
        contract = reading.contract(account, submission.contract_id)
        compare = contract.milestones if contract is not None else None
    template_name = "dashboard/submission_detail.html"
    if request.GET.get("part") == "state":
        template_name += "#state"  # the form's live line after an unclear answer
    return render(
        request,
        template_name,
        {
            "submission": submission,
            "milestone": submission.milestone or {},
            "problem": submissions.problem_for(submission),
            "form_url": form_url,
            "funding": funding,
            "funding_problem": approvals.problem_for(funding) if funding else None,
            "mirror": account,
            "compare": compare,
        },
    )


def _submit(request, account, contract, *, action, picker=None):
    """Send the milestone once: a redirect when it is created (or still being sent), else the
    form again, as typed, saying what happened. "Create and request funding" then asks for the
    funding too (`_fund_created`)."""
    form_class = _form_class(contract)
    form = form_class(request.POST, **_form_kwargs(contract)) if form_class else None
    refused = form_contracts.refusal(contract)
    if form is None or not form.is_valid() or refused is not None:
        # Nothing is sent when the mirror already shows OpenTrain would refuse it.
        context = {"action": action, "picker": picker, "refused": refused}
        return _form_again(request, account, contract, form, **context)
    if contract is None:
        form.add_error(None, "Choose a contract first.")
        return _form_again(request, account, contract, form, action=action, picker=picker)

    token = services.token_for(request)
    unclear = None
    try:
        outcome = submissions.submit(
            key=form.cleaned_data["submission_key"],
            user=request.user,
            token=token,
            contract=contract,
            fields=form.milestone_fields(),
            repeat_of=request.POST.get("repeat_of", "")[:36],
        )
    except OpenTrainError as error:
        problem, replayed = explain(error), False
    else:
        if outcome.held:
            # Nothing was sent: the same form (its key unused) with the earlier attempt above.
            hold = submissions.hold_for(outcome.submission)
            context = {"action": action, "picker": picker, "hold": hold}
            return _form_again(request, account, contract, form, **context)
        if outcome.created and not outcome.replayed:
            access.succeeded(account, access.CREATE)
            # The contract page after the redirect shows the new milestone without waiting.
            after_write.refresh_contract(token, contract.id)
        if outcome.created and "and_fund" in request.POST:
            return _fund_created(request, account, outcome.submission, token)
        if outcome.created or outcome.pending:
            return _go(request, reverse("submission_detail", args=[outcome.submission.key]))
        problem, replayed = outcome.problem, outcome.replayed
        if outcome.error is not None:
            access.learn(account, outcome.error)
        if outcome.submission.state == Submission.State.UNKNOWN:
            unclear = outcome.submission  # the form's live line follows it

    form = _with_new_key(request, form_class, contract)
    if problem is not None and problem.field in form.fields:
        form.add_error(problem.field, problem.message)
        problem = submissions.field_problem(problem, form.fields[problem.field].label)
    context = {"action": action, "picker": picker, "problem": problem, "replayed": replayed}
    return _form_again(request, account, contract, form, unclear=unclear, **context)


def _fund_created(request, account, submission, token):
    """The second call of "Create and request funding": the approval page when it is asked for,
    else the milestone's page, which says funding was not requested and offers to ask again."""
    contract = reading.contract(account, submission.contract_id)
    funding = approvals.request(
        "fund",
        submission.milestone_id,
        token=token,
        user=request.user,
        account=account,
        contract=contract,
        submission=submission,
    )
    if funding.approval is not None:
        messages.success(
            request,
            "Milestone created, and funding requested: a person must now confirm it in OpenTrain.",
        )
        return _go(request, to_approval(funding.approval.approval_id).url)
    return _go(request, reverse("submission_detail", args=[submission.key]))


def _go(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _form_again(request, account, contract, form, **context):
    """A posted form re-rendered: in place for htmx, else the whole page."""
    if request.htmx:
        template_name = TEMPLATE + "#milestone-form"
        context = _context(request, contract, form, access_problem=_hint(account), **context)
        return render(request, template_name, {**context, "mirror": account})
    return _page(request, account, contract, form, **context)


def _page(request, account, contract, form, **context):
    context = _context(request, contract, form, access_problem=_hint(account), **context)
    return render(request, TEMPLATE, {**context, "mirror": account})


def _hint(account):
    # What blocks creating, as the worker (or a refused write) last stored it: the page shows it
    # instead of a form that cannot succeed, and never asks OpenTrain.
    return access.blocking(account.access if account is not None else None, access.CREATE)


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
        "max_cost": format(MAX_AMOUNT_USD, "f"),
        **extra,
    }


def _form_class(contract):
    """The form for the contract's payment model; None for one the dashboard does not know."""
    return FORMS.get(contract.payment_type) if contract else MilestoneForm


def _rate(contract):
    return contract.rate_usd if contract else None


def _form_kwargs(contract) -> dict:
    """The single form's guardrails: the contract's rate, what its milestones already add up
    to (the over-total warning), and no due date in the past."""
    commitment = form_contracts.Commitment.of(contract) if contract else None
    return {"rate": _rate(contract), "commitment": commitment, "refuse_before": earliest_today()}


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
    return form_class(initial=initial, **_form_kwargs(contract))


def _typed_form(data, contract):
    """An unbound form showing what was typed (no errors yet), with a fresh submission key:
    after "Choose", or after signing in again (`drafts`). Blank when nothing was typed."""
    form_class = _form_class(contract)
    if form_class is None:
        return None
    typed = {name: data[name] for name in form_class.base_fields if data.get(name)}
    typed.pop("submission_key", None)
    return form_class(initial=typed, **_form_kwargs(contract))


def _with_new_key(request, form_class, contract):
    """The form as typed, with a fresh submission key so "Submit again" is a new attempt."""
    data = request.POST.copy()
    data["submission_key"] = str(uuid.uuid4())
    form = form_class(data, **_form_kwargs(contract))
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
