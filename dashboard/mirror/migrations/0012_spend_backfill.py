"""Fill the spend columns and the months of a mirror synced before they existed: its contracts
are otherwise rewritten only when OpenTrain's answer changes. Money that moved before now is
counted at its milestone's creation, as for a contract the dashboard reads the first time."""

from django.db import migrations
from django.utils import timezone

from dashboard import opentrain
from dashboard.mirror import money


def backfill(apps, schema_editor):
    Contract = apps.get_model("mirror", "Contract")
    Milestone = apps.get_model("mirror", "Milestone")
    SpendMonth = apps.get_model("mirror", "SpendMonth")
    months, now = {}, timezone.now()
    for row in Contract.objects.only("pk", "account_id", "data").iterator(chunk_size=500):
        answer = opentrain.Contract.from_api(row.data)
        Contract.objects.filter(pk=row.pk).update(**money.columns(answer))
        kind = (answer.payment_type[:40], answer.status[:40])
        for milestone in Milestone.objects.filter(contract_id=row.pk):
            moved = money.moments(milestone.status, None, milestone.upstream_created_at or now)
            if moved["funded_at"] is None and moved["paid_at"] is None:
                continue
            Milestone.objects.filter(pk=milestone.pk).update(**moved)
            if milestone.amount_usd is None:
                continue
            for at, column in ((moved["funded_at"], 0), (moved["paid_at"], 1)):
                if at is not None:
                    key = (row.account_id, money.month_of(at), *kind)
                    months.setdefault(key, [0, 0])[column] += milestone.amount_usd
    SpendMonth.objects.bulk_create(
        SpendMonth(
            account_id=account_id,
            month=month,
            payment_type=payment_type,
            contract_status=status,
            funded_usd=funded,
            paid_usd=paid,
        )
        for (account_id, month, payment_type, status), (funded, paid) in months.items()
    )


class Migration(migrations.Migration):
    dependencies = [("mirror", "0011_spend")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
