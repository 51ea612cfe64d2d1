"""Experiment statistics: textbook values, scipy cross-checks, validation, verdicts, edge cases.

No database. Expected values are computed independently of `dashboards.stats`: by hand from the
textbook formulas (with `math.erfc` for the normal tail) or with scipy's own t-test on samples.
"""

import math
import statistics

import pytest
from django.utils import translation
from scipy import stats as scipy_stats

from dashboards.stats import (
    Analysis,
    sample_size_means,
    sample_size_proportions,
    summary_from_sums,
    two_proportion_test,
    verdict_text,
    welch_t_test,
)

Z_975 = 1.959963984540054  # standard normal quantile at 0.975


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def analysis(**overrides) -> Analysis:
    values = {
        "kind": "conversion",
        "a": 0.2,
        "b": 0.241,
        "difference": 0.041,
        "ci_low": 0.012,
        "ci_high": 0.070,
        "statistic": 2.75,
        "p_value": 0.006,
        "df": None,
        "significant": True,
        "alpha": 0.05,
        "n_a": 1000,
        "n_b": 1000,
        "more_needed_per_variant": None,
    }
    values.update(overrides)
    return Analysis(**values)


# --- two-proportion z-test ------------------------------------------------------------------


def test_two_proportions_textbook_example():
    result = two_proportion_test(successes_a=200, trials_a=1000, successes_b=250, trials_b=1000)

    pooled = 450 / 2000
    z = 0.05 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    wald_se = math.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000)
    assert result.kind == "conversion"
    assert (result.a, result.b) == pytest.approx((0.2, 0.25))
    assert result.difference == pytest.approx(0.05)
    assert result.statistic == pytest.approx(z)
    assert result.statistic == pytest.approx(2.677, abs=1e-3)
    assert result.p_value == pytest.approx(normal_two_sided_p(z))
    assert result.p_value == pytest.approx(0.0074, abs=1e-4)
    assert result.ci_low == pytest.approx(0.05 - Z_975 * wald_se)
    assert result.ci_high == pytest.approx(0.05 + Z_975 * wald_se)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.01346, 0.08654), abs=1e-5)
    assert result.df is None
    assert result.significant is True
    assert result.alpha == 0.05
    assert (result.n_a, result.n_b) == (1000, 1000)
    assert result.more_needed_per_variant is None


def test_two_proportions_negative_difference_is_symmetric():
    up = two_proportion_test(successes_a=200, trials_a=1000, successes_b=250, trials_b=1000)
    down = two_proportion_test(successes_a=250, trials_a=1000, successes_b=200, trials_b=1000)
    assert down.difference == pytest.approx(-up.difference)
    assert down.statistic == pytest.approx(-up.statistic)
    assert down.p_value == pytest.approx(up.p_value)
    assert (down.ci_low, down.ci_high) == pytest.approx((-up.ci_high, -up.ci_low))


def test_two_proportions_unequal_arms_and_alpha():
    result = two_proportion_test(
        successes_a=30, trials_a=400, successes_b=52, trials_b=500, alpha=0.1
    )
    p_a, p_b = 30 / 400, 52 / 500
    pooled = 82 / 900
    z = (p_b - p_a) / math.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 500))
    wald_se = math.sqrt(p_a * (1 - p_a) / 400 + p_b * (1 - p_b) / 500)
    z_95 = 1.6448536269514722
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(normal_two_sided_p(z))
    assert result.ci_low == pytest.approx(p_b - p_a - z_95 * wald_se)
    assert result.ci_high == pytest.approx(p_b - p_a + z_95 * wald_se)
    assert result.significant is (result.p_value < 0.1)


def test_two_proportions_not_significant_sizes_for_the_observed_difference():
    result = two_proportion_test(successes_a=100, trials_a=1000, successes_b=110, trials_b=1000)
    assert result.p_value == pytest.approx(0.466, abs=1e-3)
    assert result.significant is False
    # Hand: p̄ = 0.105, n = (1.96·√(2·.105·.895) + 0.8416·√(.09 + .0979))² / 0.01² ≈ 14750.8
    assert sample_size_proportions(baseline=0.1, minimum_effect=0.01) == 14751
    assert result.more_needed_per_variant == 14751 - 1000


