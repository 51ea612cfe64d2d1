"""Survey results: one round's anonymous results as a page, and the same numbers as a spreadsheet.

Both read one `Results` from `selectors.results_for` (anonymity already applied there) and lay
it out with `_layout`, so the spreadsheet holds exactly what the page shows to this viewer:
aggregates only, withheld groups as the reason why, never an individual answer. Free-text
comments stay on the page, where the comment threshold guards them; they are not exported.
"""

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesops.permissions import can, require
from salesops.spreadsheets import spreadsheet_safe
from salesops.views.helpers import render_page

from .. import selectors
from ..models import Question, QuestionKind, Round, Survey

# Heatmap colour bands, worst (1) to best (5): the lower bound of bands 2 to 5.
SCALE_BANDS = (2.5, 3.0, 3.5, 4.0)  # mean of 1–5 answers
ENPS_BANDS = (-20.0, 0.0, 20.0, 40.0)  # eNPS, −100 to +100


# --- choosing the round -------------------------------------------------------------------


def _chosen_round(request: HttpRequest, rounds: list[Round]) -> Round | None:
    """?round=<number>; by default the latest round anyone answered, else the latest round."""
    wanted = request.GET.get("round", "").strip()
    if wanted:
        try:
            number = int(wanted)
        except ValueError:
            raise Http404 from None
        chosen = next((r for r in rounds if r.number == number), None)
        if chosen is None:
            raise Http404
        return chosen
    answered = [r for r in rounds if getattr(r, "respondents", 0)]
    if answered:
        return answered[0]
    return rounds[0] if rounds else None


# --- laying results out -------------------------------------------------------------------


def _group_label(label: str, key: str) -> str:
    return label if key != selectors.ALL else _("Everyone")


def _indent(depth: int, top: int) -> str:
    level = depth - top
    return f"tree-depth-{level}" if level <= 5 else "tree-depth-deep"


@dataclass
class Row:
    """One group's line of one question."""

    label: str
    indent: str
    shown: bool
    reason: str  # words, when withheld
    count: int | None = None  # respondents, shown groups only
    headline: float | None = None  # mean to 2 decimals, or eNPS to 1
    delta: float | None = None
    distribution: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def delta_size(self) -> float | None:
        return None if self.delta is None else abs(self.delta)


@dataclass
class Block:
    question: Question
    columns: list[str]
    rows: list[Row]

    @property
    def is_scale(self) -> bool:
        return self.question.kind == QuestionKind.SCALE

    @property
    def is_enps(self) -> bool:
        return self.question.kind == QuestionKind.ENPS

    @property
    def is_multiple(self) -> bool:
        return self.question.kind == QuestionKind.MULTIPLE


@dataclass
class HeatCell:
    value: float | None
    band: str


@dataclass
class HeatRow:
    label: str
    indent: str
    shown: bool
    reason: str
    cells: list[HeatCell]


@dataclass
class Comments:
    question: Question
    group: str
    shown: bool
    reason: str
    texts: list[str]


@dataclass
class Layout:
    results: selectors.Results
    blocks: list[Block]
    dimensions: list[str]
    heatmap: list[HeatRow]
    comments: list[Comments]


def _columns(question: Question) -> list[str]:
    if question.kind == QuestionKind.SCALE:
        return [str(v) for v in range(1, 6)]
    if question.kind == QuestionKind.ENPS:
        return [str(v) for v in range(11)]
    return [str(option) for option in question.options]


def _rounded(question: Question, value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 1 if question.kind == QuestionKind.ENPS else 2)


def _band(value: float | None, bands: tuple[float, ...]) -> str:
    if value is None:
        return "fb-heat-withheld"
    return f"fb-heat-{1 + sum(1 for low in bands if value >= low)}"


