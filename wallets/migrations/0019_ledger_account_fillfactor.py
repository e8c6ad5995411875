"""PostgreSQL: room on every page of the ledger accounts for their balance updates.

Every posting rewrites its accounts' rows (balance, daily transfer total). An update that
changes no indexed column can stay on the same page without touching any index (a HOT
update), but only when the page has room: with tables packed full, the first update of a
row moves it to another page and adds an entry to each of the table's eleven indexes.
A fill factor of 70 leaves that room for rows written from now on (and for all of them
after a VACUUM FULL or CLUSTER). Other databases: nothing to do.
"""

from django.db import migrations


def _fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE wallets_ledgeraccount SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("wallets", "0018_entry_checks_at_commit")]
    operations = [migrations.RunPython(_fillfactor(70), _fillfactor(100))]
