"""CRM exports in any encoding, delimiter or Excel form read the same and are checked row by row.

Pure: no database. Every test runs in English so reasons can be compared word for word.
"""

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from goals import importing
from goals.importing import (
    ColumnMapping,
    ImportFileError,
    ParsedRow,
    RowError,
    Table,
    decode,
    mapping_errors,
    parse_date,
    parse_number,
    read_table,
    suggest_mapping,
    validate_rows,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


CHINESE_CSV = (
    "指标,团队,日期,数值\r\n"
    '销售额,华东销售,2025-01-15,"1,200.50"\r\n'
    "新客户数,华南销售,2025年2月,35\r\n"
)
CHINESE_TABLE = Table(
    headers=("指标", "团队", "日期", "数值"),
    rows=(
        ("销售额", "华东销售", "2025-01-15", "1,200.50"),
        ("新客户数", "华南销售", "2025年2月", "35"),
    ),
    encoding="",
    row_numbers=(2, 3),
)


# --- decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeff销售额".encode(), "utf-8-sig"),
        ("销售额".encode(), "utf-8"),
        (b"plain ascii", "utf-8"),
        ("销售额".encode("gbk"), "gb18030"),
        ("张𠮷".encode("gb18030"), "gb18030"),  # 𠮷 is outside GBK
    ],
)
def test_decode_tries_utf8_then_gb18030(data: bytes, encoding: str) -> None:
    text, found = decode(data)
    assert found == encoding
    assert not text.startswith("\ufeff")


def test_decode_rejects_bytes_no_encoding_accepts() -> None:
    with pytest.raises(ImportFileError, match="UTF-8 or GB18030"):
        decode(b"\xff\xfe\x80")


@pytest.mark.parametrize(
    ("codec", "encoding"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
    ],
)
def test_chinese_csv_reads_identically_in_every_encoding(codec: str, encoding: str) -> None:
    table = read_table(data=CHINESE_CSV.encode(codec), filename="导出.csv")
    assert table.encoding == encoding
    assert table.headers == CHINESE_TABLE.headers
    assert table.rows == CHINESE_TABLE.rows
    assert table.row_numbers == CHINESE_TABLE.row_numbers


def test_gb18030_only_characters_survive() -> None:
    data = "指标,负责人\n销售额,张𠮷\n".encode("gb18030")
    table = read_table(data=data, filename="a.csv")
    assert table.rows == (("销售额", "张𠮷"),)


# --- CSV shape --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "KPI;Team;Date;Value\nRevenue;East;2025-01;1,234.5\nRevenue;West;2025-02;2,000\n",
        "KPI\tTeam\tDate\tValue\nRevenue\tEast\t2025-01\t1,234.5\nRevenue\tWest\t2025-02\t2,000\n",
        'KPI,Team,Date,Value\nRevenue,East,2025-01,"1,234.5"\nRevenue,West,2025-02,"2,000"\n',
    ],
    ids=["semicolon", "tab", "comma-quoted"],
)
def test_delimiter_is_sniffed(text: str) -> None:
    table = read_table(data=text.encode(), filename="export.CSV")
    assert table.headers == ("KPI", "Team", "Date", "Value")
    assert table.rows == (
        ("Revenue", "East", "2025-01", "1,234.5"),
        ("Revenue", "West", "2025-02", "2,000"),
    )


def test_single_column_falls_back_to_comma() -> None:
    table = read_table(data=b"KPI\nRevenue\n", filename="a.csv")
    assert table.headers == ("KPI",)
    assert table.rows == (("Revenue",),)


