"""The RACI check, without the database: cell parsing, each rule at its boundary, and order."""

from collections.abc import Iterator, Mapping
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from django.utils.translation import override

from raci import validation
from raci.validation import (
    LETTERS,
    Activity,
    Issue,
    Matrix,
    Participant,
    Report,
    cell_label,
    parse_cell,
    validate,
)

AR = frozenset({"A", "R"})

# Eight people (ids 1-8, users 101-108) and two teams (ids 21-22): enough columns to cross
# every default limit.
PEOPLE = tuple(
    Participant(id=index, kind="person", name=name, user_id=100 + index)
    for index, name in enumerate(("Ana", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"), start=1)
)
ANA, BO, CY, DI, ED, FLO, GUS, HAL = PEOPLE
SALES = Participant(id=21, kind="team", name="Sales team")
MARKETING = Participant(id=22, kind="team", name="Marketing team")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


def grid(*rows: str, participants: tuple[Participant, ...] = PEOPLE) -> Matrix:
    """Activity n+1 per row ("Step n+1"); each word is a cell label, "." an empty cell."""
    activities = tuple(
        Activity(id=index, name=f"Step {index}", phase="Plan") for index in range(1, len(rows) + 1)
    )
    cells: dict[tuple[int, int], frozenset[str]] = {}
    for activity, row in zip(activities, rows, strict=True):
        labels = row.split()
        assert len(labels) <= len(participants), row
        for participant, label in zip(participants, labels, strict=False):
            letters = parse_cell("" if label == "." else label)
            assert letters is not None, label
            if letters:
                cells[(activity.id, participant.id)] = letters
    return Matrix(activities=activities, participants=participants, cells=cells)


def summary(report: Report) -> list[tuple[str, str, int | None, int | None]]:
    return [
        (issue.level, issue.code, issue.activity_id, issue.participant_id)
        for issue in report.issues
    ]


def codes(report: Report) -> list[str]:
    return [issue.code for issue in report.issues]


# --- parse_cell and cell_label -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "letters"),
    [
        pytest.param("", frozenset(), id="empty"),
        pytest.param(" ", frozenset(), id="space"),
        pytest.param(" \t\n ", frozenset(), id="whitespace"),
        pytest.param("\u3000", frozenset(), id="ideographic-space"),
        pytest.param("/", frozenset(), id="lone-slash-ignored"),
        pytest.param(" , ", frozenset(), id="lone-comma-ignored"),
        pytest.param("R", frozenset({"R"}), id="R"),
        pytest.param("A", frozenset({"A"}), id="A"),
        pytest.param("C", frozenset({"C"}), id="C"),
        pytest.param("I", frozenset({"I"}), id="I"),
        pytest.param("r", frozenset({"R"}), id="r"),
        pytest.param("a", frozenset({"A"}), id="a"),
        pytest.param("c", frozenset({"C"}), id="c"),
        pytest.param("i", frozenset({"I"}), id="i"),
        pytest.param("  C  ", frozenset({"C"}), id="padded"),
        pytest.param("RR", frozenset({"R"}), id="repeated-once"),
        pytest.param("i, I", frozenset({"I"}), id="repeated-any-case"),
        pytest.param("AR", AR, id="AR"),
        pytest.param("RA", AR, id="RA"),
        pytest.param("ar", AR, id="ar"),
        pytest.param("Ra", AR, id="Ra"),
        pytest.param("A/R", AR, id="A/R"),
        pytest.param("a/r", AR, id="a/r"),
        pytest.param("R, A", AR, id="R, A"),
        pytest.param("A R", AR, id="A R"),
        pytest.param(" r / a ", AR, id="spaced-slash"),
        pytest.param("A,,R/", AR, id="extra-separators"),
        pytest.param("ARA", AR, id="AR-repeated"),
        pytest.param("Ａ／Ｒ", AR, id="full-width"),
        pytest.param("A，R", AR, id="full-width-comma"),
        pytest.param("A、R", AR, id="enumeration-comma"),
        pytest.param("\ufeffR\u200b", frozenset({"R"}), id="invisible-format-characters"),
    ],
)
def test_parse_cell_valid(value: str, letters: frozenset[str]) -> None:
    assert parse_cell(value) == letters


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("X", id="unknown-letter"),
        pytest.param("x", id="unknown-lowercase"),
        pytest.param("RC", id="RC"),
        pytest.param("RI", id="RI"),
        pytest.param("AC", id="AC"),
        pytest.param("AI", id="AI"),
        pytest.param("CI", id="CI"),
        pytest.param("C/I", id="C/I"),
        pytest.param("ARC", id="ARC"),
        pytest.param("A/R/I", id="A/R/I"),
        pytest.param("RACI", id="RACI"),
        pytest.param("AX", id="valid-and-unknown"),
        pytest.param("R-A", id="hyphen"),
        pytest.param("R+A", id="plus"),
        pytest.param("A&R", id="ampersand"),
        pytest.param("R;A", id="semicolon"),
        pytest.param("R.", id="full-stop"),
        pytest.param("-", id="dash"),
        pytest.param("?", id="question-mark"),
        pytest.param("0", id="digit"),
        pytest.param("R1", id="letter-digit"),
        pytest.param("Responsible", id="word"),
        pytest.param("ı", id="dotless-i"),
        pytest.param("Я", id="cyrillic"),
        pytest.param("负责", id="chinese"),
    ],
)
def test_parse_cell_invalid(value: str) -> None:
    assert parse_cell(value) is None


