"""Strategy experiments (A/B tests): writes, and the analysis the page and the API share.

Each variant is compared with the first (the control). Results are summed in SQL per variant;
the tests themselves live in `stats` (two-proportion z-test, Welch's t-test).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from salesops.models import Organization, User
from salesops.selectors import get_or_404, is_active_member

from . import stats
from .models import Experiment, ExperimentMetric, ExperimentStatus, Observation, Variant

MAX_VARIANTS = 6
MAX_ROWS = 10_000
MAX_TRIALS = 1_000_000_000  # per row; the column is a 32-bit integer on every database
MAX_VALUE = Decimal(10) ** 14  # Observation.value holds 18 digits, 4 of them decimals


def planned_sample(
    *, metric: str, baseline: Decimal, minimum_effect: Decimal, alpha: Decimal, power: Decimal
) -> int:
    """Observations per variant needed to detect the minimum effect with this power."""
    try:
        if metric == ExperimentMetric.CONVERSION:
            return stats.sample_size_proportions(
                baseline=float(baseline) / 100,
                minimum_effect=float(minimum_effect) / 100,
                alpha=float(alpha),
                power=float(power),
            )
        return stats.sample_size_means(
            sd=float(baseline),
            minimum_effect=float(minimum_effect),
            alpha=float(alpha),
            power=float(power),
        )
    except ValueError as error:
        # The only case the checks above let through: a conversion rate pushed past 100%.
        raise ValidationError(
            {
                "minimum_effect": _(
                    "The baseline plus this effect is above 100%; choose a smaller effect."
                )
            }
        ) from error


def _check(experiment: Experiment) -> None:
    errors: dict[str, Any] = {}
    if not experiment.title.strip():
        errors["title"] = _("Give the experiment a title.")
    if not experiment.hypothesis.strip():
        errors["hypothesis"] = _("State the hypothesis you are testing.")
    if experiment.metric not in ExperimentMetric.values:
        errors["metric"] = _("Choose conversion or mean value.")
    if not Decimal("0.001") <= Decimal(experiment.alpha) <= Decimal("0.2"):
        errors["alpha"] = _("Choose a significance level between 0.001 and 0.2.")
    if not Decimal("0.5") <= Decimal(experiment.power) <= Decimal("0.99"):
        errors["power"] = _("Choose a power between 0.5 and 0.99.")
    if experiment.minimum_effect is None or experiment.minimum_effect <= 0:
        errors["minimum_effect"] = _("The smallest effect must be above zero.")
    if experiment.baseline is None or experiment.baseline <= 0:
        errors["baseline"] = _("The baseline must be above zero.")
    elif experiment.metric == ExperimentMetric.CONVERSION and experiment.baseline >= 100:
        errors["baseline"] = _("A conversion rate is below 100%.")
    if experiment.kpi is not None and experiment.kpi.org_id != experiment.org_id:
        errors["kpi"] = _("Choose a KPI of this organisation.")
    if experiment.team is not None and experiment.team.org_id != experiment.org_id:
        errors["team"] = _("Choose a team of this organisation.")
    if not is_active_member(org_id=experiment.org_id, user_id=experiment.owner_id):
        errors["owner"] = _("Choose an active member of this organisation.")
    if errors:
        raise ValidationError(errors)


def _clean_names(names: Sequence[str]) -> list[str]:
    cleaned = [name.strip() for name in names if name.strip()]
    if len(cleaned) < 2:
        raise ValidationError({"variants": _("Give at least two variants, the control first.")})
    if len(cleaned) > MAX_VARIANTS:
        raise ValidationError({"variants": _("Compare at most six variants.")})
    if any(len(name) > 80 for name in cleaned):
        raise ValidationError({"variants": _("A variant's name has at most 80 characters.")})
    if len({name.casefold() for name in cleaned}) != len(cleaned):
        raise ValidationError({"variants": _("Each variant needs its own name.")})
    return cleaned


EXPERIMENT_FIELDS = (
    "title",
    "hypothesis",
    "kpi",
    "team",
    "owner",
    "metric",
    "baseline",
    "minimum_effect",
    "alpha",
    "power",
)


@transaction.atomic
def experiment_create(
    *, actor: User, org: Organization, variants: Sequence[str], **values: Any
) -> Experiment:
    experiment = Experiment(org=org, created_by=actor)
    for name in EXPERIMENT_FIELDS:
        if name in values:
            setattr(experiment, name, values[name])
    _check(experiment)
    names = _clean_names(variants)
    experiment.planned_per_variant = planned_sample(
        metric=experiment.metric,
        baseline=experiment.baseline,
        minimum_effect=experiment.minimum_effect,
        alpha=experiment.alpha,
        power=experiment.power,
    )
    experiment.full_clean()
    experiment.save()
    Variant.objects.bulk_create(
        Variant(experiment=experiment, name=name, position=index)
        for index, name in enumerate(names)
    )
    return experiment


@transaction.atomic
def experiment_update(*, actor: User, experiment: Experiment, **values: Any) -> Experiment:
    """While a draft everything may change; once running, only the words (the design is fixed)."""
    experiment = Experiment.objects.select_for_update(of=("self",)).get(pk=experiment.pk)
    fixed = experiment.status != ExperimentStatus.DRAFT
    for name in EXPERIMENT_FIELDS:
        if name not in values:
            continue
        if (
            fixed
            and name not in ("title", "hypothesis", "owner", "team", "kpi")
            and values[name] != getattr(experiment, name)
        ):
            raise ValidationError(
                {name: _("The design is fixed once the experiment runs; start a new one instead.")}
            )
        setattr(experiment, name, values[name])
    _check(experiment)
    experiment.planned_per_variant = planned_sample(
        metric=experiment.metric,
        baseline=experiment.baseline,
        minimum_effect=experiment.minimum_effect,
        alpha=experiment.alpha,
        power=experiment.power,
    )
    experiment.full_clean()
    experiment.save()
    return experiment


@transaction.atomic
def experiment_set_status(
    *, actor: User, experiment: Experiment, status: str, today: date
) -> Experiment:
    experiment = Experiment.objects.select_for_update(of=("self",)).get(pk=experiment.pk)
    allowed = {
        ExperimentStatus.DRAFT: {ExperimentStatus.RUNNING},
        ExperimentStatus.RUNNING: {ExperimentStatus.FINISHED},
        ExperimentStatus.FINISHED: {ExperimentStatus.RUNNING},
    }
    if status not in allowed.get(ExperimentStatus(experiment.status), set()):
        raise ValidationError(_("This change of status is not possible."))
    experiment.status = status
    if status == ExperimentStatus.RUNNING and experiment.started_on is None:
        experiment.started_on = today
    experiment.finished_on = today if status == ExperimentStatus.FINISHED else None
    experiment.save()
    return experiment


@dataclass(frozen=True)
class ResultRow:
    """One row of results to add: a variant's name and either trials/successes or a value."""

    variant: str
    trials: int = 0
    successes: int = 0
    value: Decimal | None = None
    external_id: str = ""


