"""The plan timeline, the risk matrix and the risk bands: pure functions, no database."""

from datetime import date, timedelta

import pytest

from actionplans.timeline import (
    MAX_WEEKS,
    TimelineItem,
    build_timeline,
    is_overdue,
    risk_band,
    risk_matrix,
    week_of,
)

MON_3 = date(2025, 3, 3)
MON_10 = date(2025, 3, 10)
MON_17 = date(2025, 3, 17)
MON_24 = date(2025, 3, 24)


def item(key: int, start: date, due: date, *, done: bool = False) -> TimelineItem:
    return TimelineItem(
        key=key,
        title=f"Milestone {key}",
        start_week=start,
        due_week=due,
        status="done" if done else "in_progress",
        progress=100 if done else 40,
        done=done,
    )


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2025, 3, 3), MON_3),  # Monday
        (date(2025, 3, 5), MON_3),  # Wednesday
        (date(2025, 3, 9), MON_3),  # Sunday
        (date(2025, 1, 1), date(2024, 12, 30)),  # the week straddles the new year
    ],
)
def test_week_of_is_the_monday(day, monday):
    assert week_of(day) == monday


@pytest.mark.parametrize(
    ("today", "done", "expected"),
    [
        (date(2025, 3, 5), False, False),  # inside the due week
        (date(2025, 3, 9), False, False),  # the Sunday of the due week still counts
        (date(2025, 3, 10), False, True),  # the Monday after
        (date(2025, 4, 30), False, True),
        (date(2025, 3, 10), True, False),  # done is never overdue
        (date(2025, 2, 20), False, False),  # before the due week
    ],
)
def test_is_overdue_after_the_sunday_of_the_due_week(today, done, expected):
    assert is_overdue(due_week=MON_3, done=done, today=today) is expected


# --- build_timeline -------------------------------------------------------------------------


def test_columns_run_from_the_week_of_first_to_the_week_of_last():
    timeline = build_timeline(
        items=[], first=date(2025, 3, 5), last=date(2025, 3, 30), today=date(2025, 3, 12)
    )

    assert timeline.weeks == (MON_3, MON_10, MON_17, MON_24)
    assert timeline.rows == ()
    assert timeline.truncated is False


def test_columns_widen_to_hold_every_item():
    early = item(1, date(2025, 2, 24), MON_3)
    late = item(2, MON_17, date(2025, 4, 7))

    timeline = build_timeline(items=[early, late], first=MON_10, last=MON_10, today=MON_10)

    assert timeline.weeks[0] == date(2025, 2, 24)
    assert timeline.weeks[-1] == date(2025, 4, 7)
    assert len(timeline.weeks) == 7
    assert all(
        b - a == timedelta(days=7) for a, b in zip(timeline.weeks, timeline.weeks[1:], strict=False)
    )


@pytest.mark.parametrize(
    ("today", "index"),
    [
        (date(2025, 3, 3), 0),
        (date(2025, 3, 12), 1),
        (date(2025, 3, 16), 1),  # Sunday: still the week of the 10th
        (date(2025, 3, 30), 3),
        (date(2025, 3, 31), None),  # after the last column
        (date(2025, 2, 28), None),  # before the first column
    ],
)
def test_today_index_marks_the_current_week(today, index):
    timeline = build_timeline(items=[], first=MON_3, last=MON_24, today=today)

    assert timeline.today_index == index


def test_cells_mark_the_span_the_due_week_and_today():
    milestone = item(7, MON_10, MON_24)

    timeline = build_timeline(items=[milestone], first=MON_3, last=date(2025, 3, 31), today=MON_17)

    (row,) = timeline.rows
    assert row.item == milestone
    assert row.cells == ("", "span", "span today", "due", "")
    assert row.overdue is False


def test_a_one_week_milestone_is_a_single_due_cell():
    timeline = build_timeline(
        items=[item(1, MON_10, MON_10)], first=MON_3, last=MON_17, today=MON_10
    )

    assert timeline.rows[0].cells == ("", "due today", "")


