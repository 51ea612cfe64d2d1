"""KPI values from monthly aggregates, without the database.

Selectors load measurements once, already aggregated per KPI × team × owner × month
in SQL (`MonthCell`), and this module answers every question a page asks from them:
a KPI's value over any set of months for any scope. Ratio KPIs are always
Σnumerator ÷ Σdenominator over the months asked for, never an average of ratios.

Scopes: a company goal counts every measurement of the KPI; a team goal the
measurements recorded for its team; an individual goal those recorded for its owner.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class MonthCell:
    total: Decimal
    count: int
    last_day: date
    last_value: Decimal


@dataclass(frozen=True)
class KpiSpec:
    id: int
    aggregation: str  # sum | average | last | ratio
    unit: str
    numerator_id: int | None = None
    denominator_id: int | None = None


@dataclass(frozen=True)
class Scope:
    team_ids: frozenset[int] | None = None  # None: any team
    owner_id: int | None = None  # None: any owner

    def admits(self, team_id: int | None, owner_id: int | None) -> bool:
        if self.team_ids is not None and team_id not in self.team_ids:
            return False
        return self.owner_id is None or owner_id == self.owner_id


CellKey = tuple[int, int | None, int | None, date]  # kpi, team, owner, month
Entry = tuple[CellKey, MonthCell]


class Cube:
    """Month cells indexed by KPI and month, and again by owner and by team, so that a value
    for one scope reads only that scope's cells, however many owners and teams the KPI has."""

    def __init__(self, cells: dict[CellKey, MonthCell]) -> None:
        self._by_kpi: dict[int, list[Entry]] = defaultdict(list)
        self._by_month: dict[tuple[int, date], list[Entry]] = defaultdict(list)
        self._by_owner: dict[tuple[int, int, date], list[Entry]] = defaultdict(list)
        self._by_team: dict[tuple[int, int, date], list[Entry]] = defaultdict(list)
        for key, cell in cells.items():
            kpi, team, owner, month = key
            self._by_kpi[kpi].append((key, cell))
            self._by_month[(kpi, month)].append((key, cell))
            if owner is not None:
                self._by_owner[(kpi, owner, month)].append((key, cell))
            if team is not None:
                self._by_team[(kpi, team, month)].append((key, cell))

    def _candidates(self, kpi_id: int, scope: Scope, month: date) -> Iterable[Entry]:
        if scope.owner_id is not None:
            return self._by_owner.get((kpi_id, scope.owner_id, month), ())
        if scope.team_ids is not None:
            return [
                entry
                for team in scope.team_ids
                for entry in self._by_team.get((kpi_id, team, month), ())
            ]
        return self._by_month.get((kpi_id, month), ())

    def _cells(self, kpi_id: int, scope: Scope, months: set[date]) -> list[MonthCell]:
        return [
            cell
            for month in months
            for (_kpi, team, owner, _month), cell in self._candidates(kpi_id, scope, month)
            if scope.admits(team, owner)
        ]

    @staticmethod
    def _combine(cells: list[MonthCell], aggregation: str) -> Decimal | None:
        if not cells:
            return None
        if aggregation in ("sum", "ratio"):
            return sum((cell.total for cell in cells), Decimal(0))
        if aggregation == "average":
            count = sum(cell.count for cell in cells)
            return sum((cell.total for cell in cells), Decimal(0)) / count if count else None
        if aggregation == "last":
            return max(cells, key=lambda cell: cell.last_day).last_value
        raise ValueError(aggregation)

    def value(self, kpi: KpiSpec, scope: Scope, months: Iterable[date]) -> float | None:
        wanted = set(months)
        if kpi.aggregation == "ratio":
            assert kpi.numerator_id is not None and kpi.denominator_id is not None
            numerator = self._combine(self._cells(kpi.numerator_id, scope, wanted), "sum")
            denominator = self._combine(self._cells(kpi.denominator_id, scope, wanted), "sum")
            if numerator is None or not denominator:
                return None
            ratio = numerator / denominator
            return float(ratio * 100 if kpi.unit == "percent" else ratio)
        combined = self._combine(self._cells(kpi.id, scope, wanted), kpi.aggregation)
        return None if combined is None else float(combined)

    def monthly(
        self, kpi: KpiSpec, scope: Scope, months: Iterable[date]
    ) -> list[tuple[date, float | None]]:
        return [(month, self.value(kpi, scope, [month])) for month in months]

    def teams_with_data(self, kpi: KpiSpec) -> set[int]:
        ids = [kpi.numerator_id, kpi.denominator_id] if kpi.aggregation == "ratio" else [kpi.id]
        return {
            key[1] for kpi_id in ids if kpi_id for key, _ in self._by_kpi.get(kpi_id, []) if key[1]
        }


def window_changes(values: list[float | None]) -> tuple[float, ...]:
    """Relative change between consecutive windows that both have a non-zero value."""
    changes = []
    for previous, current in zip(values, values[1:], strict=False):
        if previous is None or current is None or previous == 0:
            continue
        changes.append((current - previous) / abs(previous))
    return tuple(changes)