def test_cells_are_stripped_short_rows_padded_blank_rows_skipped_numbering_kept() -> None:
    text = (
        "\n"  # line 1: blank, so the header is on line 2
        "  KPI , Team ,Date,Value,\n"  # trailing delimiter: nameless empty column dropped
        "Revenue,\u3000East\u3000,2025-01-01\n"  # line 3: short row
        "\n"  # line 4
        " , , , \n"  # line 5: only spaces
        "Calls,West,2025-01-02,7,\n"  # line 6: trailing empty cell beyond the header
        '"Multi\nline",East,2025-01-03,8\n'  # lines 7-8: one record
        "Calls,East,2025-01-04,9\n"  # line 9
    )
    table = read_table(data=text.encode(), filename="a.csv")
    assert table.headers == ("KPI", "Team", "Date", "Value")
    assert table.rows == (
        ("Revenue", "East", "2025-01-01", ""),
        ("Calls", "West", "2025-01-02", "7"),
        ("Multi\nline", "East", "2025-01-03", "8"),
        ("Calls", "East", "2025-01-04", "9"),
    )
    assert table.row_numbers == (3, 6, 7, 9)


def test_filled_cells_beyond_the_header_are_kept_for_validation() -> None:
    table = read_table(data=b"KPI,Value\nRevenue,1,234\n", filename="a.csv")
    assert table.rows == (("Revenue", "1", "234"),)


def test_header_only_file_has_zero_rows() -> None:
    table = read_table(data="指标,日期,数值\n".encode("gbk"), filename="a.csv")
    assert table.headers == ("指标", "日期", "数值")
    assert table.rows == ()


def test_hand_built_table_numbers_rows_from_two() -> None:
    table = Table(headers=("a",), rows=(("1",), ("2",)), encoding="utf-8")
    assert list(table.numbered_rows()) == [(2, ("1",)), (3, ("2",))]


def test_row_numbers_must_match_rows() -> None:
    with pytest.raises(ValueError, match="one number per row"):
        Table(headers=("a",), rows=(("1",),), encoding="utf-8", row_numbers=(2, 3))


# --- XLSX -------------------------------------------------------------------------------


def _xlsx(rows: list[list[object]], *, percent_cells: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "数据"
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=row_number, column=column_number, value=value)
    for coordinate in percent_cells:
        sheet[coordinate].number_format = "0.0%"
    other = workbook.create_sheet("Notes")
    other["A1"] = "ignored"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_reads_first_sheet_with_real_dates_and_numbers() -> None:
    data = _xlsx(
        [
            [None],  # row 1 blank: the header is the first non-empty row
            ["  指标 ", "团队", "负责人", "日期", "数值", None],
            ["销售额", "华东销售", None, date(2025, 1, 15), 1200.0],
            ["赢单率", "华东销售", "王芳", datetime(2025, 2, 3, 14, 30), 0.125],
            [None, None, None, None, None],  # row 5 blank
            ["新客户数", "华南销售", "li@example.com", date(2025, 3, 1), 1234.5],
            ["通话", "华南销售", None, "2025/04/01", 42],
            ["小数", "华南销售", None, date(2025, 5, 1), 0.00001],
        ],
        percent_cells=("E4",),
    )
    table = read_table(data=data, filename="销售.xlsx")
    assert table.encoding == "xlsx"
    assert table.headers == ("指标", "团队", "负责人", "日期", "数值")
    assert table.rows == (
        ("销售额", "华东销售", "", "2025-01-15", "1200"),
        ("赢单率", "华东销售", "王芳", "2025-02-03", "12.5%"),
        ("新客户数", "华南销售", "li@example.com", "2025-03-01", "1234.5"),
        ("通话", "华南销售", "", "2025/04/01", "42"),
        ("小数", "华南销售", "", "2025-05-01", "0.00001"),
    )
    assert table.row_numbers == (3, 4, 6, 7, 8)


def test_xlsx_rows_validate_like_csv_rows() -> None:
    data = _xlsx(
        [
            ["指标", "团队", "日期", "数值"],
            ["销售额", "华东销售", date(2025, 1, 15), 1200.5],
            ["销售额", "火星", date(2025, 2, 15), 10.0],
        ]
    )
    table = read_table(data=data, filename="a.xlsx")
    parsed, errors = validate_rows(
        table=table,
        mapping=suggest_mapping(table.headers),
        kpis={"销售额": 1},
        teams={"华东销售": 10},
        owners={},
        period_kind="month",
        window=None,
    )
    assert [(row.row, row.period_start, row.value) for row in parsed] == [
        (2, date(2025, 1, 1), Decimal("1200.5"))
    ]
    assert errors == [RowError(row=3, column="团队", reason="Unknown team “火星”.")]


