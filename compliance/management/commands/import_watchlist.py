"""Import a sanctions list as a new version: ``--source ofac|un`` and ``--path`` or ``--url``.

OFAC: a folder holding sdn.csv, alt.csv and add.csv (or ofac_sdn.csv ...), or the path
or URL of sdn.csv with the other two beside it. UN: the consolidated XML. Importing the
same files as the latest version of that source again creates nothing. A rescan of
every customer is queued after the import.
"""

from django.core.management.base import BaseCommand, CommandError

from compliance.services import watchlists
from compliance.watchlists import WatchlistFormatError


class Command(BaseCommand):
    help = "Import an OFAC SDN or UN consolidated list as a new watchlist version."

    def add_arguments(self, parser):
        parser.add_argument("--source", required=True, choices=watchlists.SOURCES)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--path", help="OFAC: folder or sdn.csv; UN: the XML file.")
        where.add_argument("--url", help="Download from here (production): OFAC sdn.csv URL, UN XML URL.")

    def handle(self, *args, **options):
        source = options["source"]
        try:
            if options["url"]:
                origin = options["url"]
                files = watchlists.files_from_url(source, origin)
            else:
                origin = options["path"]
                files = watchlists.files_from_path(source, origin)
            outcome = watchlists.watchlist_import(source=source, files=files, origin=origin)
        except WatchlistFormatError as exc:
            raise CommandError(exc.detail) from exc
        version = outcome.version
        if not outcome.created:
            self.stdout.write(
                f"{source}: unchanged, the latest version #{version.pk} has the same checksum "
                f"({version.checksum[:12]}); nothing imported."
            )
            return
        counts = version.counts
        by_type = ", ".join(f"{counts.get(kind, 0)} {kind}" for kind in ("individual", "entity", "vessel", "aircraft"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{source}: version #{version.pk} imported: {counts.get('entries', 0)} entries ({by_type}), "
                f"{counts.get('aliases', 0)} aliases; {len(version.added)} added, {len(version.removed)} removed "
                f"since the previous version; checksum {version.checksum[:12]}. A rescan of all customers is queued."
            )
        )
