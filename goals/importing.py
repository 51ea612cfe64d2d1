"""Read KPI measurements from CRM exports (CSV or XLSX) and check them row by row.

Pure: no database, no network. The caller looks up the organisation's KPIs, teams and
people, passes them in as lower-cased names, and gets back parsed rows plus every problem
found, each with the row number a person sees when opening the file.

Chinese Excel saves CSV in GB18030/GBK as often as UTF-8, so bytes are decoded by trying
UTF-8 (with and without BOM) and then GB18030, which is a superset of GBK and GB2312.
"""

import calendar
import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

import openpyxl
from django.utils.translation import gettext as _

MAX_ROWS = 50_000

# Measurement.value is DecimalField(max_digits=18, decimal_places=4): anything with more
# integer digits would only fail when the import job writes, after the preview said "ok".
MAX_INTEGER_DIGITS = 14

PERIOD_KINDS = ("day", "week", "month")

# Enough lines for csv.Sniffer to see a consistent delimiter without scanning a big file.
_SNIFF_CHARS = 16_384
_DELIMITERS = ",;\t"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is shown to the user as is."""


def decode(data: bytes) -> tuple[str, str]:
    """Return the text and the name of the encoding that decoded it."""
    # Order matters: a BOM is proof of UTF-8, plain UTF-8 is strict enough that Chinese
    # GBK text almost never passes it, and GB18030 comes last because it accepts much more.
    with_bom = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ()
    for encoding in (*with_bom, "utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file could not be read: save it as UTF-8 or GB18030 (GBK) text."))


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    encoding: str  # "xlsx" for Excel files
    # Blank lines are skipped but still count, so a row's position in `rows` is not the
    # number the user sees. Empty means "numbered 2, 3, ... under a header on row 1".
    row_numbers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.row_numbers and len(self.row_numbers) != len(self.rows):
            raise ValueError("row_numbers must give one number per row")

    def numbered_rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        numbers: Sequence[int] = self.row_numbers or range(2, len(self.rows) + 2)
        return zip(numbers, self.rows, strict=True)


def read_table(*, data: bytes, filename: str) -> Table:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(
            _("“%(name)s” is not a CSV or XLSX file.") % {"name": PurePath(filename).name}
        )
    if not data:
        raise ImportFileError(_("The file is empty."))
    if suffix == ".xlsx":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    builder = _TableBuilder()
    consumed = 0
    try:
        for record in reader:
            # A quoted cell may span lines; people see the record where it starts.
            number = consumed + 1
            consumed = reader.line_num
            builder.add(number, [cell.strip() for cell in record])
    except csv.Error as exc:
        # csv's own wording is English and technical ("field larger than field limit").
        raise ImportFileError(_("The file could not be read as CSV.")) from exc
    return builder.build(encoding=encoding)


def _sniff_delimiter(text: str) -> str:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        # A cut-off last line has fewer delimiters and makes the sniffer doubt the rest.
        sample = sample[: sample.rindex("\n")]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # A single-column file has no delimiter to find; "," reads it correctly.
        return ","
    return delimiter if delimiter in _DELIMITERS else ","


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:
        # openpyxl reports damaged or fake files with many exception types (zip, XML,
        # KeyError, ...); to the user each one means the same thing.
        raise ImportFileError(_("The file could not be read as an Excel workbook.")) from exc
    builder = _TableBuilder()
    try:
        sheet = workbook.worksheets[0]
        # Some exporters write a wrong <dimension>, and read-only mode trusts it and
        # stops early; without it openpyxl reads every row that is really there.
        sheet.reset_dimensions()
        # iter_rows starts at A1 and fills in missing rows, so the count is the sheet row.
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            builder.add(number, [_xlsx_text(cell) for cell in cells])
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("The file could not be read as an Excel workbook.")) from exc
    finally:
        workbook.close()
    return builder.build(encoding="xlsx")


def _xlsx_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value != value:  # NaN
        return ""
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            return str(value)
        if _is_percent_format(getattr(cell, "number_format", None)):
            # Excel stores 12% as 0.12; a CSV export of the same sheet says "12%", which
            # imports as 12. Render it the CSV way so both files give the same number.
            return f"{_plain_number(number * 100)}%"
        return _plain_number(number)
    return str(value).strip()


def _is_percent_format(number_format: object) -> bool:
    if not isinstance(number_format, str):
        return False
    # A % inside quotes or after a backslash is literal text and does not scale the value.
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format)


def _plain_number(number: Decimal) -> str:
    if not number.is_finite():
        return str(number)
    if number == number.to_integral_value():
        return str(int(number))
    # "f" avoids the exponent str() uses for tiny values (1E-5), which parse_number rejects.
    return format(number.normalize(), "f")


class _TableBuilder:
    """Collects header and rows the same way for CSV and XLSX."""

    def __init__(self) -> None:
        self.headers: tuple[str, ...] | None = None
        self.rows: list[tuple[str, ...]] = []
        self.numbers: list[int] = []

    def add(self, number: int, cells: list[str]) -> None:
        if not any(cells):
            return
        if self.headers is None:
            self.headers = _checked_headers(cells)
            return
        if len(self.rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        self.rows.append(_fit(cells, len(self.headers)))
        self.numbers.append(number)

    def build(self, *, encoding: str) -> Table:
        if self.headers is None:
            raise ImportFileError(_("The file has no header row."))
        return Table(
            headers=self.headers,
            rows=tuple(self.rows),
            encoding=encoding,
            row_numbers=tuple(self.numbers),
        )


def _checked_headers(cells: list[str]) -> tuple[str, ...]:
    headers = list(cells)
    # Trailing delimiters and formatted-but-empty Excel cells give nameless columns at
    # the end that hold nothing; only a gap between named columns is a real problem.
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        if not header:
            raise ImportFileError(
                _("Column %(number)s has no name in the header row.") % {"number": position}
            )
        # Case-insensitive: "Date" and "date" cannot be told apart when choosing columns.
        key = header.casefold()
        if key in seen:
            raise ImportFileError(
                _("The column name “%(name)s” appears more than once in the header row.")
                % {"name": header}
            )
        seen.add(key)
    return tuple(headers)


def _fit(cells: list[str], width: int) -> tuple[str, ...]:
    if len(cells) < width:
        return tuple(cells) + ("",) * (width - len(cells))
    # Keep filled cells beyond the header: they usually mean an unquoted "1,234" split a
    # value in two, and validate_rows reports them instead of silently dropping data.
    end = len(cells)
    while end > width and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


@dataclass(frozen=True)
class ColumnMapping:
    """Header names of the file's columns; "" means not mapped."""

    kpi: str
    value: str
    date: str
    team: str = ""
    owner: str = ""
    external_id: str = ""