# --- file errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"", "a.xlsx", "The file is empty."),
        (b"\xef\xbb\xbf \r\n", "a.csv", "The file is empty."),
        (b"KPI,Value\n", "a.txt", "“a.txt” is not a CSV or XLSX file."),
        (b"KPI,Value\n", "old.xls", "“old.xls” is not a CSV or XLSX file."),
        (b"KPI,Value\n", "no-extension", "“no-extension” is not a CSV or XLSX file."),
        (b"\n,,\n  ,  \n", "a.csv", "The file has no header row."),
        (b"\xff\xfe\x80\x00", "a.csv", "The file could not be read: save it as UTF-8"),
        (b"KPI,Value\n", "a.xlsx", "The file could not be read as an Excel workbook."),
        (b'KPI\n"' + b"x" * 200_000 + b'"\n', "a.csv", "The file could not be read as CSV."),
        (b"KPI,Team,kpi\n", "a.csv", "The column name “kpi” appears more than once"),
        (b"KPI,,Value\n", "a.csv", "Column 2 has no name in the header row."),
    ],
    ids=[
        "empty",
        "empty-xlsx",
        "bom-only",
        "txt",
        "xls",
        "no-extension",
        "blank-lines-only",
        "undecodable",
        "fake-xlsx",
        "huge-cell",
        "duplicate-header",
        "blank-header",
    ],
)
def test_file_errors(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(data=data, filename=filename)
    assert str(caught.value).startswith(message)


def test_xlsx_with_nothing_in_it_has_no_header_row() -> None:
    with pytest.raises(ImportFileError, match="no header row"):
        read_table(data=_xlsx([]), filename="a.xlsx")


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    three = b"KPI,Value\n\na,1\nb,2\n\nc,3\n"  # blank lines do not count as rows
    assert len(read_table(data=three, filename="a.csv").rows) == 3
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read_table(data=three + b"d,4\n", filename="a.csv")
    four = _xlsx([["KPI", "Value"], ["a", 1], ["b", 2], ["c", 3], ["d", 4]])
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read_table(data=four, filename="a.xlsx")


def test_reasons_are_translated_when_raised_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    # Swapping gettext after import only shows up if each message is looked up on use.
    monkeypatch.setattr(importing, "_", lambda message: f"[zh] {message}")
    with pytest.raises(ImportFileError, match=r"^\[zh\] The file is empty\.$"):
        read_table(data=b"", filename="a.csv")
    assert mapping_errors(ColumnMapping(kpi="KPI", value="Value", date="Nope"), HEADERS) == [
        "[zh] There is no column “Nope” in the file."
    ]
    _, errors = _validate(_with(KPI="Profit"))
    assert [error.reason for error in errors] == ["[zh] Unknown KPI “Profit”."]


# --- mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["KPI", "Team", "Owner", "Date", "Value", "ID"],
            ColumnMapping("KPI", "Value", "Date", "Team", "Owner", "ID"),
        ),
        (
            ["Metric", "Amount ($)", "Period", "E-mail", "External ID", "Notes"],
            ColumnMapping("Metric", "Amount ($)", "Period", "", "E-mail", "External ID"),
        ),
        (
            ["指标", "团队", "负责人", "日期", "数值", "记录ID"],
            ColumnMapping("指标", "数值", "日期", "团队", "负责人", "记录ID"),
        ),
        (
            ["KPI名称", "部门", "邮箱", "月份", "金额（元）", "编号"],
            ColumnMapping("KPI名称", "金额（元）", "月份", "部门", "邮箱", "编号"),
        ),
        (
            ["期间", "值", "销售", "指标"],
            ColumnMapping("指标", "值", "期间", "", "销售", ""),
        ),
        (
            ["Email", "Owner", "month", "value", "kpi"],  # "Owner" outranks "Email"
            ColumnMapping("kpi", "value", "month", "", "Owner", ""),
        ),
        (
            ["销售额", "客户", "备注"],  # "销售额" is an amount, not the "销售" person
            ColumnMapping("", "", ""),
        ),
    ],
    ids=["english", "english-variants", "chinese", "chinese-variants", "mixed", "priority", "none"],
)
def test_suggest_mapping(headers: list[str], expected: ColumnMapping) -> None:
    assert suggest_mapping(headers) == expected