@pytest.mark.parametrize(
    ("letters", "label"),
    [
        pytest.param(frozenset(), "", id="empty"),
        pytest.param(frozenset({"R"}), "R", id="R"),
        pytest.param(frozenset({"A"}), "A", id="A"),
        pytest.param(frozenset({"C"}), "C", id="C"),
        pytest.param(frozenset({"I"}), "I", id="I"),
        pytest.param(AR, "A/R", id="A/R"),
    ],
)
def test_cell_label(letters: frozenset[str], label: str) -> None:
    assert cell_label(letters) == label
    assert parse_cell(label) == letters  # every label reads back as itself


@pytest.mark.parametrize(
    "letters",
    [
        pytest.param(frozenset({"R", "C"}), id="RC"),
        pytest.param(frozenset({"A", "R", "I"}), id="ARI"),
        pytest.param(frozenset({"X"}), id="unknown"),
        pytest.param(frozenset({"r"}), id="lowercase"),
    ],
)
def test_cell_label_refuses_an_invalid_cell(letters: frozenset[str]) -> None:
    with pytest.raises(ValueError, match="Not a valid RACI cell"):
        cell_label(letters)


def test_letters() -> None:
    assert LETTERS == ("R", "A", "C", "I")


# --- each rule at its boundary -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "options", "expected"),
    [
        # no_accountable / many_accountable
        pytest.param(("R",), {}, ["no_accountable"], id="no-A"),
        pytest.param(("R C I",), {}, ["no_accountable"], id="no-A-with-C-and-I"),
        pytest.param(("A R",), {}, [], id="one-A"),
        pytest.param(("A A R",), {}, ["many_accountable"], id="two-A"),
        pytest.param(("A A A R",), {}, ["many_accountable"], id="three-A-one-error"),
        # no_responsible
        pytest.param(("A",), {}, ["no_responsible"], id="no-R"),
        pytest.param(("A C C I",), {}, ["no_responsible"], id="no-R-with-C-and-I"),
        pytest.param(("",), {}, ["no_accountable", "no_responsible"], id="empty-row"),
        # A/R counts as both
        pytest.param(("A/R",), {}, [], id="AR-alone-is-complete"),
        pytest.param(("A/R A",), {}, ["many_accountable"], id="AR-counts-as-A"),
        pytest.param(("A/R A/R",), {}, ["many_accountable"], id="two-AR"),
        pytest.param(("A/R R R",), {}, [], id="AR-plus-2R-is-3R"),
        pytest.param(("A/R R R R",), {}, ["diffused_responsibility"], id="AR-plus-3R-is-4R"),
        # diffused_responsibility: more than many_responsible (3)
        pytest.param(("A R R R",), {}, [], id="3R-at-limit"),
        pytest.param(("A R R R R",), {}, ["diffused_responsibility"], id="4R-over-limit"),
        pytest.param(("A R R",), {"many_responsible": 2}, [], id="2R-at-custom-limit"),
        pytest.param(
            ("A R R R",),
            {"many_responsible": 2},
            ["diffused_responsibility"],
            id="3R-over-custom-limit",
        ),
        # slow_decisions: at least many_consulted (5)
        pytest.param(("A/R C C C C",), {}, [], id="4C-under-limit"),
        pytest.param(("A/R C C C C C",), {}, ["slow_decisions"], id="5C-at-limit"),
        pytest.param(("A/R C C C C C C C",), {}, ["slow_decisions"], id="7C"),
        pytest.param(("A/R C",), {"many_consulted": 2}, [], id="1C-under-custom-limit"),
        pytest.param(
            ("A/R C C",), {"many_consulted": 2}, ["slow_decisions"], id="2C-at-custom-limit"
        ),
        pytest.param(("A/R I I I I I I I",), {}, [], id="many-informed-is-fine"),
        # more than one rule on one activity, in rule order
        pytest.param(
            ("A A C C C C C",),
            {},
            ["many_accountable", "no_responsible", "slow_decisions"],
            id="several-rules",
        ),
    ],
)
def test_activity_rules(
    rows: tuple[str, ...], options: dict[str, Any], expected: list[str]
) -> None:
    # Every person takes part, so no idle warning blurs the table.
    participants = PEOPLE[: len(rows[0].split())]
    report = validate(matrix=grid(*rows, participants=participants), **options)
    assert codes(report) == expected
    assert all(issue.activity_id == 1 for issue in report.issues)
    assert all(issue.participant_id is None for issue in report.issues)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            "A R C",
            [("error", "team_accountable", 1, 21)],
            id="team-A",
        ),
        pytest.param(
            "A/R I C",
            [("error", "team_accountable", 1, 21)],
            id="team-AR",
        ),
        pytest.param(
            "A A R",
            [
                ("error", "many_accountable", 1, None),
                ("error", "team_accountable", 1, 21),
                ("error", "team_accountable", 1, 22),
            ],
            id="two-team-A-one-error-per-cell",
        ),
        pytest.param("R C A", [], id="person-A-team-R"),
        pytest.param(
            "R/A C A",
            [("error", "many_accountable", 1, None), ("error", "team_accountable", 1, 21)],
            id="team-AR-and-person-A",
        ),
        pytest.param("I R A", [], id="team-I"),
    ],
)
def test_team_accountable(row: str, expected: list[tuple[str, str, int, int | None]]) -> None:
    matrix = grid(row, participants=(SALES, MARKETING, ANA))
    assert summary(validate(matrix=matrix)) == expected