def test_two_proportions_more_needed_uses_the_smaller_arm_and_the_minimum_effect():
    result = two_proportion_test(
        successes_a=100, trials_a=800, successes_b=110, trials_b=1000, minimum_effect=0.03
    )
    assert result.significant is False
    needed = sample_size_proportions(baseline=100 / 800, minimum_effect=-0.03)  # observed drop
    assert needed > 1000
    assert result.more_needed_per_variant == needed - 800


def test_two_proportions_more_needed_is_zero_when_the_sample_is_already_large_enough():
    result = two_proportion_test(
        successes_a=1000, trials_a=10000, successes_b=1010, trials_b=10000, minimum_effect=0.05
    )
    assert result.significant is False
    assert result.more_needed_per_variant == 0


@pytest.mark.parametrize("successes, trials", [(0, 100), (100, 100)])
def test_two_proportions_both_rates_zero_or_one(successes, trials):
    result = two_proportion_test(
        successes_a=successes, trials_a=trials, successes_b=successes, trials_b=trials
    )
    assert result.difference == 0
    assert result.statistic == 0
    assert result.p_value == 1.0
    assert (result.ci_low, result.ci_high) == (0, 0)
    assert result.significant is False
    assert result.more_needed_per_variant is None  # no difference to size for


def test_two_proportions_zero_rates_with_a_minimum_effect():
    result = two_proportion_test(
        successes_a=0, trials_a=100, successes_b=0, trials_b=100, minimum_effect=0.05
    )
    # Hand: p̄ = .025, (1.96·√(2·.025·.975) + 0.8416·√.0475)² / .05² ≈ 151.9
    assert result.more_needed_per_variant == 152 - 100


def test_two_proportions_all_rates_one_sizes_the_minimum_effect_downwards():
    result = two_proportion_test(
        successes_a=50, trials_a=50, successes_b=50, trials_b=50, minimum_effect=0.1
    )
    assert result.more_needed_per_variant == max(
        0, sample_size_proportions(baseline=1.0, minimum_effect=-0.1) - 50
    )


def test_two_proportions_zero_against_one():
    result = two_proportion_test(successes_a=0, trials_a=50, successes_b=50, trials_b=50)
    assert result.difference == 1.0
    assert result.statistic == pytest.approx(10.0)  # pooled SE = √(.5·.5·2/50) = 0.1
    assert result.significant is True
    assert (result.ci_low, result.ci_high) == (1.0, 1.0)  # Wald SE is 0


def test_two_proportions_ci_is_clipped_to_the_possible_range():
    result = two_proportion_test(successes_a=0, trials_a=2, successes_b=1, trials_b=1)
    assert -1.0 <= result.ci_low <= result.ci_high <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"trials_a": 0}, "trials_a must be at least 1"),
        ({"trials_b": -1}, "trials_b must be at least 1"),
        ({"successes_a": -1}, "successes_a must be between 0 and trials_a"),
        ({"successes_b": 101}, "successes_b must be between 0 and trials_b"),
        ({"alpha": 0}, "alpha must be between 0 and 1"),
        ({"alpha": 1}, "alpha must be between 0 and 1"),
        ({"power": 1.0}, "power must be between 0 and 1"),
        ({"power": 0}, "power must be between 0 and 1"),
        ({"alpha": math.nan}, "alpha must be a finite number"),
        ({"minimum_effect": 0}, "minimum_effect must not be 0"),
    ],
)
def test_two_proportions_validation(kwargs, message):
    arguments = {"successes_a": 10, "trials_a": 100, "successes_b": 12, "trials_b": 100}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        two_proportion_test(**arguments)


# --- Welch's t-test -------------------------------------------------------------------------


def test_welch_hand_computed_example():
    # A = 1..5 (mean 3, variance 2.5), B = 2, 4, …, 10 (mean 6, variance 10).
    result = welch_t_test(mean_a=3, var_a=2.5, n_a=5, mean_b=6, var_b=10, n_b=5)
    # SE² = 2.5/5 + 10/5 = 2.5; df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625
    assert result.kind == "mean"
    assert result.difference == 3
    assert result.statistic == pytest.approx(3 / math.sqrt(2.5))
    assert result.df == pytest.approx(6.25 / 1.0625)
    assert result.df == pytest.approx(5.882, abs=1e-3)


