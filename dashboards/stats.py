"""Significance tests for strategy experiments (A/B tests).

Pure functions: they take counts or summary statistics and return an `Analysis`; nothing here
touches the database. Only `verdict_text()` uses Django, for translation.

- Conversion (a rate per variant): two-proportion z-test, two-sided. The z statistic and the
  p-value use the pooled standard error (the null hypothesis says the rates are equal); the
  confidence interval of the difference uses the unpooled (Wald) standard error and is clipped
  to [-1, 1], the range a difference of two rates can take.
- Mean (e.g. deal size): Welch's t-test, two-sided, with Welch–Satterthwaite degrees of freedom;
  the confidence interval uses the t quantile at those degrees of freedom.
- Sample sizes: per variant, two-sided, normal approximation.

Degenerate inputs do not raise:
- both conversion rates 0 (or both 1), and two means whose variances are both 0 with the same
  mean: no evidence of a difference, so statistic 0, p-value 1.0, not significant, and the
  confidence interval is the (zero) difference;
- two means whose variances are both 0 but which differ: the difference is certain, so the
  statistic is ±infinity, the p-value 0.0, the result significant, the confidence interval the
  difference itself and `df` None (the Welch–Satterthwaite formula is 0/0). Callers that emit
  strict JSON must handle the infinite statistic;
- a conversion test where one rate is 0 and the other 1: the pooled z-test works, the Wald
  interval has zero width and equals the difference.

`more_needed_per_variant` (only when not significant) is the per-variant sample size needed to
detect the observed difference — or `minimum_effect` when given — with the planned power, minus
the size of the smaller arm, never below 0. It is None when that cannot be computed: the
difference is 0 and no minimum effect is given, the variances are 0, or (conversion) the
baseline rate plus the effect falls outside [0, 1] in both directions.
"""

import math
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext, ngettext
from scipy import stats as _scipy_stats  # type: ignore[import-untyped]

Kind = Literal["conversion", "mean"]

__all__ = [
    "Analysis",
    "sample_size_means",
    "sample_size_proportions",
    "summary_from_sums",
    "two_proportion_test",
    "verdict_text",
    "welch_t_test",
]


@dataclass(frozen=True)
class Analysis:
    kind: Kind  # "conversion" | "mean"
    a: float  # control rate (0–1) or mean
    b: float  # variant rate or mean
    difference: float  # b - a (rates as a fraction; the verdict shows percentage points)
    ci_low: float  # confidence interval of the difference at 1 - alpha
    ci_high: float
    statistic: float  # z or t (±inf for a certain difference, see the module docstring)
    p_value: float  # two-sided
    df: float | None  # Welch degrees of freedom; None for z (and for zero variances)
    significant: bool  # p_value < alpha
    alpha: float
    n_a: int
    n_b: int
    more_needed_per_variant: int | None


# --- validation -----------------------------------------------------------------------------


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")


def _check_levels(alpha: float, power: float) -> None:
    _check_finite("alpha", alpha)
    _check_finite("power", power)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}.")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1 (exclusive), got {power!r}.")


def _check_minimum_effect(minimum_effect: float | None) -> None:
    if minimum_effect is None:
        return
    _check_finite("minimum_effect", minimum_effect)
    if minimum_effect == 0:
        raise ValueError("minimum_effect must not be 0.")


def _check_trials(label: str, successes: int, trials: int) -> None:
    if trials < 1:
        raise ValueError(f"trials_{label} must be at least 1, got {trials!r}.")
    if not 0 <= successes <= trials:
        raise ValueError(
            f"successes_{label} must be between 0 and trials_{label} ({trials}), got {successes!r}."
        )


def _check_sample(label: str, mean: float, var: float, n: int) -> None:
    _check_finite(f"mean_{label}", mean)
    _check_finite(f"var_{label}", var)
    if n < 2:
        raise ValueError(f"n_{label} must be at least 2 to estimate a variance, got {n!r}.")
    if var < 0:
        raise ValueError(f"var_{label} must not be negative, got {var!r}.")


# --- helpers --------------------------------------------------------------------------------


