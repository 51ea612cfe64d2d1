"""The month cube answers a KPI's value for any scope from its indexed cells."""

from datetime import date
from decimal import Decimal

from goals.metrics import Cube, KpiSpec, MonthCell, Scope

APRIL, MAY = date(2026, 4, 1), date(2026, 5, 1)
EAST, WEST = 1, 2
ANN, BOB = 10, 11
REVENUE, PIPELINE, WON, LEADS = 100, 101, 102, 103


def cell(total: int, count: int = 1, day: date = APRIL, last: int | None = None) -> MonthCell:
    return MonthCell(Decimal(total), count, day, Decimal(total if last is None else last))


CUBE = Cube(
    {
        (REVENUE, EAST, ANN, APRIL): cell(10),
        (REVENUE, EAST, BOB, APRIL): cell(20),
        (REVENUE, WEST, ANN, APRIL): cell(5),  # Ann also sells for West
        (REVENUE, WEST, None, MAY): cell(7),  # a team figure without an owner
        (REVENUE, None, BOB, MAY): cell(3),  # an owner without a team
        (PIPELINE, EAST, None, APRIL): cell(40, day=date(2026, 4, 20)),
        (PIPELINE, WEST, None, MAY): cell(60, day=date(2026, 5, 10)),
        (WON, EAST, None, APRIL): cell(2),
        (WON, WEST, None, APRIL): cell(3),
        (LEADS, EAST, None, APRIL): cell(20),
        (LEADS, WEST, None, APRIL): cell(10),
    }
)
SUM = KpiSpec(id=REVENUE, aggregation="sum", unit="currency")
LAST = KpiSpec(id=PIPELINE, aggregation="last", unit="currency")
RATIO = KpiSpec(id=999, aggregation="ratio", unit="percent", numerator_id=WON, denominator_id=LEADS)


def test_every_scope_sums_only_its_own_cells():
    both = [APRIL, MAY]
    assert CUBE.value(SUM, Scope(), both) == 45
    assert CUBE.value(SUM, Scope(team_ids=frozenset({EAST})), both) == 30
    assert CUBE.value(SUM, Scope(team_ids=frozenset({EAST, WEST})), both) == 42
    assert CUBE.value(SUM, Scope(owner_id=ANN), both) == 15  # in any team
    assert CUBE.value(SUM, Scope(owner_id=BOB), both) == 23  # with and without a team
    assert CUBE.value(SUM, Scope(team_ids=frozenset({WEST}), owner_id=ANN), both) == 5
    assert CUBE.value(SUM, Scope(owner_id=BOB), [APRIL]) == 20
    assert CUBE.value(SUM, Scope(owner_id=999), both) is None
    assert CUBE.monthly(SUM, Scope(team_ids=frozenset({WEST})), both) == [(APRIL, 5.0), (MAY, 7.0)]


def test_last_value_and_ratio_kpis():
    assert CUBE.value(LAST, Scope(), [APRIL, MAY]) == 60  # the latest day wins
    assert CUBE.value(LAST, Scope(team_ids=frozenset({EAST})), [APRIL, MAY]) == 40
    assert CUBE.value(RATIO, Scope(), [APRIL]) == 100 * 5 / 30  # Σwon ÷ Σleads
    assert CUBE.value(RATIO, Scope(team_ids=frozenset({WEST})), [APRIL]) == 30
    assert CUBE.value(RATIO, Scope(), [MAY]) is None
    assert CUBE.teams_with_data(RATIO) == {EAST, WEST}