SAMPLE_A = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7]
SAMPLE_B = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5]


def sums(sample: list[float]) -> dict[str, float]:
    return {"n": len(sample), "total": sum(sample), "total_squares": sum(x * x for x in sample)}


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_welch_matches_scipy_on_explicit_samples(alpha):
    mean_a, var_a = summary_from_sums(**sums(SAMPLE_A))
    mean_b, var_b = summary_from_sums(**sums(SAMPLE_B))
    result = welch_t_test(
        mean_a=mean_a,
        var_a=var_a,
        n_a=len(SAMPLE_A),
        mean_b=mean_b,
        var_b=var_b,
        n_b=len(SAMPLE_B),
        alpha=alpha,
    )

    reference = scipy_stats.ttest_ind(SAMPLE_B, SAMPLE_A, equal_var=False)
    interval = reference.confidence_interval(confidence_level=1 - alpha)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.df == pytest.approx(reference.df)
    assert result.ci_low == pytest.approx(interval.low)
    assert result.ci_high == pytest.approx(interval.high)
    assert result.difference == pytest.approx(statistics.mean(SAMPLE_B) - statistics.mean(SAMPLE_A))
    assert result.significant is bool(reference.pvalue < alpha)


def test_welch_matches_scipy_from_stats_with_unequal_sizes():
    result = welch_t_test(
        mean_a=1520.0, var_a=250.0**2, n_a=40, mean_b=1390.0, var_b=90.0**2, n_b=12
    )
    reference = scipy_stats.ttest_ind_from_stats(
        mean1=1390.0, std1=90.0, nobs1=12, mean2=1520.0, std2=250.0, nobs2=40, equal_var=False
    )
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.difference == -130.0
    assert result.ci_low < -130.0 < result.ci_high


def test_welch_not_significant_sizes_with_the_average_variance():
    result = welch_t_test(mean_a=100, var_a=400, n_a=20, mean_b=105, var_b=200, n_b=25)
    assert result.significant is False
    needed = sample_size_means(sd=math.sqrt(300), minimum_effect=5)
    assert result.more_needed_per_variant == needed - 20


def test_welch_not_significant_with_a_minimum_effect():
    result = welch_t_test(
        mean_a=100, var_a=100, n_a=10, mean_b=101, var_b=100, n_b=10, minimum_effect=5
    )
    assert result.more_needed_per_variant == 63 - 10  # sd 10, effect 5: 63 per variant


def test_welch_zero_variance_and_no_difference():
    result = welch_t_test(mean_a=5, var_a=0, n_a=10, mean_b=5, var_b=0, n_b=10)
    assert result.statistic == 0
    assert result.p_value == 1.0
    assert result.df is None
    assert (result.ci_low, result.ci_high) == (0, 0)
    assert result.significant is False
    assert result.more_needed_per_variant is None


def test_welch_zero_variance_with_a_difference_is_certain():
    result = welch_t_test(mean_a=5, var_a=0, n_a=10, mean_b=7, var_b=0, n_b=10)
    assert result.statistic == math.inf
    assert result.p_value == 0.0
    assert result.df is None
    assert (result.ci_low, result.ci_high) == (2, 2)
    assert result.significant is True
    assert result.more_needed_per_variant is None

    lower = welch_t_test(mean_a=7, var_a=0, n_a=10, mean_b=5, var_b=0, n_b=10)
    assert lower.statistic == -math.inf


def test_welch_one_zero_variance_still_has_degrees_of_freedom():
    result = welch_t_test(mean_a=5, var_a=0, n_a=10, mean_b=6, var_b=4, n_b=8)
    assert result.df == pytest.approx(7)  # only B contributes: n_b - 1
    assert result.statistic == pytest.approx(1 / math.sqrt(4 / 8))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_a": 1}, "n_a must be at least 2"),
        ({"n_b": 0}, "n_b must be at least 2"),
        ({"var_a": -0.1}, "var_a must not be negative"),
        ({"var_b": -1}, "var_b must not be negative"),
        ({"mean_a": math.inf}, "mean_a must be a finite number"),
        ({"var_b": math.nan}, "var_b must be a finite number"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"power": -0.2}, "power must be between 0 and 1"),
        ({"minimum_effect": 0.0}, "minimum_effect must not be 0"),
    ],
)
def test_welch_validation(kwargs, message):
    arguments = {"mean_a": 10, "var_a": 4, "n_a": 10, "mean_b": 11, "var_b": 5, "n_b": 10}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        welch_t_test(**arguments)


