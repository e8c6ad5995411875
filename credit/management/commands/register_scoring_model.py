"""Register a scorecard artifact in the model table (optionally as the champion)."""

from django.core.management.base import BaseCommand, CommandError

from blockscore.exceptions import DomainError
from credit.services.registry import model_register


class Command(BaseCommand):
    help = "Register a scorecard artifact (credit/artifacts/<version>.json); --activate makes it the champion."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The artifact JSON file.")
        parser.add_argument("--activate", action="store_true", help="Make it the champion (audited).")

    def handle(self, *args, **options):
        try:
            model = model_register(options["path"], activate=options["activate"])
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"{model.version}: {model.status} ({model.artifact_path})"))