def _normalise_header(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).casefold()
    # Units in brackets ("金额（元）", "Amount ($)") do not change what the column holds.
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", text)
    return re.sub(r"[\s_\-.:/]+", "", text)


_ALIASES: dict[str, tuple[str, ...]] = {
    "kpi": ("kpi", "metric", "指标", "KPI名称", "kpi name", "metric name", "指标名称"),
    "value": ("value", "amount", "数值", "值", "金额"),
    "date": ("date", "period", "month", "日期", "月份", "期间", "period start", "day", "week"),
    "team": ("team", "团队", "部门", "department", "team name", "团队名称", "部门名称"),
    "owner": (
        "owner",
        "email",
        "person",
        "负责人",
        "邮箱",
        "销售",
        "owner email",
        "sales rep",
        "rep",
        "salesperson",
        "销售员",
        "销售人员",
    ),
    "external_id": ("id", "external id", "编号", "记录ID", "record id", "记录编号"),
}
_NORMALISED_ALIASES = {
    field: tuple(_normalise_header(alias) for alias in aliases)
    for field, aliases in _ALIASES.items()
}


def suggest_mapping(headers: Sequence[str]) -> ColumnMapping:
    normalised = [(_normalise_header(header), header) for header in headers]
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    # Fields in declaration order, aliases in priority order: with both "Owner" and
    # "Email" present, "Owner" wins; a column is never suggested for two fields.
    for field in (f.name for f in fields(ColumnMapping)):
        chosen[field] = ""
        for alias in _NORMALISED_ALIASES[field]:
            match = next((h for n, h in normalised if n == alias and h not in taken), "")
            if match:
                chosen[field] = match
                taken.add(match)
                break
    return ColumnMapping(**chosen)


