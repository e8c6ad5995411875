"""PostgreSQL: room on every page of the idempotency records for their one update.

A record is inserted when a request claims its key and updated with the stored answer
in the same transaction; with room on the page that update stays there (a HOT update:
no new index entries). Other databases: nothing to do.
"""

from django.db import migrations


def _fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE blockscore_idempotencyrecord SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("blockscore", "0002_idempotency_record")]
    operations = [migrations.RunPython(_fillfactor(50), _fillfactor(100))]