HEADERS = ("KPI", "Team", "Owner", "Date", "Value", "ID")
MAPPING = ColumnMapping(
    kpi="KPI", value="Value", date="Date", team="Team", owner="Owner", external_id="ID"
)


@pytest.mark.parametrize(
    ("mapping", "errors"),
    [
        (MAPPING, []),
        (ColumnMapping(kpi="KPI", value="Value", date="Date"), []),
        (
            ColumnMapping(kpi="", value="", date="", team="Team"),
            [
                "Choose the column that holds the KPI.",
                "Choose the column that holds the value.",
                "Choose the column that holds the date.",
            ],
        ),
        (
            ColumnMapping(kpi="KPI", value="Amount", date="Date", owner="Email"),
            [
                "There is no column “Amount” in the file.",
                "There is no column “Email” in the file.",
            ],
        ),
        (
            ColumnMapping(kpi="KPI", value="Value", date="Value"),
            ["The column “Value” is chosen for both value and date."],
        ),
    ],
    ids=["full", "minimal", "required-missing", "not-in-file", "same-column-twice"],
)
def test_mapping_errors(mapping: ColumnMapping, errors: list[str]) -> None:
    assert mapping_errors(mapping, HEADERS) == errors


# --- numbers and dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123", Decimal("123")),
        ("-4.5", Decimal("-4.5")),
        ("+7", Decimal("7")),
        (".5", Decimal("0.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1,234,567", Decimal("1234567")),
        ("１２３", Decimal("123")),
        ("－１，２００．５", Decimal("-1200.5")),
        ("\u22125", Decimal("-5")),  # MINUS SIGN
        ("¥1,200.50", Decimal("1200.50")),
        ("￥ 1,200.50", Decimal("1200.50")),
        ("$99", Decimal("99")),
        ("€ 10", Decimal("10")),
        ("1200元", Decimal("1200")),
        ("1,200.50 元", Decimal("1200.50")),
        ("-¥300", Decimal("-300")),
        ("(300)", Decimal("-300")),
        ("（300）", Decimal("-300")),
        ("(¥1,200)", Decimal("-1200")),
        ("12%", Decimal("12")),
        ("12 %", Decimal("12")),
        ("１２％", Decimal("12")),
        ("12.5%", Decimal("12.5")),
        ("1 234,5", None),
        ("1,5", None),
        ("12,34", None),
        ("1,2345", None),
        ("abc", None),
        ("", None),
        ("1.2.3", None),
        ("1e5", None),
        ("NaN", None),
        ("Infinity", None),
        ("(-300)", None),
        ("-(300)", None),
        ("1¥2", None),
        ("1万", None),
        ("12-", None),
    ],
)
def test_parse_number(text: str, expected: Decimal | None) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-15", date(2025, 3, 15)),
        ("2025/3/5", date(2025, 3, 5)),
        ("2025.03.15", date(2025, 3, 15)),
        ("2025年3月15日", date(2025, 3, 15)),
        ("2025 年 3 月 15 日", date(2025, 3, 15)),
        ("２０２５年３月１５日", date(2025, 3, 15)),
        ("2025-03", date(2025, 3, 1)),
        ("2025/3", date(2025, 3, 1)),
        ("2025年3月", date(2025, 3, 1)),
        ("2025-03-15T23:30:00", date(2025, 3, 15)),
        ("2025-03-15T23:30:00Z", date(2025, 3, 15)),
        ("2025-03-15 23:30:00.123+08:00", date(2025, 3, 15)),
        ("2025/3/15 9:05", date(2025, 3, 15)),
        ("2025-02-30", None),
        ("2025-13", None),
        ("2025-03/15", None),
        ("15/03/2025", None),
        ("March 2025", None),
        ("45678", None),
        ("2025", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# --- validating rows --------------------------------------------------------------------

KPIS = {"revenue": 1, "new customers": 2, "销售额": 1, "win rate": 3}
TEAMS = {"east sales": 10, "华东销售": 10, "west sales": 11}
OWNERS = {"li@example.com": 100, "li wei": 100, "王芳": 101}
GOOD = ("Revenue", "East Sales", "li@example.com", "2025-03-15", "1,200.50", "crm-1")


def _validate(
    *rows: tuple[str, ...],
    mapping: ColumnMapping = MAPPING,
    period_kind: str = "month",
    window: tuple[date, date] | None = None,
    headers: tuple[str, ...] = HEADERS,
) -> tuple[list[ParsedRow], list[RowError]]:
    return validate_rows(
        table=Table(headers=headers, rows=rows, encoding="utf-8"),
        mapping=mapping,
        kpis=KPIS,
        teams=TEAMS,
        owners=OWNERS,
        period_kind=period_kind,
        window=window,
        ratio_kpi_ids=frozenset({3}),
    )


def _with(**cells: str) -> tuple[str, ...]:
    row = dict(zip(HEADERS, GOOD, strict=True))
    row.update(cells)
    return tuple(row[header] for header in HEADERS)


def test_good_row_is_parsed() -> None:
    parsed, errors = _validate(GOOD)
    assert errors == []
    assert parsed == [
        ParsedRow(
            row=2,
            kpi_id=1,
            team_id=10,
            owner_id=100,
            period_start=date(2025, 3, 1),
            value=Decimal("1200.50"),
            external_id="crm-1",
        )
    ]


def test_lookups_ignore_case_and_surrounding_space() -> None:
    parsed, errors = _validate(
        _with(KPI="  REVENUE ", Team="east SALES", Owner=" Li Wei ", ID=" crm-9 ")
    )
    assert errors == []
    assert (parsed[0].kpi_id, parsed[0].team_id, parsed[0].owner_id) == (1, 10, 100)
    assert parsed[0].external_id == "crm-9"


def test_team_or_owner_alone_is_enough() -> None:
    parsed, errors = _validate(_with(Owner="", ID="a"), _with(Team="", ID="b"))
    assert errors == []
    assert [(row.team_id, row.owner_id) for row in parsed] == [(10, None), (None, 100)]


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"KPI": "Profit"}, "KPI", "Unknown KPI “Profit”."),
        (
            {"KPI": "Win Rate"},
            "KPI",
            "Win Rate is a ratio: import its numerator and denominator instead.",
        ),
        ({"KPI": ""}, "KPI", "Give a KPI."),
        ({"Team": "Mars"}, "Team", "Unknown team “Mars”."),
        ({"Owner": "nobody@example.com"}, "Owner", "Unknown owner “nobody@example.com”."),
        ({"Team": "", "Owner": ""}, "Team", "Give a team or an owner."),
        ({"Value": "lots"}, "Value", "“lots” is not a number."),
        ({"Value": "1 234,5"}, "Value", "“1 234,5” is not a number."),
        ({"Value": ""}, "Value", "Give a value."),
        ({"Value": "100000000000000"}, "Value", "“100000000000000” is too large."),
        ({"Date": "15/03/2025"}, "Date", "“15/03/2025” is not a date (use YYYY-MM-DD)."),
        ({"Date": "2025-02-30"}, "Date", "“2025-02-30” is not a date (use YYYY-MM-DD)."),
        ({"Date": ""}, "Date", "Give a date."),
    ],
    ids=[
        "unknown-kpi",
        "ratio-kpi",
        "blank-kpi",
        "unknown-team",
        "unknown-owner",
        "no-team-no-owner",
        "not-a-number",
        "european-number",
        "blank-value",
        "too-large",
        "not-a-date",
        "impossible-date",
        "blank-date",
    ],
)
def test_bad_cell_gives_one_row_error(cells: dict[str, str], column: str, reason: str) -> None:
    # Another id and month, so the bad row is not also a duplicate of the good one.
    parsed, errors = _validate(GOOD, _with(**{"ID": "crm-2", "Date": "2025-04-01", **cells}))
    assert [row.row for row in parsed] == [2]
    assert errors == [RowError(row=3, column=column, reason=reason)]