def _layout(results: selectors.Results) -> Layout:
    threshold = results.score_threshold
    top = min((g.depth for g in results.groups), default=0)
    blocks = []
    for item in results.questions:
        question = item.question
        rows = []
        for group in results.groups:
            cell = item.cells[group.key]
            row = Row(
                label=_group_label(group.label, group.key),
                indent=_indent(group.depth, top),
                shown=cell.shown,
                reason="" if cell.shown else selectors.withheld_reason(cell.reason, threshold),
            )
            if cell.shown:
                row.count = cell.count
                row.headline = _rounded(question, cell.headline)
                row.delta = _rounded(question, cell.delta)
                row.distribution = list(cell.distribution)
            rows.append(row)
        blocks.append(Block(question=question, columns=_columns(question), rows=rows))

    enps_only = {
        dimension: all(
            r.question.kind == QuestionKind.ENPS
            for r in results.questions
            if r.question.is_scored and r.question.dimension == dimension
        )
        for dimension in results.dimensions
    }
    heatmap = []
    for heat in results.heatmap:
        group = heat.group
        cells = []
        for dimension, value in zip(results.dimensions, heat.values, strict=True):
            bands = ENPS_BANDS if enps_only[dimension] else SCALE_BANDS
            shown_value = None if value is None else round(value, 2)
            cells.append(HeatCell(value=shown_value, band=_band(shown_value, bands)))
        heatmap.append(
            HeatRow(
                label=_group_label(group.label, group.key),
                indent=_indent(group.depth, top),
                shown=group.verdict.shown,
                reason=""
                if group.verdict.shown
                else selectors.withheld_reason(group.verdict.reason, threshold),
                cells=cells,
            )
        )

    comments = [
        Comments(
            question=block.question,
            group=block.group_label or _("Everyone"),
            shown=block.shown,
            reason=""
            if block.shown
            else selectors.withheld_reason(block.reason, results.comment_threshold),
            texts=block.texts if block.shown else [],
        )
        for block in results.comments
    ]
    return Layout(
        results=results,
        blocks=blocks,
        dimensions=results.dimensions,
        heatmap=heatmap,
        comments=comments,
    )


def _results(request: HttpRequest, pk: int) -> tuple[Survey, list[Round], Layout]:
    survey = selectors.survey_get(membership=request.membership, pk=pk)
    require(request.membership, "survey.results", survey)
    rounds = list(selectors.rounds_of(survey))
    round_ = _chosen_round(request, rounds)
    results = selectors.results_for(membership=request.membership, survey=survey, round_=round_)
    return survey, rounds, _layout(results)


# --- the page -----------------------------------------------------------------------------


def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey, rounds, layout = _results(request, pk)
    context: dict[str, Any] = {
        "survey": survey,
        "rounds": rounds,
        "round": layout.results.round,
        "results": layout.results,
        "layout": layout,
        "may_follow_up": can(request.membership, "followup.manage"),
    }
    return render_page(request, "feedback/results.html", context, partial="results-body")


# --- the spreadsheet ----------------------------------------------------------------------


def _text(value: Any) -> str:
    return spreadsheet_safe(str(value))


def _sheet_rows(layout: Layout) -> list[list[Any]]:
    """The page's numbers, row by row; text neutralised, numbers left as numbers."""
    results = layout.results
    round_ = results.round
    rows: list[list[Any]] = [
        [_text(results.survey.title)],
        [_("Round"), round_.number if round_ else None],
        [_("Respondents"), results.respondents],
        [_("Invited"), results.audience_size],
        [_("Response rate (%)"), results.response_rate],
        [
            _text(
                _(
                    "Results are shown only for groups of at least %(n)d respondents; "
                    "withheld groups say why."
                )
                % {"n": results.score_threshold}
            )
        ],
        [_("Free-text comments are not exported.")],
    ]
    if round_ is None or not results.respondents:
        rows.append([_("Nobody has answered this round yet.")])
        return rows
    for block in layout.blocks:
        question = block.question
        rows.append([])
        rows.append([_text(question.text), _text(question.get_kind_display())])
        headline = _("eNPS") if block.is_enps else _("Mean") if block.is_scale else None
        header = [_("Group"), _("Respondents")]
        if headline:
            header += [headline, _("Change since the previous round")]
        for column in block.columns:
            header += [_text(f"{column} (n)"), _text(f"{column} (%)")]
        rows.append(header)
        for row in block.rows:
            line: list[Any] = [_text(row.label)]
            if not row.shown:
                rows.append([*line, _text(row.reason)])
                continue
            line.append(row.count)
            if headline:
                line += [row.headline, "—" if row.delta is None else row.delta]
            for _label, count, pct in row.distribution:
                line += [count, pct]
            rows.append(line)
    if layout.dimensions:
        rows.append([])
        rows.append([_("Heatmap")])
        rows.append([_("Group"), *[_text(d) for d in layout.dimensions]])
        for heat in layout.heatmap:
            if not heat.shown:
                rows.append([_text(heat.label), _text(heat.reason)])
            else:
                rows.append([_text(heat.label), *[cell.value for cell in heat.cells]])
    return rows


def survey_export(request: HttpRequest, pk: int) -> HttpResponse:
    survey, rounds, layout = _results(request, pk)
    round_ = layout.results.round
    if round_ is None:
        raise Http404
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    for row in _sheet_rows(layout):
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = slugify(survey.title, allow_unicode=True) or f"survey-{survey.pk}"
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-{_('round')}-{round_.number}.xlsx"
    )
    return response
