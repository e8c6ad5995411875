"""Idempotency records: no database constraint from ``user`` to the user.

Its check locked the user's row (``FOR KEY SHARE``) at the claim and again when the
answer was written over it, in every money request. The records still go with their
user (Django's cascade) and expire within a day.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('blockscore', '0003_idempotency_record_fillfactor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='idempotencyrecord',
            name='user',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='idempotency_records', to=settings.AUTH_USER_MODEL),
        ),
    ]