def test_no_team_or_owner_column_mapped() -> None:
    mapping = ColumnMapping(kpi="KPI", value="Value", date="Date")
    parsed, errors = _validate(GOOD, mapping=mapping)
    assert parsed == []
    assert errors == [RowError(row=2, column="", reason="Give a team or an owner.")]


def test_owner_only_mapping_reports_missing_owner_on_owner_column() -> None:
    mapping = ColumnMapping(kpi="KPI", value="Value", date="Date", owner="Owner")
    _, errors = _validate(_with(Owner=""), mapping=mapping)
    assert errors == [RowError(row=2, column="Owner", reason="Give a team or an owner.")]


def test_every_error_in_a_row_is_reported() -> None:
    parsed, errors = _validate(
        ("Profit", "Mars", "ghost", "soon", "lots", "x", "extra"),
    )
    assert parsed == []
    assert errors == [
        RowError(row=2, column="", reason="This row has 7 cells but the header row has 6."),
        RowError(row=2, column="KPI", reason="Unknown KPI “Profit”."),
        RowError(row=2, column="Team", reason="Unknown team “Mars”."),
        RowError(row=2, column="Owner", reason="Unknown owner “ghost”."),
        RowError(row=2, column="Value", reason="“lots” is not a number."),
        RowError(row=2, column="Date", reason="“soon” is not a date (use YYYY-MM-DD)."),
    ]