def test_team_accountable_says_to_pick_a_person() -> None:
    report = validate(matrix=grid("A R", participants=(SALES, ANA)))
    (issue,) = report.issues
    assert issue.message == (
        "Accountable must be one person, not a team: the team “Sales team” is Accountable for "
        "“Step 1”. Make one person Accountable instead; the team can stay Responsible."
    )
    assert report.for_participant(SALES.id) == (issue,)
    assert report.for_activity(1) == (issue,)


# --- overloaded_accountable ----------------------------------------------------------------


def accountable_rows(count: int, *, columns: int = 2) -> tuple[str, ...]:
    """count activities where the first column is A and the second R."""
    return tuple(" ".join(("A", "R", *(["."] * (columns - 2)))) for _ in range(count))


@pytest.mark.parametrize(
    ("here", "elsewhere", "limit", "warned"),
    [
        pytest.param(8, {}, 8, False, id="8-here-at-limit"),
        pytest.param(9, {}, 8, True, id="9-here-over-limit"),
        pytest.param(1, {101: 7}, 8, False, id="1-here-7-elsewhere-at-limit"),
        pytest.param(1, {101: 8}, 8, True, id="1-here-8-elsewhere-over-limit"),
        pytest.param(3, {101: 6}, 8, True, id="3-here-6-elsewhere"),
        pytest.param(1, {102: 50}, 8, False, id="elsewhere-of-someone-else"),
        pytest.param(2, {101: 1}, 3, False, id="custom-limit-at"),
        pytest.param(2, {101: 2}, 3, True, id="custom-limit-over"),
        pytest.param(1, {}, 0, True, id="zero-limit"),
    ],
)
def test_overloaded_accountable(
    here: int, elsewhere: Mapping[int, int], limit: int, warned: bool
) -> None:
    matrix = grid(*accountable_rows(here), participants=(ANA, BO))
    report = validate(matrix=matrix, accountable_elsewhere=elsewhere, overload_limit=limit)
    expected = [("warning", "overloaded_accountable", None, ANA.id)] if warned else []
    assert summary(report) == expected


def test_overload_message_gives_the_numbers_and_the_limit() -> None:
    matrix = grid(*accountable_rows(3), participants=(ANA, BO))
    report = validate(matrix=matrix, accountable_elsewhere={101: 7})
    (issue,) = report.warnings
    assert issue.message == (
        "“Ana” would be Accountable for 10 activities (3 here, 7 in other published matrices), "
        "more than the limit of 8. Hand some of them to someone else."
    )


