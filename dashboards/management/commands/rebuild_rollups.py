"""Recompute every KPI rollup from the measurements (all organisations, or one)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards.rollups import rollups_rebuild
from salesops.models import Organization


class Command(BaseCommand):
    help = "Rebuild KPI rollups from scratch; gives the same rows as the incremental job."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="The organisation's slug; all organisations if left out.")

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = Organization.objects.order_by("pk")
        if options["org"]:
            orgs = orgs.filter(slug=options["org"])
            if not orgs.exists():
                raise CommandError(f"No organisation with the slug {options['org']!r}.")
        for org in orgs:
            written = rollups_rebuild(org=org)
            self.stdout.write(f"{org.slug}: {written} rollup rows written")