def _field_labels() -> dict[str, str]:
    # Built per call so the labels follow the language active for this request.
    return {
        "kpi": _("KPI"),
        "value": _("value"),
        "date": _("date"),
        "team": _("team"),
        "owner": _("owner"),
        "external_id": _("external ID"),
    }


def mapping_errors(mapping: ColumnMapping, headers: Sequence[str]) -> list[str]:
    labels = _field_labels()
    errors: list[str] = []
    for field in ("kpi", "value", "date"):
        if not getattr(mapping, field):
            errors.append(
                _("Choose the column that holds the %(field)s.") % {"field": labels[field]}
            )
    present = set(headers)
    used: dict[str, str] = {}
    for field in (f.name for f in fields(ColumnMapping)):
        column: str = getattr(mapping, field)
        if not column:
            continue
        if column not in present:
            errors.append(_("There is no column “%(column)s” in the file.") % {"column": column})
        elif column in used:
            errors.append(
                _("The column “%(column)s” is chosen for both %(first)s and %(second)s.")
                % {"column": column, "first": labels[used[column]], "second": labels[field]}
            )
        else:
            used[column] = field
    return errors


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it: header on row 1, first data row 2; XLSX sheet row
    column: str  # header name, "" when the problem is not one column's
    reason: str


@dataclass(frozen=True)
class ParsedRow:
    row: int
    kpi_id: int
    team_id: int | None
    owner_id: int | None
    period_start: date
    value: Decimal
    external_id: str


_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_CURRENCY = "¥$€"  # NFKC already turned the full-width ￥ into ¥
_EDGE_SPACE = " \t"  # NFKC already turned ideographic and no-break spaces into " "


def parse_number(text: str) -> Decimal | None:
    """Read a number as CRMs and Excel write it; None when it is not one.

    Only "," is a thousands separator, and only in groups of three: "1,5" is rejected
    rather than read as 15, since it is more likely a European 1.5.
    """
    # NFKC maps full-width digits, signs, %, parentheses and ￥; U+2212 is a real minus.
    s = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    s = _strip_marks(s)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative = True  # accounting style: (300) is -300
        s = _strip_marks(s[1:-1])
    sign = ""
    if s[:1] in ("+", "-"):
        if negative:
            return None  # "(-300)" has no clear meaning
        sign, s = s[0], _strip_marks(s[1:])
    if not (_PLAIN.fullmatch(s) or _GROUPED.fullmatch(s)):
        return None
    number = Decimal(s.replace(",", ""))
    return -number if negative or sign == "-" else number


def _strip_marks(s: str) -> str:
    # Currency marks may sit on either side of the number, "%" and "元" only after it.
    return s.strip().lstrip(_EDGE_SPACE + _CURRENCY).rstrip(_EDGE_SPACE + _CURRENCY + "元%")


_TIME = r"(?:[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_DAY_FORMS = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME),
    re.compile(r"(\d{4})\s*(年)\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _TIME),
)
_MONTH_FORMS = (
    re.compile(r"(\d{4})[-/](\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月"),
)


