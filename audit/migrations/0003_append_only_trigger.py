"""On PostgreSQL, refuse UPDATE and DELETE on the audit tables (SQL beside this file)."""

from pathlib import Path

from django.db import migrations

HERE = Path(__file__).resolve().parent


def _run(filename):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute((HERE / filename).read_text(), params=None)  # no %-formatting: the SQL uses %

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_head")]
    operations = [migrations.RunPython(_run("append_only.sql"), _run("append_only_reverse.sql"))]
