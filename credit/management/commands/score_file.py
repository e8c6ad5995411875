"""Score a CSV of applicants with the champion scorecard (for analysts).

Input columns are German Credit column names; every input column is written back
unchanged (protected attributes included, which the model never reads) and
``score``, ``band``, ``pd`` and ``reason_codes`` (semicolon-separated) are added.
Nothing is written unless every row scores.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from blockscore.exceptions import DomainError
from credit.exceptions import InvalidScoringInput
from credit.models import ScoringModel
from credit.services.registry import champion_scorecard, load_verified

OUTPUT_COLUMNS = ["score", "band", "pd", "reason_codes"]


class Command(BaseCommand):
    help = (
        "Score a CSV of applicants (German Credit column names) with the active model; "
        "adds score, band, pd and reason_codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="CSV with a header row of German Credit column names.")
        parser.add_argument("--output", required=True, help="Where to write the scored CSV.")
        parser.add_argument("--model", help="Score with this registered version instead of the champion.")

    def handle(self, *args, **options):
        try:
            if options["model"]:
                model = ScoringModel.objects.filter(version=options["model"]).first()
                if model is None:
                    raise CommandError(f"No registered model {options['model']!r}.")
                card = load_verified(model)
            else:
                model, card = champion_scorecard()
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        source = Path(options["input"])
        try:
            with source.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                columns = list(reader.fieldnames or [])
                rows = list(reader)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {source}: {exc}") from exc
        missing = [name for name in card.feature_names if name not in columns]
        if missing:
            raise CommandError(f"{source}: missing required column(s): {', '.join(missing)}.")
        scored = []
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            inputs = {
                name: row[name].strip() if isinstance(row[name], str) else row[name] for name in card.feature_names
            }
            try:
                result = card.score(inputs)
            except InvalidScoringInput as exc:
                allowed = exc.extra.get("allowed")
                hint = f" Allowed: {'; '.join(allowed)}." if isinstance(allowed, list) else ""
                if exc.extra.get("minimum") is not None or exc.extra.get("maximum") is not None:
                    low, high = exc.extra.get("minimum"), exc.extra.get("maximum")
                    hint = f" Allowed: a whole number from {low} to {high if high is not None else 'any'}."
                raise CommandError(f"{source}, line {line}: {exc.detail}{hint}") from exc
            except DomainError as exc:  # e.g. an empty required cell
                raise CommandError(f"{source}, line {line}: {exc.detail}") from exc
            scored.append(
                {
                    **row,
                    "score": result.score,
                    "band": result.band,
                    "pd": str(result.pd),
                    "reason_codes": ";".join(r.code for r in result.reason_codes),
                }
            )
        out_columns = columns + [c for c in OUTPUT_COLUMNS if c not in columns]
        destination = Path(options["output"])
        with destination.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=out_columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(scored)
        self.stdout.write(self.style.SUCCESS(f"scored {len(scored)} rows with {model.version} -> {destination}"))