# --- sample sizes ---------------------------------------------------------------------------


def test_sample_size_proportions_standard_values():
    assert sample_size_proportions(baseline=0.20, minimum_effect=0.05) == 1094
    assert sample_size_proportions(baseline=0.10, minimum_effect=0.02) == 3841


def test_sample_size_proportions_matches_the_formula():
    baseline, effect, alpha, power = 0.3, -0.04, 0.01, 0.9
    p2 = baseline + effect
    p_bar = (baseline + p2) / 2
    z_alpha = scipy_stats.norm.ppf(1 - alpha / 2)
    z_beta = scipy_stats.norm.ppf(power)
    n = (
        z_alpha * math.sqrt(2 * p_bar * (1 - p_bar))
        + z_beta * math.sqrt(baseline * (1 - baseline) + p2 * (1 - p2))
    ) ** 2 / effect**2
    result = sample_size_proportions(
        baseline=baseline, minimum_effect=effect, alpha=alpha, power=power
    )
    assert result == math.ceil(n)


def test_sample_size_means_standard_values():
    assert sample_size_means(sd=10, minimum_effect=5) == 63
    assert sample_size_means(sd=10, minimum_effect=-5) == 63
    assert sample_size_means(sd=1, minimum_effect=0.5, power=0.9) == 85  # 2·(1.96+1.2816)²·4
    assert sample_size_means(sd=1, minimum_effect=100) == 2  # never below two observations


def test_sample_sizes_grow_with_power_and_shrink_with_effect():
    assert sample_size_means(sd=10, minimum_effect=5, power=0.9) > 63
    assert sample_size_means(sd=10, minimum_effect=10) < 63
    assert sample_size_proportions(baseline=0.2, minimum_effect=0.05, alpha=0.01) > 1094


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"baseline": -0.1}, "baseline must be a rate between 0 and 1"),
        ({"baseline": 1.2}, "baseline must be a rate between 0 and 1"),
        ({"minimum_effect": 0}, "minimum_effect must not be 0"),
        ({"minimum_effect": 0.9}, "baseline \\+ minimum_effect must be a rate"),
        ({"minimum_effect": -0.3}, "baseline \\+ minimum_effect must be a rate"),
        ({"alpha": 0}, "alpha must be between 0 and 1"),
        ({"power": 1}, "power must be between 0 and 1"),
    ],
)
def test_sample_size_proportions_validation(kwargs, message):
    arguments = {"baseline": 0.2, "minimum_effect": 0.05}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sample_size_proportions(**arguments)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sd": 0}, "sd must be positive"),
        ({"sd": -1}, "sd must be positive"),
        ({"minimum_effect": 0}, "minimum_effect must not be 0"),
        ({"alpha": -0.05}, "alpha must be between 0 and 1"),
        ({"power": 0}, "power must be between 0 and 1"),
    ],
)
def test_sample_size_means_validation(kwargs, message):
    arguments = {"sd": 10, "minimum_effect": 5}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sample_size_means(**arguments)


# --- summaries ------------------------------------------------------------------------------


def test_summary_from_sums():
    sample = [2, 4, 4, 4, 5, 5, 7, 9]
    mean, variance = summary_from_sums(**sums(sample))
    assert mean == 5
    assert variance == pytest.approx(32 / 7)
    assert variance == pytest.approx(statistics.variance(sample))


def test_summary_from_sums_never_returns_a_negative_variance():
    value = 123456789.1
    mean, variance = summary_from_sums(n=3, total=3 * value, total_squares=3 * value * value)
    assert mean == pytest.approx(value)
    assert variance >= 0


@pytest.mark.parametrize("n", [1, 0, -3])
def test_summary_from_sums_needs_two_observations(n):
    with pytest.raises(ValueError, match="n must be at least 2"):
        summary_from_sums(n=n, total=10, total_squares=100)


