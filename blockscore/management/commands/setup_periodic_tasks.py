from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from blockscore.schedule import PERIODIC_TASKS

MANAGED_PREFIX = "blockscore:"


class Command(BaseCommand):
    help = "Create or update the periodic tasks of blockscore.schedule in the beat database (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = updated = 0
        for name, spec in PERIODIC_TASKS.items():
            schedule, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **spec["crontab"])
            task, was_created = PeriodicTask.objects.get_or_create(
                name=MANAGED_PREFIX + name,
                defaults={"task": spec["task"], "crontab": schedule, "description": spec["description"]},
            )
            if was_created:
                created += 1
                continue
            changed = (
                task.task != spec["task"] or task.crontab_id != schedule.pk or task.description != spec["description"]
            )
            if changed:
                task.task, task.crontab, task.description = spec["task"], schedule, spec["description"]
                task.interval = None
                task.save()
                updated += 1
        stale = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX).exclude(
            name__in=[MANAGED_PREFIX + name for name in PERIODIC_TASKS]
        )
        removed = stale.count()
        stale.delete()
        self.stdout.write(f"periodic tasks: {created} created, {updated} updated, {removed} removed")
