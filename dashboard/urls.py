from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import demo_accounts
from dashboard.mirror import views as mirror_views
from dashboard.views import (
    activity,
    approvals,
    batches,
    channels,
    contract,
    contracts,
    exports,
    freshness,
    handoffs,
    inbox,
    milestones,
    notifications,
    ops,
    setup,
    spend,
    unsubscribe,
)

urlpatterns = [
    path("", inbox.inbox_page, name="inbox"),
    path("inbox/snooze/", inbox.inbox_snooze, name="inbox_snooze"),
    path("setup/recheck/", setup.setup_recheck, name="setup_recheck"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Contracts
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/<str:contract_id>/", contract.contract_detail, name="contract_detail"),
    path("contracts/<str:contract_id>/end/", handoffs.contract_end, name="contract_end"),
    # Milestone entry
    path(
        "contracts/<str:contract_id>/milestones/new/",
        milestones.milestone_create,
        name="milestone_create",
    ),
    path("milestones/new/", milestones.milestone_new, name="milestone_new"),
    path("submissions/<uuid:key>/", milestones.submission_detail, name="submission_detail"),
    path("activity/", activity.activity, name="activity"),
    # Spend: the account's money at a glance
    path("spend/", spend.spend_page, name="spend"),
    # Batches: a CSV, a preview, then the worker sends the rows
    path("milestones/import/", batches.batch_import, name="batch_import"),
    path("milestones/import/template.csv", batches.batch_template, name="batch_template"),
    path("milestones/batch/new/", batches.batch_new, name="batch_new"),
    path("batches/<uuid:batch_id>/", batches.batch_detail, name="batch_detail"),
    path("batches/<uuid:batch_id>/funding/", batches.batch_funding, name="batch_funding"),
    path("batches/<uuid:batch_id>/confirm/", batches.batch_confirm, name="batch_confirm"),
    path("batches/<uuid:batch_id>/retry/", batches.batch_retry, name="batch_retry"),
    path("batches/<uuid:batch_id>/send-held/", batches.batch_send_held, name="batch_send_held"),
    path(
        "batches/<uuid:batch_id>/rows/<int:row_id>/drop/",
        batches.batch_row_drop,
        name="batch_row_drop",
    ),
    path(
        "batches/<uuid:batch_id>/rows/<int:row_id>/edit/",
        batches.batch_row_edit,
        name="batch_row_edit",
    ),
    # Exports (streamed, from the mirror and the ledger)
    path("exports/contracts.<str:fmt>", exports.contracts_export, name="contracts_export"),
    path("exports/milestones.<str:fmt>", exports.milestones_export, name="milestones_export"),
    path("exports/activity.<str:fmt>", exports.activity_export, name="activity_export"),
    path("exports/spend.<str:fmt>", spend.spend_export, name="spend_export"),
    # Money handoffs
    path("milestones/<str:milestone_id>/fund/", handoffs.milestone_fund, name="milestone_fund"),
    path(
        "milestones/<str:milestone_id>/approve/",
        handoffs.milestone_approve,
        name="milestone_approve",
    ),
    path("approvals/", approvals.approval_list, name="approval_list"),
    path("approvals/<str:approval_id>/", approvals.approval_detail, name="approval_detail"),
    path("approvals/<str:approval_id>/row/", approvals.approval_row, name="approval_row"),
    # Sync: how fresh the mirror is, and OpenTrain's webhooks (signed, no sign-in)
    path(
        "settings/notifications/",
        notifications.notification_settings,
        name="notification_settings",
    ),
    path("settings/channels/", channels.channel_list, name="channel_list"),
    path("settings/channels/<int:channel_id>/test/", channels.channel_test, name="channel_test"),
    path(
        "settings/channels/<int:channel_id>/remove/", channels.channel_remove, name="channel_remove"
    ),
    path("notifications/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("sync/version/", freshness.mirror_version, name="mirror_version"),
    path("sync/now/", freshness.sync_now, name="sync_now"),
    path("webhooks/opentrain/", mirror_views.receive, name="opentrain_webhook"),
    # For load balancers and Prometheus (no sign-in; /metrics needs METRICS_TOKEN)
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics_view, name="metrics"),
    # Sandbox demo accounts
    path("sandbox-account/", demo_accounts.switch_sandbox_account, name="switch_sandbox_account"),
]

if settings.OT_SANDBOX:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