# --- verdicts -------------------------------------------------------------------------------


def test_verdict_significant_conversion():
    text = verdict_text(analysis(), variant_a="A", variant_b="B")
    assert (
        text == "B converts 4.1 points better than A, 95% CI 1.2 to 7.0; significant (p = 0.006)."
    )


def test_verdict_significant_conversion_worse_with_names_and_level():
    result = analysis(difference=-0.041, ci_low=-0.070, ci_high=-0.012, alpha=0.1, p_value=0.03)
    text = verdict_text(result, variant_a="Cold calls", variant_b="Warm intros")
    assert text == (
        "Warm intros converts 4.1 points worse than Cold calls, 90% CI -7.0 to -1.2; "
        "significant (p = 0.03)."
    )


def test_verdict_from_a_real_conversion_test():
    result = two_proportion_test(successes_a=200, trials_a=1000, successes_b=250, trials_b=1000)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert (
        text == "B converts 5.0 points better than A, 95% CI 1.3 to 8.7; significant (p = 0.007)."
    )


def test_verdict_significant_means():
    result = analysis(
        kind="mean", difference=12.3, ci_low=3.1, ci_high=21.5, p_value=0.009, df=40.2
    )
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == "B averages 12.3 more than A, 95% CI 3.1 to 21.5; significant (p = 0.009)."


def test_verdict_significant_means_less():
    result = analysis(
        kind="mean", difference=-12.3, ci_low=-21.5, ci_high=-3.1, p_value=0.0004, alpha=0.01
    )
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == "B averages 12.3 less than A, 99% CI -21.5 to -3.1; significant (p < 0.001)."


def test_verdict_small_differences_keep_a_significant_digit():
    result = analysis(kind="mean", difference=0.034, ci_low=0.012, ci_high=0.056, p_value=0.002)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == "B averages 0.03 more than A, 95% CI 0.01 to 0.06; significant (p = 0.002)."


def test_verdict_not_significant_conversion():
    result = analysis(significant=False, p_value=0.21, more_needed_per_variant=420)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == (
        "Not yet significant (p = 0.21): about 420 more trials per variant are needed to tell."
    )


def test_verdict_not_significant_means():
    result = analysis(kind="mean", significant=False, p_value=0.21, more_needed_per_variant=35)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == (
        "Not yet significant (p = 0.21): about 35 more observations per variant are needed to tell."
    )


def test_verdict_not_significant_singular():
    result = analysis(kind="mean", significant=False, p_value=0.3, more_needed_per_variant=1)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == (
        "Not yet significant (p = 0.30): about 1 more observation per variant is needed to tell."
    )


def test_verdict_not_significant_from_a_real_test():
    result = two_proportion_test(successes_a=100, trials_a=1000, successes_b=110, trials_b=1000)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == (
        "Not yet significant (p = 0.47): about 13751 more trials per variant are needed to tell."
    )


def test_verdict_not_significant_without_a_size():
    result = two_proportion_test(successes_a=0, trials_a=10, successes_b=0, trials_b=10)
    assert verdict_text(result, variant_a="A", variant_b="B") == "Not significant (p = 1.00)."


def test_verdict_not_significant_with_enough_data():
    result = analysis(significant=False, p_value=0.62, more_needed_per_variant=0)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text.startswith("Not significant (p = 0.62), although the sample is already large")


def test_verdict_p_value_never_reads_on_the_wrong_side_of_alpha():
    just_significant = analysis(p_value=0.0499)
    assert verdict_text(just_significant, variant_a="A", variant_b="B").endswith(
        "significant (p = 0.0499)."
    )
    just_not = analysis(significant=False, p_value=0.0501, more_needed_per_variant=5)
    assert "(p = 0.05)" in verdict_text(just_not, variant_a="A", variant_b="B")


def test_verdict_for_a_certain_difference():
    result = welch_t_test(mean_a=5, var_a=0, n_a=10, mean_b=7, var_b=0, n_b=10)
    text = verdict_text(result, variant_a="A", variant_b="B")
    assert text == "B averages 2.0 more than A, 95% CI 2.0 to 2.0; significant (p < 0.001)."