def test_today_is_marked_on_empty_cells_too():
    timeline = build_timeline(items=[item(1, MON_3, MON_3)], first=MON_3, last=MON_17, today=MON_17)

    assert timeline.rows[0].cells == ("due", "", "today")


def test_no_today_marker_when_today_is_off_the_timeline():
    timeline = build_timeline(
        items=[item(1, MON_3, MON_17)], first=MON_3, last=MON_17, today=date(2026, 1, 1)
    )

    assert timeline.today_index is None
    assert not any("today" in cell for cell in timeline.rows[0].cells)


@pytest.mark.parametrize(
    ("today", "done", "overdue"),
    [
        (date(2025, 3, 9), False, False),
        (MON_10, False, True),
        (MON_10, True, False),
    ],
)
def test_rows_flag_overdue_milestones(today, done, overdue):
    timeline = build_timeline(
        items=[item(1, MON_3, MON_3, done=done)], first=MON_3, last=MON_24, today=today
    )

    assert timeline.rows[0].overdue is overdue


def test_rows_keep_the_order_of_the_items():
    items = [item(3, MON_17, MON_17), item(1, MON_3, MON_3), item(2, MON_10, MON_10)]

    timeline = build_timeline(items=items, first=MON_3, last=MON_17, today=MON_3)

    assert [row.item.key for row in timeline.rows] == [3, 1, 2]


def test_a_timeline_of_exactly_the_maximum_is_not_truncated():
    last = MON_3 + timedelta(weeks=MAX_WEEKS - 1)

    timeline = build_timeline(items=[], first=MON_3, last=last, today=MON_3)

    assert len(timeline.weeks) == MAX_WEEKS
    assert timeline.truncated is False


def test_a_longer_timeline_is_cut_at_the_maximum():
    last = MON_3 + timedelta(weeks=MAX_WEEKS + 10)
    milestone = item(1, MON_3, last)

    timeline = build_timeline(items=[milestone], first=MON_3, last=last, today=MON_3)

    assert timeline.truncated is True
    assert len(timeline.weeks) == MAX_WEEKS
    assert timeline.weeks[-1] == MON_3 + timedelta(weeks=MAX_WEEKS - 1)
    assert len(timeline.rows[0].cells) == MAX_WEEKS
    assert "due" not in timeline.rows[0].cells  # the due week is past the cut


def test_today_after_the_cut_has_no_column():
    last = MON_3 + timedelta(weeks=MAX_WEEKS + 10)

    timeline = build_timeline(
        items=[], first=MON_3, last=last, today=MON_3 + timedelta(weeks=MAX_WEEKS + 2)
    )

    assert timeline.today_index is None


# --- risk matrix and bands --------------------------------------------------------------------


def test_empty_risk_matrix_is_five_by_five_zeros():
    assert risk_matrix([]) == [[0] * 5 for _ in range(5)]


def test_risk_matrix_rows_run_from_likelihood_5_down_and_impact_1_across():
    matrix = risk_matrix([(5, 1), (1, 5), (3, 4), (3, 4), (2, 2)])

    assert matrix == [
        [1, 0, 0, 0, 0],  # likelihood 5
        [0, 0, 0, 0, 0],  # likelihood 4
        [0, 0, 0, 2, 0],  # likelihood 3
        [0, 1, 0, 0, 0],  # likelihood 2
        [0, 0, 0, 0, 1],  # likelihood 1
    ]
    assert sum(map(sum, matrix)) == 5


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (6, "medium"),
        (9, "medium"),
        (10, "high"),
        (12, "high"),
        (16, "high"),
        (20, "critical"),
        (25, "critical"),
    ],
)
def test_risk_band(score, band):
    assert risk_band(score) == band


def test_every_possible_score_has_a_band_matching_its_range():
    expected = {"low": range(1, 5), "medium": range(5, 10), "high": range(10, 17)}
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            score = likelihood * impact
            band = risk_band(score)
            if band == "critical":
                assert score >= 20
            else:
                assert score in expected[band]