def test_overload_message_singular() -> None:
    report = validate(matrix=grid("A R", participants=(ANA, BO)), overload_limit=0)
    assert report.warnings[0].message.startswith("“Ana” would be Accountable for 1 activity (")


def test_overload_counts_a_and_ar_but_not_r() -> None:
    rows = ("A R",) * 4 + ("A/R .",) * 4 + ("R A/R",) * 3
    report = validate(matrix=grid(*rows, participants=(ANA, BO)))
    assert summary(report) == []  # Ana is A 8 times, Bo 3 times
    report = validate(matrix=grid(*rows, "A/R .", participants=(ANA, BO)))
    assert summary(report) == [("warning", "overloaded_accountable", None, ANA.id)]


def test_overload_is_not_warned_for_a_team() -> None:
    matrix = grid(*accountable_rows(9), participants=(SALES, ANA))
    report = validate(matrix=matrix, accountable_elsewhere={21: 100})
    assert set(codes(report)) == {"team_accountable"}


def test_overload_needs_an_accountable_here() -> None:
    """Busy elsewhere but not Accountable here: this matrix adds nothing to their load."""
    matrix = grid("A R", participants=(ANA, BO))
    assert summary(validate(matrix=matrix, accountable_elsewhere={102: 50})) == []


def test_overload_one_warning_per_person_across_their_columns() -> None:
    """The same user in two columns counts once per activity, warned on the first column."""
    ana_again = Participant(id=9, kind="person", name="Ana (sales)", user_id=ANA.user_id)
    matrix = grid("A R A", "A R .", ". R A", participants=(ANA, BO, ana_again))
    report = validate(matrix=matrix, overload_limit=2)
    overloads = [issue for issue in report.issues if issue.code == "overloaded_accountable"]
    assert [issue.participant_id for issue in overloads] == [ANA.id]
    assert "“Ana” would be Accountable for 3 activities (3 here, 0 in" in overloads[0].message


def test_overload_of_a_person_without_a_user_counts_this_matrix_only() -> None:
    guest = Participant(id=30, kind="person", name="Guest", user_id=None)
    rows = accountable_rows(2)
    at_limit = validate(
        matrix=grid(*rows, participants=(guest, BO)),
        accountable_elsewhere={30: 10},  # a participant id, not a user id: not counted
        overload_limit=2,
    )
    assert summary(at_limit) == []
    over = validate(matrix=grid(*rows, participants=(guest, BO)), overload_limit=1)
    assert summary(over) == [("warning", "overloaded_accountable", None, guest.id)]


# --- idle_participant ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "idle"),
    [
        pytest.param(("A/R",), [BO.id, CY.id], id="two-idle"),
        pytest.param(("A/R I",), [CY.id], id="informed-is-not-idle"),
        pytest.param(("A/R . C", ". I ."), [], id="letters-in-other-rows"),
        pytest.param(("A/R R C",), [], id="nobody-idle"),
    ],
)
def test_idle_participant(rows: tuple[str, ...], idle: list[int]) -> None:
    report = validate(matrix=grid(*rows, participants=(ANA, BO, CY)))
    found = [issue for issue in report.issues if issue.code == "idle_participant"]
    assert [(issue.participant_id, issue.activity_id) for issue in found] == [
        (participant_id, None) for participant_id in idle
    ]
    assert all(issue.level == "warning" for issue in found)


def test_idle_counts_an_explicit_empty_cell_as_no_letter() -> None:
    matrix = Matrix(
        activities=(Activity(id=1, name="Qualify"),),
        participants=(ANA, BO),
        cells={(1, ANA.id): AR, (1, BO.id): frozenset()},
    )
    (issue,) = validate(matrix=matrix).issues
    assert issue.code == "idle_participant"
    assert issue.message == (
        "“Bo” has no letter on any activity. Give them a role or remove them from the matrix."
    )


def test_an_idle_team_is_warned_too() -> None:
    report = validate(matrix=grid("A/R", participants=(ANA, SALES)))
    assert summary(report) == [("warning", "idle_participant", None, SALES.id)]


# --- unknown ids ---------------------------------------------------------------------------


