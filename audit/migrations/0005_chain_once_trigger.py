"""On PostgreSQL, let the chainer fill an unchained event's chain fields once (SQL beside this file)."""

from pathlib import Path

from django.db import migrations

HERE = Path(__file__).resolve().parent


def _run(filename):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute((HERE / filename).read_text(), params=None)  # no %-formatting: the SQL uses %

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_event_chained_after_commit")]
    operations = [migrations.RunPython(_run("chain_once.sql"), _run("chain_once_reverse.sql"))]