def _z(q: float) -> float:
    """The standard normal quantile at q."""
    return float(_scipy_stats.norm.ppf(q))


def _round_up(n: float) -> int:
    # Tolerate floating-point noise so that an exact integer (62.000000000001) stays put.
    return math.ceil(round(n, 6))


# --- sample sizes ---------------------------------------------------------------------------


def sample_size_proportions(
    *, baseline: float, minimum_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Observations per variant to detect a change of `minimum_effect` from the `baseline` rate.

    Two-sided, normal approximation:
    n = (z_{1-α/2}·sqrt(2·p̄(1-p̄)) + z_{1-β}·sqrt(p1(1-p1) + p2(1-p2)))² / δ², rounded up,
    with p1 = baseline, p2 = baseline + minimum_effect, p̄ = (p1 + p2) / 2. The effect may be
    negative (a drop); p2 must stay within [0, 1].
    """
    _check_levels(alpha, power)
    _check_finite("baseline", baseline)
    _check_minimum_effect(minimum_effect)
    if not 0 <= baseline <= 1:
        raise ValueError(f"baseline must be a rate between 0 and 1, got {baseline!r}.")
    p1 = baseline
    p2 = baseline + minimum_effect
    if not 0 <= p2 <= 1:
        raise ValueError(f"baseline + minimum_effect must be a rate between 0 and 1, got {p2!r}.")
    p_bar = (p1 + p2) / 2
    root = _z(1 - alpha / 2) * math.sqrt(2 * p_bar * (1 - p_bar)) + _z(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return max(1, _round_up(root**2 / minimum_effect**2))


def sample_size_means(
    *, sd: float, minimum_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Observations per variant to detect a difference of `minimum_effect` between two means.

    Two-sided, normal approximation: n = 2·(z_{1-α/2} + z_{1-β})²·sd²/δ², rounded up and at
    least 2 (a variance needs two observations).
    """
    _check_levels(alpha, power)
    _check_finite("sd", sd)
    _check_minimum_effect(minimum_effect)
    if sd <= 0:
        raise ValueError(f"sd must be positive, got {sd!r}.")
    n = 2 * (_z(1 - alpha / 2) + _z(power)) ** 2 * sd**2 / minimum_effect**2
    return max(2, _round_up(n))


# --- tests ----------------------------------------------------------------------------------


def two_proportion_test(
    *,
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    alpha: float = 0.05,
    power: float = 0.8,
    minimum_effect: float | None = None,
) -> Analysis:
    """Two-sided two-proportion z-test of variant B against control A.

    `minimum_effect` (a fraction, e.g. 0.02 for two points; its sign is ignored) sets the
    difference that `more_needed_per_variant` is sized for, instead of the observed one.
    """
    _check_levels(alpha, power)
    _check_minimum_effect(minimum_effect)
    _check_trials("a", successes_a, trials_a)
    _check_trials("b", successes_b, trials_b)

    p_a = successes_a / trials_a
    p_b = successes_b / trials_b
    difference = p_b - p_a
    inverse_n = 1 / trials_a + 1 / trials_b

    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * inverse_n)
    if se_pooled == 0:
        # Both rates are 0 or both are 1: the difference is 0 and there is no evidence.
        statistic, p_value = 0.0, 1.0
    else:
        statistic = difference / se_pooled
        p_value = float(2 * _scipy_stats.norm.sf(abs(statistic)))

    se_wald = math.sqrt(p_a * (1 - p_a) / trials_a + p_b * (1 - p_b) / trials_b)
    margin = _z(1 - alpha / 2) * se_wald
    ci_low = max(-1.0, difference - margin)
    ci_high = min(1.0, difference + margin)

    significant = p_value < alpha
    more_needed = None
    if not significant:
        more_needed = _more_trials(
            p_a, difference, minimum_effect, min(trials_a, trials_b), alpha, power
        )
    return Analysis(
        kind="conversion",
        a=p_a,
        b=p_b,
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        statistic=statistic,
        p_value=p_value,
        df=None,
        significant=significant,
        alpha=alpha,
        n_a=trials_a,
        n_b=trials_b,
        more_needed_per_variant=more_needed,
    )


