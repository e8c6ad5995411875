"""Journal entries: the unique indexes of the two usually-empty columns become partial.

``idempotency_key`` (set by the ledger's internal callers; an API request is keyed by its
idempotency record instead) and ``reverses`` (set on reversals only) are NULL on nearly
every entry, and a unique btree still stores an entry for each NULL, on every posting.
Partial indexes (``WHERE ... IS NOT NULL``) enforce the same rules (NULLs never collide)
and serve the same lookups (``= value`` implies NOT NULL), without those entries.
``reverses`` becomes a foreign key (its one-to-one uniqueness is the partial index
``wallets_entry_reversed_once``); its reverse accessor is now ``reversals``.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0019_ledger_account_fillfactor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="journalentry",
            name="wallets_entry_idempotency_key_unique",
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="reverses",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversals",
                to="wallets.journalentry",
            ),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("idempotency_key",),
                name="wallets_entry_idempotency_key_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reverses__isnull", False)),
                fields=("reverses",),
                name="wallets_entry_reversed_once",
            ),
        ),
    ]
