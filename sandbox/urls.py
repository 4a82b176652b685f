"""The sandbox: mounted at `sandbox/` only in sandbox mode (see dashboard/urls.py)."""

from django.urls import path, re_path

from . import outbox, pages
from .api import endpoints, feed

app_name = "sandbox"

V1 = "api/public/v1/"

urlpatterns = [
    path(V1 + "auth/me", endpoints.me, name="api-me"),
    path(V1 + "job-drafts/capabilities", endpoints.capabilities, name="api-capabilities"),
    path(V1 + "contracts", endpoints.contract_list, name="api-contracts"),
    path(V1 + "contracts/<str:contract_id>", endpoints.contract_detail, name="api-contract"),
    path(
        V1 + "contracts/<str:contract_id>/milestones",
        endpoints.milestone_create,
        name="api-milestone-create",
    ),
    path(V1 + "contracts/<str:contract_id>/end", endpoints.contract_end, name="api-contract-end"),
    path(V1 + "milestones/<str:milestone_id>/fund", endpoints.milestone_fund, name="api-fund"),
    path(
        V1 + "milestones/<str:milestone_id>/approve",
        endpoints.milestone_approve,
        name="api-approve",
    ),
    path(V1 + "approvals/<str:approval_id>", endpoints.approval_detail, name="api-approval"),
    path(V1 + "updates", feed.updates, name="api-updates"),
    path(V1 + "webhooks", feed.webhooks, name="api-webhooks"),
    path(V1 + "webhooks/<str:webhook_id>", feed.webhook_detail, name="api-webhook"),
    path(V1 + "payments/pending", feed.payments_pending, name="api-payments-pending"),
    path(V1 + "_sandbox/accounts", endpoints.sandbox_accounts, name="api-accounts"),
    # Anything else under the API answers the 404 envelope, not an HTML page.
    re_path(r"^api/public/v1/(?P<path>.*)$", endpoints.not_found, name="api-not-found"),
    path("claim/<str:token>/", pages.claim, name="claim"),
    path("approvals/<str:approval_id>/", pages.approval, name="approval"),
    path("billing/<str:organization_id>/", pages.billing, name="billing"),
    path("contracts/<str:contract_id>/usage/", pages.usage, name="usage"),
    path("outbox/", pages.outbox, name="outbox"),
    path("outbox/clear/", pages.outbox_clear, name="outbox-clear"),
    path("outbox/<int:message_id>/", pages.outbox_message, name="outbox-message"),
    path("outbox/<int:message_id>/html", pages.outbox_html, name="outbox-html"),
    # The team chat receiver: an API endpoint for the dashboard's worker (no sign-in, no CSRF).
    path("chat/<slug:slug>/", outbox.chat_receiver, name="chat"),
]
