"""The unique index on ``hash`` leaves out unchained events.

A ledger event is written unchained (NULL hash) and chained a moment later; the unique
btree stored an entry for the NULL too, on every posting. Partial (``WHERE hash IS NOT
NULL``), it enforces the same rule and serves the same lookups.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_lean_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="auditevent",
            name="audit_event_hash_unique",
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hash__isnull", False)), fields=("hash",), name="audit_event_hash_unique"
            ),
        ),
    ]