def _variant_map(experiment: Experiment) -> dict[str, Variant]:
    return {v.name.casefold(): v for v in experiment.variants.all()}


def observations_add(*, actor: User, experiment: Experiment, rows: Sequence[ResultRow]) -> int:
    """Add results (from the page, an import or the API): all rows or none. A row with an
    external id that was already sent is skipped, so a repeated batch changes nothing."""
    if experiment.status == ExperimentStatus.FINISHED:
        raise ValidationError(_("The experiment is finished; reopen it to add results."))
    if not rows:
        raise ValidationError(_("There are no results to add."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("Send at most 10,000 rows at a time."))
    variants = _variant_map(experiment)
    conversion = experiment.metric == ExperimentMetric.CONVERSION
    errors: list[str] = []
    objects: list[Observation] = []
    for index, row in enumerate(rows, start=1):
        if len(row.external_id) > 120:
            errors.append(
                str(
                    _("Row %(row)s: the external id is longer than 120 characters.")
                    % {"row": index}
                )
            )
            continue
        variant = variants.get(row.variant.strip().casefold())
        if variant is None:
            errors.append(
                str(
                    _("Row %(row)s: no variant named “%(name)s”.")
                    % {"row": index, "name": row.variant}
                )
            )
            continue
        if conversion:
            if not 1 <= row.trials <= MAX_TRIALS or not 0 <= row.successes <= row.trials:
                errors.append(
                    str(
                        _("Row %(row)s: successes must be between 0 and the trials (at least 1).")
                        % {"row": index}
                    )
                )
                continue
            objects.append(
                Observation(
                    variant=variant,
                    trials=row.trials,
                    successes=row.successes,
                    external_id=row.external_id,
                    created_by=actor,
                )
            )
        else:
            if row.value is None:
                errors.append(str(_("Row %(row)s: give a value.") % {"row": index}))
                continue
            if not row.value.is_finite() or abs(row.value) >= MAX_VALUE:
                errors.append(
                    str(_("Row %(row)s: the value is not a number in range.") % {"row": index})
                )
                continue
            objects.append(
                Observation(
                    variant=variant, value=row.value, external_id=row.external_id, created_by=actor
                )
            )
    if errors:
        raise ValidationError(errors[:20])
    # Rows whose external id was already sent (or repeats within the batch) are skipped here,
    # so the count is of rows really added; ignore_conflicts still covers a concurrent batch.
    sent = set(
        Observation.objects.filter(
            variant__experiment=experiment,
            external_id__in={o.external_id for o in objects if o.external_id},
        ).values_list("variant_id", "external_id")
    )
    fresh = []
    for observation in objects:
        key = (observation.variant.pk, observation.external_id)
        if observation.external_id and key in sent:
            continue
        sent.add(key)
        fresh.append(observation)
    with transaction.atomic():
        Observation.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
    return len(fresh)


def parse_results_csv(*, experiment: Experiment, content: bytes) -> list[ResultRow]:
    """CSV with a header: `variant,trials,successes` for a conversion, `variant,value` for a mean
    (optionally `external_id`). UTF-8, with or without BOM, or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))
    reader = csv.DictReader(io.StringIO(text))
    try:
        fields = {name.strip().lower() for name in reader.fieldnames or []}
    except csv.Error:
        raise ValidationError(_("The file is not readable as CSV.")) from None
    conversion = experiment.metric == ExperimentMetric.CONVERSION
    needed = {"variant", "trials", "successes"} if conversion else {"variant", "value"}
    if not needed <= fields:
        raise ValidationError(
            _("The first line must name the columns: %(columns)s.")
            % {"columns": ", ".join(sorted(needed))}
        )
    rows = []
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ValidationError(
                _("Line %(line)s: not readable as CSV.") % {"line": reader.line_num}
            ) from None
        index = reader.line_num
        # Values beyond the named columns come as a list under the key None: ignored.
        line = {
            k.strip().lower(): (v or "").strip()
            for k, v in raw.items()
            if k is not None and not isinstance(v, list)
        }
        try:
            if conversion:
                rows.append(
                    ResultRow(
                        line["variant"],
                        int(line["trials"]),
                        int(line["successes"]),
                        external_id=line.get("external_id", ""),
                    )
                )
            else:
                rows.append(
                    ResultRow(
                        line["variant"],
                        value=Decimal(line["value"]),
                        external_id=line.get("external_id", ""),
                    )
                )
        except (ValueError, InvalidOperation):
            raise ValidationError(
                _("Line %(line)s: the numbers cannot be read.") % {"line": index}
            ) from None
    return rows


# --- reads --------------------------------------------------------------------------------


def experiments_for(*, org: Organization) -> QuerySet[Experiment]:
    return Experiment.objects.for_org(org).select_related("owner", "kpi", "team")


def experiment_get(*, org: Organization, pk: int) -> Experiment:
    return get_or_404(experiments_for(org=org), pk=pk)


@dataclass
class VariantResult:
    variant: Variant
    trials: int
    successes: int
    n: int
    mean: float | None
    variance: float | None
    analysis: stats.Analysis | None  # against the control; None for the control itself
    verdict: str

    @property
    def rate(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def observed(self) -> int:
        return self.trials if self.n == 0 else self.n


def results_for(*, experiment: Experiment) -> list[VariantResult]:
    """Each variant's totals (one GROUP BY) and its test against the control."""
    squares = ExpressionWrapper(
        F("observations__value") * F("observations__value"), output_field=DecimalField()
    )
    variants = list(
        experiment.variants.annotate(
            total_trials=Sum("observations__trials"),
            total_successes=Sum("observations__successes"),
            values=Count("observations__value"),
            value_sum=Sum("observations__value"),
            value_squares=Sum(squares),
        ).order_by("position", "pk")
    )
    conversion = experiment.metric == ExperimentMetric.CONVERSION
    results: list[VariantResult] = []
    for variant in variants:
        n = int(variant.values or 0)  # type: ignore[attr-defined]
        mean = variance = None
        if not conversion and n >= 2:
            mean, variance = stats.summary_from_sums(
                n=n,
                total=float(variant.value_sum),  # type: ignore[attr-defined]
                total_squares=float(variant.value_squares),  # type: ignore[attr-defined]
            )
        elif not conversion and n == 1:
            mean = float(variant.value_sum)  # type: ignore[attr-defined]
        results.append(
            VariantResult(
                variant=variant,
                trials=int(variant.total_trials or 0),  # type: ignore[attr-defined]
                successes=int(variant.total_successes or 0),  # type: ignore[attr-defined]
                n=n,
                mean=mean,
                variance=variance,
                analysis=None,
                verdict="",
            )
        )
    if not results:
        return results
    control = results[0]
    effect = float(experiment.minimum_effect) / (100 if conversion else 1)
    for result in results[1:]:
        analysis = None
        try:
            if conversion and control.trials and result.trials:
                analysis = stats.two_proportion_test(
                    successes_a=control.successes,
                    trials_a=control.trials,
                    successes_b=result.successes,
                    trials_b=result.trials,
                    alpha=float(experiment.alpha),
                    power=float(experiment.power),
                    minimum_effect=effect,
                )
            elif not conversion and control.variance is not None and result.variance is not None:
                analysis = stats.welch_t_test(
                    mean_a=control.mean or 0.0,
                    var_a=control.variance,
                    n_a=control.n,
                    mean_b=result.mean or 0.0,
                    var_b=result.variance,
                    n_b=result.n,
                    alpha=float(experiment.alpha),
                    power=float(experiment.power),
                    minimum_effect=effect,
                )
        except ValueError:
            analysis = None
        result.analysis = analysis
        result.verdict = (
            stats.verdict_text(
                analysis, variant_a=control.variant.name, variant_b=result.variant.name
            )
            if analysis is not None
            else str(_("Not enough results yet to compare."))
        )
    return results