def _more_trials(
    baseline: float,
    difference: float,
    minimum_effect: float | None,
    n_have: int,
    alpha: float,
    power: float,
) -> int | None:
    if minimum_effect is None:
        candidates = [difference]
    else:
        # Size for the minimum effect in the observed direction (upwards when there is none);
        # if that leaves [0, 1], the other direction.
        size = abs(minimum_effect)
        first = -size if difference < 0 else size
        candidates = [first, -first]
    for effect in candidates:
        if effect != 0 and 0 <= baseline + effect <= 1:
            needed = sample_size_proportions(
                baseline=baseline, minimum_effect=effect, alpha=alpha, power=power
            )
            return max(0, needed - n_have)
    return None


def welch_t_test(
    *,
    mean_a: float,
    var_a: float,
    n_a: int,
    mean_b: float,
    var_b: float,
    n_b: int,
    alpha: float = 0.05,
    power: float = 0.8,
    minimum_effect: float | None = None,
) -> Analysis:
    """Two-sided Welch t-test of variant B's mean against control A's, from summary statistics.

    `var_a`/`var_b` are sample variances (n - 1 denominator; see `summary_from_sums`).
    `minimum_effect` (in the unit of the means; its sign is ignored) sets the difference that
    `more_needed_per_variant` is sized for, instead of the observed one.
    """
    _check_levels(alpha, power)
    _check_minimum_effect(minimum_effect)
    _check_sample("a", mean_a, var_a, n_a)
    _check_sample("b", mean_b, var_b, n_b)

    difference = mean_b - mean_a
    share_a = var_a / n_a
    share_b = var_b / n_b
    se = math.sqrt(share_a + share_b)

    df: float | None
    if se == 0:
        # No variance in either arm: either no difference at all or a certain one.
        df = None
        if difference == 0:
            statistic, p_value = 0.0, 1.0
        else:
            statistic, p_value = math.copysign(math.inf, difference), 0.0
        ci_low = ci_high = difference
    else:
        df = (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
        statistic = difference / se
        p_value = float(2 * _scipy_stats.t.sf(abs(statistic), df))
        margin = float(_scipy_stats.t.ppf(1 - alpha / 2, df)) * se
        ci_low, ci_high = difference - margin, difference + margin

    significant = p_value < alpha
    more_needed = None
    if not significant:
        sd = math.sqrt((var_a + var_b) / 2)
        effect = difference if minimum_effect is None else minimum_effect
        if sd > 0 and effect != 0:
            needed = sample_size_means(sd=sd, minimum_effect=effect, alpha=alpha, power=power)
            more_needed = max(0, needed - min(n_a, n_b))
    return Analysis(
        kind="mean",
        a=mean_a,
        b=mean_b,
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        statistic=statistic,
        p_value=p_value,
        df=df,
        significant=significant,
        alpha=alpha,
        n_a=n_a,
        n_b=n_b,
        more_needed_per_variant=more_needed,
    )


def summary_from_sums(*, n: int, total: float, total_squares: float) -> tuple[float, float]:
    """(mean, sample variance with n - 1) from a count, a sum and a sum of squares.

    Such sums can be aggregated in SQL. The variance is clamped at 0 against rounding error
    (Σx² - (Σx)²/n cancels badly when the values are large and nearly equal).
    """
    _check_finite("total", total)
    _check_finite("total_squares", total_squares)
    if n < 2:
        raise ValueError(f"n must be at least 2 to estimate a variance, got {n!r}.")
    if total_squares < 0:
        raise ValueError(f"total_squares must not be negative, got {total_squares!r}.")
    mean = total / n
    variance = (total_squares - total * total / n) / (n - 1)
    return mean, max(0.0, variance)


# --- verdict --------------------------------------------------------------------------------


def _format_number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0"


def _decimals_for(value: float) -> int:
    """One decimal, or more until a non-zero value shows a non-zero digit (at most 6)."""
    decimals = 1
    while decimals < 6 and value != 0 and round(abs(value), decimals) == 0:
        decimals += 1
    return decimals


def _format_p(p_value: float, alpha: float, significant: bool) -> str:
    """ "p = 0.21", "p = 0.006", "p < 0.001": the fewest decimals that keep the right side of α."""
    if p_value < 0.001 and significant and alpha > 0.001:
        return "p < 0.001"
    for decimals in (2, 3, 4, 5, 6):
        if decimals == 2 and p_value < 0.01:
            continue
        shown = round(p_value, decimals)
        if (shown < alpha) == significant:
            return f"p = {shown:.{decimals}f}"
    return f"p = {p_value:.2g}"


def _ci_level(alpha: float) -> str:
    return f"{round((1 - alpha) * 100, 6):g}"


def verdict_text(analysis: Analysis, *, variant_a: str, variant_b: str) -> str:
    """One translated sentence on the result, e.g.
    "B converts 4.1 points better than A, 95% CI 1.2 to 7.0; significant (p = 0.006)."
    """
    p = _format_p(analysis.p_value, analysis.alpha, analysis.significant)
    if not analysis.significant:
        return _not_significant_text(analysis, p)

    conversion = analysis.kind == "conversion"
    scale = 100 if conversion else 1  # rates are shown in percentage points
    difference = analysis.difference * scale
    decimals = _decimals_for(difference)
    params = {
        "variant_a": variant_a,
        "variant_b": variant_b,
        "difference": _format_number(abs(difference), decimals),
        "level": _ci_level(analysis.alpha),
        "ci_low": _format_number(analysis.ci_low * scale, decimals),
        "ci_high": _format_number(analysis.ci_high * scale, decimals),
        "p": p,
    }
    if conversion and difference >= 0:
        # Translators: difference and the interval are in percentage points; p is a formatted
        # p-value such as "p = 0.006" or "p < 0.001".
        message = gettext(
            "%(variant_b)s converts %(difference)s points better than %(variant_a)s, "
            "%(level)s%% CI %(ci_low)s to %(ci_high)s; significant (%(p)s)."
        )
    elif conversion:
        # Translators: difference and the interval are in percentage points; p is a formatted
        # p-value such as "p = 0.006" or "p < 0.001".
        message = gettext(
            "%(variant_b)s converts %(difference)s points worse than %(variant_a)s, "
            "%(level)s%% CI %(ci_low)s to %(ci_high)s; significant (%(p)s)."
        )
    elif difference >= 0:
        # Translators: p is a formatted p-value such as "p = 0.006" or "p < 0.001".
        message = gettext(
            "%(variant_b)s averages %(difference)s more than %(variant_a)s, "
            "%(level)s%% CI %(ci_low)s to %(ci_high)s; significant (%(p)s)."
        )
    else:
        # Translators: p is a formatted p-value such as "p = 0.006" or "p < 0.001".
        message = gettext(
            "%(variant_b)s averages %(difference)s less than %(variant_a)s, "
            "%(level)s%% CI %(ci_low)s to %(ci_high)s; significant (%(p)s)."
        )
    return message % params


def _not_significant_text(analysis: Analysis, p: str) -> str:
    count = analysis.more_needed_per_variant
    if count is None:
        # Translators: p is a formatted p-value such as "p = 0.21".
        return gettext("Not significant (%(p)s).") % {"p": p}
    if count == 0:
        # Translators: p is a formatted p-value such as "p = 0.21".
        return gettext(
            "Not significant (%(p)s), although the sample is already large enough for the "
            "planned power: any real difference is probably smaller than the one looked for."
        ) % {"p": p}
    if analysis.kind == "conversion":
        # Translators: p is a formatted p-value such as "p = 0.21".
        message = ngettext(
            "Not yet significant (%(p)s): about %(count)s more trial per variant is needed "
            "to tell.",
            "Not yet significant (%(p)s): about %(count)s more trials per variant are needed "
            "to tell.",
            count,
        )
    else:
        # Translators: p is a formatted p-value such as "p = 0.21".
        message = ngettext(
            "Not yet significant (%(p)s): about %(count)s more observation per variant is "
            "needed to tell.",
            "Not yet significant (%(p)s): about %(count)s more observations per variant are "
            "needed to tell.",
            count,
        )
    return message % {"p": p, "count": count}