def parse_date(text: str) -> date | None:
    """Read a day or a month (its first day); None when it is neither."""
    s = unicodedata.normalize("NFKC", text).strip()
    # Time parts are accepted and dropped: exports stamp dates with 00:00 or the time of
    # the CRM event, and the date as written is the day the user means.
    for pattern in _DAY_FORMS:
        if match := pattern.fullmatch(s):
            return _safe_date(int(match[1]), int(match[3]), int(match[4]))
    for pattern in _MONTH_FORMS:
        if match := pattern.fullmatch(s):
            return _safe_date(int(match[1]), int(match[2]), 1)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 2025-02-30, month 13, ...
        return None


def start_of_period(day: date, *, period_kind: str) -> date:
    if period_kind == "day":
        return day
    if period_kind == "week":
        return day - timedelta(days=day.weekday())
    if period_kind == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period kind {period_kind!r}")


def end_of_period(start: date, *, period_kind: str) -> date:
    if period_kind == "week":
        return start + timedelta(days=6)
    if period_kind == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start


def validate_rows(
    *,
    table: Table,
    mapping: ColumnMapping,
    kpis: Mapping[str, int],
    teams: Mapping[str, int],
    owners: Mapping[str, int],
    period_kind: str,
    window: tuple[date, date] | None,
    ratio_kpi_ids: frozenset[int] = frozenset(),
) -> tuple[list[ParsedRow], list[RowError]]:
    """Check every row and collect every problem; a row with any problem is not parsed.

    The mapping must already pass mapping_errors(); the lookups' keys must be lower-cased.
    """
    if problems := mapping_errors(mapping, table.headers):
        raise ValueError(f"invalid mapping: {problems}")
    if period_kind not in PERIOD_KINDS:
        raise ValueError(f"unknown period kind {period_kind!r}")
    checker = _RowChecker(
        table=table,
        mapping=mapping,
        kpis=kpis,
        teams=teams,
        owners=owners,
        period_kind=period_kind,
        window=window,
        ratio_kpi_ids=ratio_kpi_ids,
    )
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    for number, cells in table.numbered_rows():
        row, row_errors = checker.check(number, cells)
        errors.extend(row_errors)
        if row is not None:
            parsed.append(row)
    return parsed, errors


_Key = tuple[int, int | None, int | None, date]
# Collects one RowError for the row being checked: (column, reason).
_Fail = Callable[[str, str], None]


