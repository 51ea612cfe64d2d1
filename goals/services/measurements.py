"""Measurements: manual entry, idempotent bulk upsert, and CRM file imports."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.models import Membership, Organization, Team, User
from salesops.services import outbox

from .. import importing
from ..models import (
    Goal,
    ImportStatus,
    Kpi,
    Measurement,
    MeasurementImport,
    MeasurementSource,
    MeasurementTouch,
)
from ..periods import period_start

BULK_LIMIT = 5000
PROGRESS_EVERY = 500


def _check_scope(*, org: Organization, kpi: Kpi, team: Team | None, owner: User | None) -> None:
    errors: dict[str, Any] = {}
    if kpi.org_id != org.pk:
        errors["kpi"] = _("Choose a KPI of this organisation.")
    elif kpi.is_ratio:
        errors["kpi"] = _("%(kpi)s is a ratio: record its numerator and denominator instead.") % {
            "kpi": kpi.display_name
        }
    if team is None and owner is None:
        errors["team"] = _("Give a team or an owner.")
    if team is not None and team.org_id != org.pk:
        errors["team"] = _("Choose a team of this organisation.")
    if owner is not None and not Membership.objects.for_org(org).filter(user=owner).exists():
        errors["owner"] = _("The owner must be a member of this organisation.")
    if errors:
        raise ValidationError(errors)


def measurements_touch(*, org: Organization, periods: Iterable[tuple[int, date]]) -> None:
    """Note (KPI, period start) pairs whose rollups are now stale, for the rollup job."""
    MeasurementTouch.objects.bulk_create(
        MeasurementTouch(org=org, kpi_id=kpi_id, period_start=day) for kpi_id, day in set(periods)
    )


@transaction.atomic
def measurement_record(
    *,
    actor: User,
    org: Organization,
    kpi: Kpi,
    day: date,
    value: Decimal,
    period_kind: str = "month",
    team: Team | None = None,
    owner: User | None = None,
) -> Measurement:
    """Enter a value by hand; entering the same KPI, scope and period again replaces it."""
    _check_scope(org=org, kpi=kpi, team=team, owner=owner)
    start = period_start(day, period_kind)
    measurement = (
        Measurement.objects.for_org(org)
        .select_for_update()
        .filter(
            kpi=kpi,
            team=team,
            owner=owner,
            period_kind=period_kind,
            period_start=start,
            source=MeasurementSource.MANUAL,
        )
        .first()
    )
    if measurement is None:
        measurement = Measurement(
            org=org,
            kpi=kpi,
            team=team,
            owner=owner,
            period_kind=period_kind,
            period_start=start,
            source=MeasurementSource.MANUAL,
            created_by=actor,
        )
    measurement.value = value
    measurement.full_clean()
    measurement.save()
    measurements_touch(org=org, periods=[(kpi.pk, start)])
    return measurement


@transaction.atomic
def measurement_delete(*, actor: User, measurement: Measurement) -> None:
    measurements_touch(
        org=measurement.org, periods=[(measurement.kpi_id, measurement.period_start)]
    )
    measurement.delete()


@dataclass(frozen=True)
class BulkRow:
    external_id: str
    kpi: Kpi
    team: Team | None
    owner: User | None
    period_kind: str
    day: date
    value: Decimal


@dataclass(frozen=True)
class BulkResult:
    created: int
    updated: int
    unchanged: int


def measurements_upsert(
    *, actor: User, org: Organization, rows: list[BulkRow], source: str = MeasurementSource.API
) -> BulkResult:
    """Write rows keyed by (source, external id): sending the same batch twice changes nothing.

    The caller has validated every row; this writes all of them in one transaction or none.
    """
    if len(rows) > BULK_LIMIT:
        raise ValidationError(_("Send at most %(limit)s rows per call.") % {"limit": BULK_LIMIT})
    with transaction.atomic():
        ids = [row.external_id for row in rows]
        existing = {
            m.external_id: m
            for m in Measurement.objects.for_org(org)
            .select_for_update()
            .filter(source=source, external_id__in=ids)
        }
        to_create, to_update, unchanged = [], [], 0
        touched: list[tuple[int, date]] = []
        now = timezone.now()
        for row in rows:
            start = period_start(row.day, row.period_kind)
            current = existing.get(row.external_id)
            if current is None:
                to_create.append(
                    Measurement(
                        org=org,
                        kpi=row.kpi,
                        team=row.team,
                        owner=row.owner,
                        period_kind=row.period_kind,
                        period_start=start,
                        value=row.value,
                        source=source,
                        external_id=row.external_id,
                        created_by=actor,
                    )
                )
                continue
            new = (
                row.kpi.pk,
                row.team.pk if row.team else None,
                row.owner.pk if row.owner else None,
            )
            old = (current.kpi_id, current.team_id, current.owner_id)
            if (
                new == old
                and current.period_kind == row.period_kind
                and current.period_start == start
                and current.value == row.value
            ):
                unchanged += 1
                continue
            touched.append((current.kpi_id, current.period_start))  # where it was
            current.kpi, current.team, current.owner = row.kpi, row.team, row.owner
            current.period_kind, current.period_start, current.value = (
                row.period_kind,
                start,
                row.value,
            )
            current.updated_at = now
            to_update.append(current)
        Measurement.objects.bulk_create(to_create, batch_size=1000)
        Measurement.objects.bulk_update(
            to_update,
            ["kpi", "team", "owner", "period_kind", "period_start", "value", "updated_at"],
            batch_size=1000,
        )
        touched.extend((m.kpi_id, m.period_start) for m in [*to_create, *to_update])
        measurements_touch(org=org, periods=touched)
    return BulkResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)


# --- imports ----------------------------------------------------------------------------------


def lookups_for(org: Organization) -> dict[str, Any]:
    """Names → ids the import may refer to: KPI names and keys, team names, owner emails and names."""
    kpis: dict[str, int] = {}
    ratio_ids: set[int] = set()
    for kpi in Kpi.objects.for_org(org).active():
        for name in (kpi.name, kpi.key, kpi.display_name):
            if name:
                kpis[name.strip().lower()] = kpi.pk
        if kpi.is_ratio:
            ratio_ids.add(kpi.pk)
    teams = {team.name.strip().lower(): team.pk for team in Team.objects.for_org(org).active()}
    owners: dict[str, int] = {}
    for membership in Membership.objects.for_org(org).active().select_related("user"):
        owners[membership.user.email.lower()] = membership.user_id
        owners.setdefault(membership.user.display_name.strip().lower(), membership.user_id)
    return {"kpis": kpis, "teams": teams, "owners": owners, "ratio_kpi_ids": frozenset(ratio_ids)}


@transaction.atomic
def import_create(
    *,
    actor: User,
    org: Organization,
    filename: str,
    content: bytes,
    goal: Goal | None = None,
    period_kind: str,
) -> MeasurementImport:
    try:
        table = importing.read_table(data=content, filename=filename)
    except importing.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    mapping = importing.suggest_mapping(table.headers)
    job = MeasurementImport(
        org=org,
        goal=goal,
        created_by=actor,
        filename=filename[:255],
        content=content,
        encoding=table.encoding,
        period_kind=period_kind,
        mapping=mapping.__dict__,
        total_rows=len(table.rows),
    )
    job.full_clean(exclude=["content"])
    job.save()
    return job


def import_table(job: MeasurementImport) -> importing.Table:
    return importing.read_table(data=bytes(job.content), filename=job.filename)


def import_check(
    job: MeasurementImport,
) -> tuple[list[importing.ParsedRow], list[importing.RowError], list[str]]:
    """Validate the file against the mapping: (good rows, row errors, mapping errors)."""
    table = import_table(job)
    mapping = importing.ColumnMapping(**job.mapping)
    problems = importing.mapping_errors(mapping, table.headers)
    if problems:
        return [], [], problems
    lookups = lookups_for(job.org)
    window = (job.goal.start_date, job.goal.due_date) if job.goal else None
    parsed, errors = importing.validate_rows(
        table=table,
        mapping=mapping,
        kpis=lookups["kpis"],
        teams=lookups["teams"],
        owners=lookups["owners"],
        period_kind=job.period_kind,
        window=window,
        ratio_kpi_ids=lookups["ratio_kpi_ids"],
    )
    return parsed, errors, []


@transaction.atomic
def import_set_mapping(
    *, actor: User, job: MeasurementImport, mapping: dict[str, str]
) -> MeasurementImport:
    if job.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This import has started already."))
    job.mapping = importing.ColumnMapping(**mapping).__dict__
    job.save(update_fields=["mapping"])
    return job


@transaction.atomic
def import_commit(*, actor: User, job: MeasurementImport) -> MeasurementImport:
    """Queue the import; it runs only when the preview has no error."""
    job = MeasurementImport.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This import has started already."))
    _parsed, errors, problems = import_check(job)
    if problems or errors:
        raise ValidationError(_("Fix the errors in the file first: nothing was imported."))
    job.status = ImportStatus.QUEUED
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows"])
    outbox.enqueue(task_name="goals.tasks.measurement_import_run", kwargs={"import_id": job.pk})
    return job


def import_run(*, import_id: int) -> str:
    """Run a queued import: check the rows (progress is saved as it goes), then write all in one step."""
    claimed = MeasurementImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return "skipped"
    job = MeasurementImport.objects.select_related("org", "goal", "created_by").get(pk=import_id)
    try:
        parsed, errors, problems = import_check(job)
        if problems or errors:
            raise ValidationError(_("The file no longer passes the checks: nothing was imported."))
        kpis = {kpi.pk: kpi for kpi in Kpi.objects.for_org(job.org)}
        teams = {team.pk: team for team in Team.objects.for_org(job.org)}
        owners = {
            m.user_id: m.user for m in Membership.objects.for_org(job.org).select_related("user")
        }
        rows: list[BulkRow] = []
        for index, row in enumerate(parsed, start=1):
            rows.append(
                BulkRow(
                    # Without an id column, the period and scope are the key: importing the
                    # same export again replaces its values instead of adding them twice.
                    external_id=row.external_id
                    or f"{row.kpi_id}:{row.team_id or '-'}:{row.owner_id or '-'}:{job.period_kind}:{row.period_start}",
                    kpi=kpis[row.kpi_id],
                    team=teams.get(row.team_id) if row.team_id else None,
                    owner=owners.get(row.owner_id) if row.owner_id else None,
                    period_kind=job.period_kind,
                    day=row.period_start,
                    value=row.value,
                )
            )
            if index % PROGRESS_EVERY == 0:
                MeasurementImport.objects.filter(pk=job.pk).update(processed_rows=index // 2)
        MeasurementImport.objects.filter(pk=job.pk).update(processed_rows=len(parsed) // 2)
        with transaction.atomic():  # all rows or none
            for chunk_start in range(0, len(rows), BULK_LIMIT):
                measurements_upsert(
                    actor=job.created_by,
                    org=job.org,
                    rows=rows[chunk_start : chunk_start + BULK_LIMIT],
                    source=MeasurementSource.IMPORT,
                )
    except ValidationError as error:
        MeasurementImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=" ".join(error.messages), finished_at=timezone.now()
        )
        return "failed"
    MeasurementImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, processed_rows=job.total_rows, finished_at=timezone.now()
    )
    return "done"
