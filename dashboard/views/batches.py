from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard import exports, services
from dashboard.batches import prefill, preview
from dashboard.batches.funding import fund_batch, funding
from dashboard.batches.models import Batch, BatchRow
from dashboard.batches.progress import progress, retry_failed, send_held
from dashboard.batches.tasks import send_batch
from dashboard.mirror.reading import account_for_request
from dashboard.roles import can_edit, editor_required

TEMPLATE = "dashboard/batch_detail.html"


@require_http_methods(["GET", "POST"])
@editor_required
def batch_import(request):
    account = account_for_request(request)
    form = preview.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if account is None:
            form.add_error(None, "This account is not synced yet: use Sync now, then upload again.")
        else:
            upload = form.cleaned_data["file"]
            batch = preview.create_batch(account, request.user, upload_name(request), upload)
            return redirect("batch_detail", batch_id=batch.pk)
    context = {"form": form, "mirror": account, "columns": preview.COLUMNS}
    return render(request, "dashboard/batch_import.html", context)


@require_http_methods(["GET", "POST"])
@editor_required
def batch_new(request):
    """The ticked contracts' next milestones: shown (from the mirror) on GET, a preview on POST."""
    account = account_for_request(request)
    params = request.POST if request.method == "POST" else request.GET
    ids = prefill.ticked_ids(params.getlist("contract"))
    rows = prefill.rows_for(account, ids)
    if request.method == "POST" and ids and account is not None:
        batch = preview.create_batch(account, request.user, Batch.TICKED, rows)
        return redirect("batch_detail", batch_id=batch.pk)
    context = {
        "mirror": account,
        "ids": ids,
        "rows": preview.checked_rows(account, rows),
        "can_edit": can_edit(request.user),
    }
    return render(request, "dashboard/batch_new.html", context)


@require_GET
def batch_template(request):
    ids = prefill.ticked_ids(request.GET.getlist("contract"))
    rows = prefill.template_rows(account_for_request(request), ids)
    response = StreamingHttpResponse(exports.as_csv(prefill.COLUMNS, rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="milestones.csv"'
    return response


@require_GET
@vary_on_headers("HX-Request")
def batch_detail(request, batch_id):
    batch = _batch(request, batch_id)
    template_name = TEMPLATE + ("#progress" if request.htmx else "")
    context = {"batch": batch, "progress": progress(batch), "can_edit": can_edit(request.user)}
    return render(request, template_name, context)


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def batch_row_edit(request, batch_id, row_id):
    """One row of the preview as a form: htmx swaps the row in place; without it, the whole page."""
    batch = _batch(request, batch_id)
    row = get_object_or_404(BatchRow, pk=row_id, batch=batch)
    account = account_for_request(request)
    if batch.confirmed or not can_edit(request.user):
        return redirect("batch_detail", batch_id=batch.pk)  # a viewer's GET: nothing to edit
    if request.method == "POST":
        errors = preview.edit_row(account, row, request.POST)
        if not errors and not request.htmx:
            return redirect(reverse("batch_detail", args=[batch.pk]) + f"#row-{row.position}")
    else:
        errors = preview.field_errors(account, row)
    editing = [row.pk] if request.method == "GET" or errors else []
    context = {
        "batch": batch,
        "progress": progress(batch),
        "can_edit": True,
        "editing": editing,
        "row_errors": errors,
    }
    if request.htmx:
        return render(request, TEMPLATE + "#row-swap", context | {"view": _row_view(context, row)})
    return render(request, TEMPLATE, context)


def _row_view(context, row):
    return next(v for v in context["progress"].rows if v.row.pk == row.pk)


@require_POST
@editor_required
def batch_row_drop(request, batch_id, row_id):
    batch = _batch(request, batch_id)
    if not batch.confirmed:
        batch.rows.filter(pk=row_id).update(dropped=True)
    return redirect("batch_detail", batch_id=batch.pk)


@require_POST
@editor_required
@vary_on_headers("HX-Request")
def batch_confirm(request, batch_id):
    batch = _batch(request, batch_id)
    form = preview.ConfirmForm(batch, request.POST)
    if not batch.confirmed and not form.is_valid():
        context = {
            "batch": batch,
            "progress": progress(batch),
            "can_edit": True,
            "confirm_form": form,
            "editing": [row.pk for row in form.open_rows],
        }
        # In place, only the card: rows still open keep what was typed in them.
        return render(request, TEMPLATE + ("#confirm" if request.htmx else ""), context)
    # Only the first confirmation queues the run; each row's key guards against any second run.
    if batch.confirm():
        send_batch.enqueue(batch_id=str(batch.pk))
    url = reverse("batch_detail", args=[batch.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@editor_required
def batch_retry(request, batch_id):
    batch = _batch(request, batch_id)
    if batch.confirmed:
        # Also resumes a run whose worker stopped: rows already sent keep their keys.
        retried = retry_failed(batch)
        send_batch.enqueue(batch_id=str(batch.pk))
        messages.info(request, f"Sending again: {retried} failed row{'s' if retried != 1 else ''}.")
    return redirect("batch_detail", batch_id=batch.pk)


@require_POST
@editor_required
def batch_send_held(request, batch_id):
    """The PM saw the earlier attempts at the held rows' milestones and wants these sent too."""
    batch = _batch(request, batch_id)
    if batch.confirmed:
        sent = send_held(batch)
        send_batch.enqueue(batch_id=str(batch.pk))
        messages.info(request, f"Sending {sent} held row{'s' if sent != 1 else ''} after all.")
    return redirect("batch_detail", batch_id=batch.pk)


@require_http_methods(["GET", "POST"])
@editor_required
@vary_on_headers("HX-Request")
def batch_funding(request, batch_id):
    """One funding handoff for every milestone the batch created; the worker does the asking."""
    batch = _batch(request, batch_id)
    if request.method == "POST" and batch.confirmed:
        # The first press, or "Ask again" after failures: rows already asked are skipped.
        if batch.request_funding() or request.POST.get("again"):
            fund_batch.enqueue(batch_id=str(batch.pk))
        return redirect("batch_funding", batch_id=batch.pk)
    template_name = "dashboard/batch_funding.html" + ("#status" if request.htmx else "")
    context = {"batch": batch, "funding": funding(batch), "can_edit": can_edit(request.user)}
    return render(request, template_name, context)


def upload_name(request) -> str:
    return request.FILES["file"].name


def _batch(request, batch_id) -> Batch:
    token = services.token_for(request)
    if not token:
        raise Http404("No OpenTrain account.")
    fingerprint = services.token_fingerprint(token)
    return get_object_or_404(Batch, pk=batch_id, account_fingerprint=fingerprint)
