"""Screen a CSV of names against the current watchlists, without creating customers.

Input header ``name,dob,country`` (dob as YYYY-MM-DD or YYYY, country as ISO alpha-2;
both may be empty). Output: one row per hit at or above the threshold, header
``input_row,input_name,list_source,list_entity_id,matched_name,score``; ``input_row``
counts data rows from 1 and ``list_entity_id`` is the list's own id (OFAC ent_num, UN
DATAID). Every entity type is screened (people, companies, vessels, aircraft).
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.screening import Query
from compliance.services.screening import current_index, threshold

INPUT_COLUMNS = ["name", "dob", "country"]
OUTPUT_COLUMNS = ["input_row", "input_name", "list_source", "list_entity_id", "matched_name", "score"]


class Command(BaseCommand):
    help = "Screen names from a CSV (name,dob,country) against the current watchlists; write the hits."

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="CSV with the header name,dob,country.")
        parser.add_argument("--output", required=True, help="Where to write the hits CSV.")
        parser.add_argument("--threshold", type=float, help="Override SCREENING_THRESHOLD (0-1).")

    def handle(self, *args, **options):
        index, versions = current_index()
        if index is None:
            raise CommandError("No watchlist has been imported: run `manage.py import_watchlist` first.")
        limit = options["threshold"] if options["threshold"] is not None else threshold()
        if not 0 < limit <= 1:
            raise CommandError("--threshold must be above 0 and at most 1.")
        source = Path(options["input"])
        try:
            with source.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None or [h.strip().lower() for h in header] != INPUT_COLUMNS:
                    got = ",".join(header or [])
                    raise CommandError(f"{source}: the header must be exactly {','.join(INPUT_COLUMNS)} (got {got!r}).")
                queries = []
                for line, row in enumerate(reader, start=2):
                    if not row:  # a blank line is not a data row
                        continue
                    if len(row) != len(INPUT_COLUMNS):
                        raise CommandError(f"{source}, line {line}: {len(row)} fields, expected 3.")
                    name, dob, country = (cell.strip() for cell in row)
                    if len(dob) not in (0, 4, 10):
                        raise CommandError(f"{source}, line {line}: dob must be YYYY-MM-DD or YYYY (got {dob!r}).")
                    queries.append(Query(name=name, dob=dob or None, country=country.upper() or None))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {source}: {exc}") from exc
        answers = index.screen_many(queries, threshold=limit)
        rows = 0
        try:
            with Path(options["output"]).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(OUTPUT_COLUMNS)
                for number, (query, matches) in enumerate(zip(queries, answers, strict=True), start=1):
                    for match in matches:
                        writer.writerow(
                            [number, query.name, match.source, match.list_id, match.matched_name, f"{match.score:.4f}"]
                        )
                        rows += 1
        except OSError as exc:
            raise CommandError(f"Cannot write {options['output']}: {exc}") from exc
        lists = ", ".join(f"{source} #{pk}" for source, pk in sorted(versions.items()))
        self.stdout.write(f"{len(queries)} names screened against {lists} at threshold {limit}: {rows} hits.")
