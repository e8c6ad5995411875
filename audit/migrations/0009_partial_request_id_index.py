"""The request id index leaves out events written outside a request.

Jobs and the ledger's service callers write events with no request id; the index stored
an entry for each empty string, when they were written and again when they were chained.
A lookup by request id always names one, which the partial index serves.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0008_partial_hash_unique'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_event_request_id',
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('request_id', ''), _negated=True), fields=['request_id'], name='audit_event_request_id'),
        ),
    ]
