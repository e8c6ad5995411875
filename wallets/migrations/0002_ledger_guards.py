"""On PostgreSQL, the database refuses unbalanced entries and changes to posted rows
(SQL beside this file). The customer-balance CHECK is in 0001, on every database."""

from pathlib import Path

from django.db import migrations

HERE = Path(__file__).resolve().parent


def _run(filename):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute((HERE / filename).read_text(), params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("wallets", "0001_ledger")]
    operations = [migrations.RunPython(_run("ledger_guards.sql"), _run("ledger_guards_reverse.sql"))]