@pytest.mark.parametrize(
    ("period_kind", "text", "expected"),
    [
        ("day", "2025-03-15", date(2025, 3, 15)),
        ("week", "2025-03-15", date(2025, 3, 10)),  # a Saturday → its Monday
        ("week", "2025-03-10", date(2025, 3, 10)),
        ("week", "2025-01-01", date(2024, 12, 30)),  # the week starts in the previous year
        ("month", "2025-03-15", date(2025, 3, 1)),
        ("month", "2025年3月", date(2025, 3, 1)),
        ("day", "2025-03", date(2025, 3, 1)),  # a month names its first day
    ],
)
def test_date_is_moved_to_the_start_of_its_period(
    period_kind: str, text: str, expected: date
) -> None:
    parsed, errors = _validate(_with(Date=text), period_kind=period_kind)
    assert errors == []
    assert parsed[0].period_start == expected


def test_unknown_period_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="period kind"):
        _validate(GOOD, period_kind="quarter")


def test_invalid_mapping_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="invalid mapping"):
        _validate(GOOD, mapping=ColumnMapping(kpi="KPI", value="Amount", date="Date"))


WINDOW = (date(2025, 3, 15), date(2025, 6, 10))
OUTSIDE = "“{}” is outside the goal (2025-03-15 – 2025-06-10)."


@pytest.mark.parametrize(
    ("period_kind", "text", "inside"),
    [
        ("month", "2025-03-01", True),  # March overlaps a goal starting 15 March
        ("month", "2025-06-30", True),  # June overlaps a goal due 10 June
        ("month", "2025-02-28", False),
        ("month", "2025-07-01", False),
        ("week", "2025-03-09", False),  # week of 3 March ends on the 9th
        ("week", "2025-03-10", True),  # week of 10 March reaches the 15th
        ("week", "2025-06-10", True),
        ("week", "2025-06-16", False),
        ("day", "2025-03-14", False),
        ("day", "2025-03-15", True),
        ("day", "2025-06-10", True),
        ("day", "2025-06-11", False),
    ],
)
def test_window(period_kind: str, text: str, inside: bool) -> None:
    parsed, errors = _validate(_with(Date=text), period_kind=period_kind, window=WINDOW)
    if inside:
        assert errors == []
        assert len(parsed) == 1
    else:
        assert parsed == []
        assert errors == [RowError(row=2, column="Date", reason=OUTSIDE.format(text))]


def test_duplicate_external_id() -> None:
    parsed, errors = _validate(
        GOOD,
        _with(Date="2025-04-01", ID="crm-2"),
        _with(Date="2025-05-01", ID="crm-1"),
    )
    assert [row.row for row in parsed] == [2, 3]
    assert errors == [RowError(row=4, column="ID", reason="Duplicate of row 2.")]