def test_cells_of_unknown_activities_and_participants_are_ignored() -> None:
    matrix = Matrix(
        activities=(Activity(id=1, name="Qualify"),),
        participants=(ANA, BO),
        cells={
            (1, ANA.id): AR,
            (99, BO.id): frozenset({"C"}),  # unknown activity: Bo stays idle
            (1, 77): frozenset({"A"}),  # unknown participant: still one A
            (1, 78): frozenset({"R"}),
            (1, 79): frozenset({"R"}),
            (1, 80): frozenset({"R"}),
        },
    )
    report = validate(matrix=matrix)
    assert summary(report) == [("warning", "idle_participant", None, BO.id)]


def test_letters_outside_raci_are_ignored() -> None:
    matrix = Matrix(
        activities=(Activity(id=1, name="Qualify"),),
        participants=(ANA, BO),
        cells={(1, ANA.id): AR, (1, BO.id): frozenset({"X"})},
    )
    assert codes(validate(matrix=matrix)) == ["idle_participant"]


def test_a_repeated_id_is_read_once() -> None:
    qualify = Activity(id=1, name="Qualify")
    matrix = Matrix(
        activities=(qualify, qualify),
        participants=(ANA, ANA, BO),
        cells={(1, ANA.id): frozenset({"A"}), (1, BO.id): frozenset({"R"})},
    )
    assert summary(validate(matrix=matrix)) == []


def test_an_empty_matrix_has_nothing_to_say() -> None:
    report = validate(matrix=Matrix(activities=(), participants=(), cells={}))
    assert report == Report(issues=())
    assert report.is_publishable


def test_participants_without_activities_are_idle() -> None:
    report = validate(matrix=Matrix(activities=(), participants=(ANA, SALES), cells={}))
    assert summary(report) == [
        ("warning", "idle_participant", None, ANA.id),
        ("warning", "idle_participant", None, SALES.id),
    ]


# --- a valid matrix ------------------------------------------------------------------------


def test_a_valid_matrix_is_publishable() -> None:
    matrix = grid(
        "A   R   C   I   .   .   .   .",
        "A/R C   C   C   C   I   I   I",
        ".   A   R   R   R   C   .   I",
        ".   .   .   A/R .   .   C   .",
        participants=(ANA, BO, CY, DI, ED, FLO, GUS, SALES),
    )
    report = validate(matrix=matrix, accountable_elsewhere={101: 6, 102: 7})
    assert report.issues == ()
    assert report.errors == ()
    assert report.warnings == ()
    assert report.is_publishable


def test_warnings_do_not_block_publication() -> None:
    report = validate(matrix=grid("A/R C C C C C", "A/R R R R R ."))
    assert codes(report) == [
        "slow_decisions",
        "diffused_responsibility",
        "idle_participant",
        "idle_participant",
    ]
    assert report.errors == ()
    assert report.warnings == report.issues
    assert report.is_publishable


def test_errors_block_publication() -> None:
    report = validate(matrix=grid("A/R", "R", participants=(ANA,)))
    assert codes(report) == ["no_accountable"]
    assert report.errors == report.issues
    assert report.warnings == ()
    assert not report.is_publishable


# --- messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "options", "message"),
    [
        pytest.param(
            ("R",),
            {},
            "Nobody is Accountable for “Step 1”. Give “Step 1” exactly one Accountable person.",
            id="no_accountable",
        ),
        pytest.param(
            ("A A/R A",),
            {},
            "“Step 1” has 3 Accountable: “Ana”, “Bo” and “Cy”. Keep exactly one Accountable "
            "person and make the others Responsible or Consulted.",
            id="many_accountable",
        ),
        pytest.param(
            ("A",),
            {},
            "Nobody is Responsible for “Step 1”. Mark who does the work with R (a person or a "
            "team).",
            id="no_responsible",
        ),
        pytest.param(
            ("A/R R R R",),
            {},
            "“Step 1” has 4 Responsible, more than 3, so nobody may feel it is theirs. Keep "
            "those who do the work and make the others Consulted or Informed.",
            id="diffused_responsibility",
        ),
        pytest.param(
            ("A/R C C",),
            {"many_consulted": 2},
            "“Step 1” has 2 Consulted; with 2 or more, decisions slow down. Consult only those "
            "whose input is needed and make the others Informed.",
            id="slow_decisions",
        ),
    ],
)
def test_activity_messages(rows: tuple[str, ...], options: dict[str, Any], message: str) -> None:
    participants = PEOPLE[: len(rows[0].split())]
    (issue,) = validate(matrix=grid(*rows, participants=participants), **options).issues
    assert issue.message == message