class _RowChecker:
    """Holds what validate_rows needs across rows: the lookups and what it has seen."""

    def __init__(
        self,
        *,
        table: Table,
        mapping: ColumnMapping,
        kpis: Mapping[str, int],
        teams: Mapping[str, int],
        owners: Mapping[str, int],
        period_kind: str,
        window: tuple[date, date] | None,
        ratio_kpi_ids: frozenset[int],
    ) -> None:
        self.mapping = mapping
        self.kpis = kpis
        self.teams = teams
        self.owners = owners
        self.period_kind = period_kind
        self.window = window
        self.ratio_kpi_ids = ratio_kpi_ids
        self.width = len(table.headers)
        self.index = {header: position for position, header in enumerate(table.headers)}
        # First row of each external id and each (kpi, team, owner, period), including
        # rows with other errors: two rows for one measurement is a fact of the file.
        self.seen_ids: dict[str, int] = {}
        self.seen_keys: dict[_Key, int] = {}

    def cell(self, cells: tuple[str, ...], column: str) -> str:
        position = self.index.get(column) if column else None
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    def check(self, number: int, cells: tuple[str, ...]) -> tuple[ParsedRow | None, list[RowError]]:
        mapping = self.mapping
        errors: list[RowError] = []

        def fail(column: str, reason: str) -> None:
            errors.append(RowError(row=number, column=column, reason=reason))

        filled = max((i + 1 for i, cell in enumerate(cells) if cell), default=0)
        if filled > self.width:
            fail(
                "",
                _("This row has %(count)s cells but the header row has %(expected)s.")
                % {"count": filled, "expected": self.width},
            )

        kpi_id = self._kpi(self.cell(cells, mapping.kpi), mapping.kpi, fail)
        team_text = self.cell(cells, mapping.team)
        owner_text = self.cell(cells, mapping.owner)
        team_id = self._lookup(
            team_text, self.teams, mapping.team, _("Unknown team “%(value)s”."), fail
        )
        owner_id = self._lookup(
            owner_text, self.owners, mapping.owner, _("Unknown owner “%(value)s”."), fail
        )
        if not team_text and not owner_text:
            fail(mapping.team or mapping.owner, _("Give a team or an owner."))

        value = self._value(self.cell(cells, mapping.value), fail)
        period = self._period(self.cell(cells, mapping.date), fail)

        external_id = self.cell(cells, mapping.external_id)
        id_first = self.seen_ids.setdefault(external_id, number) if external_id else number
        if id_first != number:
            fail(mapping.external_id, _("Duplicate of row %(row)s.") % {"row": id_first})
        resolved = (not team_text or team_id is not None) and (
            not owner_text or owner_id is not None
        )
        if kpi_id is not None and period is not None and resolved and (team_text or owner_text):
            key_first = self.seen_keys.setdefault((kpi_id, team_id, owner_id, period), number)
            # Skip when the external id already named the same row: one message is enough.
            if key_first not in (number, id_first):
                fail(mapping.kpi, _("Duplicate of row %(row)s.") % {"row": key_first})

        if errors:
            return None, errors
        # Every check passed, so the parts the checks guard are all present.
        assert kpi_id is not None and value is not None and period is not None
        row = ParsedRow(
            row=number,
            kpi_id=kpi_id,
            team_id=team_id,
            owner_id=owner_id,
            period_start=period,
            value=value,
            external_id=external_id,
        )
        return row, []

    def _kpi(self, text: str, column: str, fail: _Fail) -> int | None:
        if not text:
            fail(column, _("Give a KPI."))
            return None
        kpi_id = self.kpis.get(text.lower())
        if kpi_id is None:
            fail(column, _("Unknown KPI “%(value)s”.") % {"value": text})
        elif kpi_id in self.ratio_kpi_ids:
            fail(
                column,
                _("%(kpi)s is a ratio: import its numerator and denominator instead.")
                % {"kpi": text},
            )
        return kpi_id

    def _lookup(
        self, text: str, table: Mapping[str, int], column: str, unknown: str, fail: _Fail
    ) -> int | None:
        if not text:
            return None
        found = table.get(text.lower())
        if found is None:
            fail(column, unknown % {"value": text})
        return found

    def _value(self, text: str, fail: _Fail) -> Decimal | None:
        column = self.mapping.value
        if not text:
            fail(column, _("Give a value."))
            return None
        value = parse_number(text)
        if value is None:
            fail(column, _("“%(value)s” is not a number.") % {"value": text})
            return None
        if value.adjusted() >= MAX_INTEGER_DIGITS:
            fail(column, _("“%(value)s” is too large.") % {"value": text})
            return None
        return value

    def _period(self, text: str, fail: _Fail) -> date | None:
        column = self.mapping.date
        if not text:
            fail(column, _("Give a date."))
            return None
        day = parse_date(text)
        if day is None:
            fail(column, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": text})
            return None
        start = start_of_period(day, period_kind=self.period_kind)
        if self.window is not None:
            window_start, window_due = self.window
            # The whole period counts: March 2025 overlaps a goal starting 15 March.
            end = end_of_period(start, period_kind=self.period_kind)
            if end < window_start or start > window_due:
                fail(
                    column,
                    _("“%(value)s” is outside the goal (%(start)s – %(due)s).")
                    % {
                        "value": text,
                        "start": window_start.isoformat(),
                        "due": window_due.isoformat(),
                    },
                )
        return start