def test_duplicate_key_within_the_same_period() -> None:
    parsed, errors = _validate(
        GOOD,
        _with(ID="crm-2", Date="2025-03-31", Value="5"),  # same month, same KPI/team/owner
        _with(ID="crm-3", Owner=""),  # no owner: a different key
        _with(ID="crm-4", KPI="销售额", Team="华东销售", Owner=""),  # same as row 4 by name
    )
    assert [row.row for row in parsed] == [2, 4]
    assert errors == [
        RowError(row=3, column="KPI", reason="Duplicate of row 2."),
        RowError(row=5, column="KPI", reason="Duplicate of row 4."),
    ]


def test_duplicate_by_id_and_key_of_the_same_row_is_reported_once() -> None:
    _, errors = _validate(GOOD, GOOD)
    assert errors == [RowError(row=3, column="ID", reason="Duplicate of row 2.")]


def test_duplicates_without_external_id_column() -> None:
    mapping = ColumnMapping(kpi="KPI", value="Value", date="Date", team="Team", owner="Owner")
    parsed, errors = _validate(GOOD, _with(ID="other"), mapping=mapping)
    assert [row.row for row in parsed] == [2]
    assert errors == [RowError(row=3, column="KPI", reason="Duplicate of row 2.")]


def test_blank_external_ids_are_not_duplicates() -> None:
    parsed, errors = _validate(_with(ID=""), _with(ID="", Date="2025-04-01"))
    assert errors == []
    assert [row.external_id for row in parsed] == ["", ""]


def test_a_bad_first_row_still_counts_for_duplicates() -> None:
    parsed, errors = _validate(_with(Value="lots"), _with(ID="crm-2"))
    assert parsed == []
    assert errors == [
        RowError(row=2, column="Value", reason="“lots” is not a number."),
        RowError(row=3, column="KPI", reason="Duplicate of row 2."),
    ]


def test_rows_are_numbered_as_in_the_csv_file() -> None:
    text = (
        "指标,团队,负责人,日期,数值,编号\n"  # 1
        "\n"  # 2
        "销售额,华东销售,王芳,2025-03-01,100,a\n"  # 3
        ",,,,,\n"  # 4
        "\n"  # 5
        "利润,华东销售,王芳,2025-03-01,100,b\n"  # 6: unknown KPI
        '销售额,华东销售,王芳,2025-04-01,"1,2",c\n'  # 7: not a number
        "销售额,华东销售,王芳,2025-03-20,5,d\n"  # 8: same month as row 3
        "销售额,华东销售,,2025-05-01,5,a\n"  # 9: external id of row 3
    )
    table = read_table(data=text.encode("gbk"), filename="导出.csv")
    mapping = suggest_mapping(table.headers)
    assert mapping_errors(mapping, table.headers) == []
    parsed, errors = validate_rows(
        table=table,
        mapping=mapping,
        kpis=KPIS,
        teams=TEAMS,
        owners=OWNERS,
        period_kind="month",
        window=None,
    )
    assert [row.row for row in parsed] == [3]
    assert errors == [
        RowError(row=6, column="指标", reason="Unknown KPI “利润”."),
        RowError(row=7, column="数值", reason="“1,2” is not a number."),
        RowError(row=8, column="指标", reason="Duplicate of row 3."),
        RowError(row=9, column="编号", reason="Duplicate of row 3."),
    ]


def test_unquoted_thousands_in_comma_csv_is_flagged_not_misread() -> None:
    table = read_table(
        data=b"KPI,Team,Date,Value\nRevenue,East Sales,2025-03-01,1,200\n", filename="a.csv"
    )
    parsed, errors = validate_rows(
        table=table,
        mapping=ColumnMapping(kpi="KPI", value="Value", date="Date", team="Team"),
        kpis=KPIS,
        teams=TEAMS,
        owners=OWNERS,
        period_kind="month",
        window=None,
    )
    assert parsed == []
    assert errors == [
        RowError(row=2, column="", reason="This row has 5 cells but the header row has 4.")
    ]