def test_messages_are_translated_when_validating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is translated at import: gettext is asked each time a matrix is validated."""
    monkeypatch.setattr(validation, "gettext", lambda text: f"«{text}»")
    (issue,) = validate(matrix=grid("R", participants=(ANA,))).issues
    assert issue.message == (
        "«Nobody is Accountable for “Step 1”. Give “Step 1” exactly one Accountable person.»"
    )


def test_no_message_keeps_a_placeholder() -> None:
    report = order_report()
    assert report.issues
    assert all(issue.message and "%(" not in issue.message for issue in report.issues)


# --- order and report lookups --------------------------------------------------------------

ORDER_PARTICIPANTS = (ANA, SALES, BO, CY, MARKETING, DI)


def order_report() -> Report:
    matrix = grid(
        #  Ana   Sales Bo    Cy    Mkt   Di
        "  C     C     C     .     .     .",  # 1: no A, no R, slow (at 3)
        "  A     A     R     R     .     .",  # 2: two A, team A, diffused (over 1)
        "  A/R   .     .     .     A     .",  # 3: two A, team A
        participants=ORDER_PARTICIPANTS,
    )
    return validate(
        matrix=matrix,
        accountable_elsewhere={101: 1},  # Ana: 2 here + 1 > 2
        overload_limit=2,
        many_consulted=3,
        many_responsible=1,
    )


def test_order_errors_then_warnings_by_activity_then_participant() -> None:
    assert summary(order_report()) == [
        ("error", "no_accountable", 1, None),
        ("error", "no_responsible", 1, None),
        ("error", "many_accountable", 2, None),
        ("error", "team_accountable", 2, SALES.id),
        ("error", "many_accountable", 3, None),
        ("error", "team_accountable", 3, MARKETING.id),
        ("warning", "slow_decisions", 1, None),
        ("warning", "diffused_responsibility", 2, None),
        ("warning", "overloaded_accountable", None, ANA.id),
        ("warning", "idle_participant", None, DI.id),
    ]


def test_order_follows_the_matrix_not_the_ids() -> None:
    """Activities and participants are ordered as given, whatever their ids."""
    activities = (Activity(id=30, name="Close"), Activity(id=10, name="Open"))
    participants = (Participant(id=9, kind="person", name="Zoe", user_id=1), ANA, BO)
    matrix = Matrix(activities=activities, participants=participants, cells={(10, BO.id): AR})
    assert summary(validate(matrix=matrix)) == [
        ("error", "no_accountable", 30, None),
        ("error", "no_responsible", 30, None),
        ("warning", "idle_participant", None, 9),
        ("warning", "idle_participant", None, ANA.id),
    ]


@pytest.mark.parametrize(
    ("activity_id", "expected"),
    [
        pytest.param(1, ["no_accountable", "no_responsible", "slow_decisions"], id="1"),
        pytest.param(
            2, ["many_accountable", "team_accountable", "diffused_responsibility"], id="2"
        ),
        pytest.param(3, ["many_accountable", "team_accountable"], id="3"),
        pytest.param(99, [], id="unknown"),
    ],
)
def test_for_activity(activity_id: int, expected: list[str]) -> None:
    assert [issue.code for issue in order_report().for_activity(activity_id)] == expected


@pytest.mark.parametrize(
    ("participant_id", "expected"),
    [
        pytest.param(ANA.id, ["overloaded_accountable"], id="Ana"),
        pytest.param(SALES.id, ["team_accountable"], id="Sales"),
        pytest.param(MARKETING.id, ["team_accountable"], id="Marketing"),
        pytest.param(DI.id, ["idle_participant"], id="Di"),
        pytest.param(BO.id, [], id="Bo"),
    ],
)
def test_for_participant(participant_id: int, expected: list[str]) -> None:
    assert [issue.code for issue in order_report().for_participant(participant_id)] == expected


def test_errors_and_warnings_split_the_issues_in_order() -> None:
    report = order_report()
    assert report.errors + report.warnings == report.issues
    assert {issue.level for issue in report.errors} == {"error"}
    assert {issue.level for issue in report.warnings} == {"warning"}
    assert not report.is_publishable


def test_the_records_are_frozen() -> None:
    issue = Issue(level="error", code="no_accountable", message="")
    with pytest.raises(FrozenInstanceError):
        issue.level = "warning"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        ANA.name = "Someone"  # type: ignore[misc]
