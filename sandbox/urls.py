"""The sandbox: mounted at `sandbox/` only in sandbox mode (see dashboard/urls.py)."""

from django.urls import path, re_path

from . import api, pages

app_name = "sandbox"

V1 = "api/public/v1/"

urlpatterns = [
    path(V1 + "auth/me", api.me, name="api-me"),
    path(V1 + "job-drafts/capabilities", api.capabilities, name="api-capabilities"),
    path(V1 + "contracts", api.contract_list, name="api-contracts"),
    path(V1 + "contracts/<str:contract_id>", api.contract_detail, name="api-contract"),
    path(
        V1 + "contracts/<str:contract_id>/milestones",
        api.milestone_create,
        name="api-milestone-create",
    ),
    path(V1 + "contracts/<str:contract_id>/end", api.contract_end, name="api-contract-end"),
    path(V1 + "milestones/<str:milestone_id>/fund", api.milestone_fund, name="api-fund"),
    path(V1 + "milestones/<str:milestone_id>/approve", api.milestone_approve, name="api-approve"),
    path(V1 + "approvals/<str:approval_id>", api.approval_detail, name="api-approval"),
    path(V1 + "_sandbox/accounts", api.sandbox_accounts, name="api-accounts"),
    # Anything else under the API answers the 404 envelope, not an HTML page.
    re_path(r"^api/public/v1/(?P<path>.*)$", api.not_found, name="api-not-found"),
    path("claim/<str:token>/", pages.claim, name="claim"),
    path("approvals/<str:approval_id>/", pages.approval, name="approval"),
    path("billing/<str:organization_id>/", pages.billing, name="billing"),
]
