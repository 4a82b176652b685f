"""Fewer indexes for every write to maintain. The milestones' own indexes served the inbox before
it read its items (0004), and each foreign key's index is the leading column of another index
(the unique constraints, mirror_inbox_open, mirror_budget_when); (account, status) leads
mirror_contract_budget. A reconciliation then maintains 29 index entries a contract instead of 48.

The foreign keys' indexes are dropped by name: on SQLite, Django would rebuild each table to change
a field, and a rebuild loses the indexes made with SQL (mirror_contract_search, 0005)."""

import django.db.models.deletion
from django.db import migrations, models

# (table, column, index name): the names Django gave them in 0001 and 0004, on every backend.
FOREIGN_KEY_INDEXES = [
    ("mirror_budgetsnapshot", "contract_id", "mirror_budgetsnapshot_contract_id_18c97713"),
    ("mirror_contract", "account_id", "mirror_contract_account_id_d675b4ee"),
    ("mirror_inboxitem", "account_id", "mirror_inboxitem_account_id_2416666c"),
    ("mirror_milestone", "contract_id", "mirror_milestone_contract_id_8ea8f139"),
]


def _field(model_name, name, to, related_name):
    return migrations.AlterField(
        model_name=model_name,
        name=name,
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name=related_name,
            to=to,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mirror", "0005_list_order"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="contract", name="mirror_contract_status"),
        migrations.RemoveIndex(model_name="milestone", name="mirror_milestone_due"),
        migrations.RemoveIndex(model_name="milestone", name="mirror_milestone_review"),
        migrations.RemoveIndex(model_name="milestone", name="mirror_milestone_age"),
        migrations.RemoveIndex(model_name="milestone", name="mirror_milestone_open"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                _field("budgetsnapshot", "contract", "mirror.contract", "budget_history"),
                _field("contract", "account", "mirror.account", "contracts"),
                _field("inboxitem", "account", "mirror.account", "inbox_items"),
                _field("milestone", "contract", "mirror.contract", "milestone_rows"),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for table, column, index in FOREIGN_KEY_INDEXES
            ],
        ),
    ]
