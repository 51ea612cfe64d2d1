"""Importing CRM exports: upload, preview every bad row, commit all or nothing, run the job once."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from goals.models import GoalLevel, ImportStatus, Kpi, Measurement, MeasurementImport
from goals.services import measurements as measurement_services
from salesops.models import OutboxMessage, Role

from ..factories import GoalFactory, KpiFactory, TeamFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
TASK = "goals.tasks.measurement_import_run"


def url(name: str, **kwargs: object) -> str:
    return reverse(f"goals:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def names(world) -> dict[str, object]:
    """Chinese KPI and team names, as a Chinese CRM exports them."""
    return {
        "revenue": KpiFactory(org=world.org, name="销售额", unit="currency"),
        "leads": KpiFactory(org=world.org, name="新线索"),
        "east": TeamFactory(org=world.org, name="华东销售"),
    }


def upload(client, filename: str, content: bytes, goal=None, period_kind: str = "month"):
    target = url("import_start") + (f"?goal={goal.pk}" if goal is not None else "")
    return client.post(
        target,
        {"file": SimpleUploadedFile(filename, content), "period_kind": period_kind},
    )


def uploaded(client, filename: str, content: bytes, **kwargs: object) -> MeasurementImport:
    response = upload(client, filename, content, **kwargs)
    job = MeasurementImport.objects.order_by("-pk").first()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == url("import_detail", pk=job.pk)
    return job


def chinese_csv(*rows: str) -> bytes:
    return ("指标,团队,日期,数值\r\n" + "".join(f"{row}\r\n" for row in rows)).encode("gb18030")


CLEAN_ROWS = (
    '销售额,华东销售,2025-01-15,"1,200.50"',
    "销售额,华东销售,2025-02-10,980",
    "新线索,华东销售,2025-01-31,150",
)

ENGLISH_CSV = (
    "kpi,team,date,value\n销售额,East Sales,2025-01-15,100\n新线索,East Sales,2025-01-20,40\n"
).encode()


def commit(client, job: MeasurementImport, capture):
    with capture() as callbacks:
        response = client.post(url("import_commit", pk=job.pk))
    return response, callbacks


# --- upload and preview ---------------------------------------------------------------------


def test_utf8_csv_previews_clean_rows(world, clients, names):
    job = uploaded(clients[Role.MANAGER], "crm.csv", ENGLISH_CSV)

    response = clients[Role.MANAGER].get(url("import_detail", pk=job.pk))

    assert response.status_code == 200
    assert job.encoding == "utf-8"
    assert job.total_rows == 2
    assert job.mapping == {
        "kpi": "kpi",
        "value": "value",
        "date": "date",
        "team": "team",
        "owner": "",
        "external_id": "",
    }
    assert response.context["good_count"] == 2
    assert response.context["errors"] == []
    assert "2 rows are ready to import." in response.content.decode()


def test_gb18030_csv_with_chinese_headers_is_read(world, clients, names):
    job = uploaded(clients[Role.MANAGER], "销售数据.csv", chinese_csv(*CLEAN_ROWS))

    response = clients[Role.MANAGER].get(url("import_detail", pk=job.pk))

    assert job.encoding == "gb18030"
    assert job.mapping["kpi"] == "指标"
    assert job.mapping["team"] == "团队"
    assert job.mapping["date"] == "日期"
    assert job.mapping["value"] == "数值"
    assert response.context["good_count"] == 3
    assert response.context["errors"] == []
    assert "华东销售" in response.content.decode()


def test_preview_lists_every_bad_row_with_its_number_column_and_reason(world, clients, names):
    goal = GoalFactory(
        org=world.org,
        kpi=names["revenue"],
        team=names["east"],
        owner=world.user(Role.LEADER),
        start_date=date(2025, 1, 1),
        due_date=date(2025, 3, 31),
    )
    content = chinese_csv(
        "销售额,华东销售,2025-01-15,100",  # row 2: fine
        "未知指标,华东销售,2025-01-15,100",  # row 3
        "销售额,火星团队,2025-02-15,100",  # row 4
        "销售额,华东销售,2025-02-15,很多",  # row 5
        "销售额,华东销售,2025-06-15,100",  # row 6
        "销售额,华东销售,2025-01-20,100",  # row 7: January again
    )
    job = uploaded(clients[Role.LEADER], "bad.csv", content, goal=goal)

    response = clients[Role.LEADER].get(url("import_detail", pk=job.pk))

    assert job.goal == goal
    errors = [(e.row, e.column, e.reason) for e in response.context["errors"]]
    assert errors == [
        (3, "指标", "Unknown KPI “未知指标”."),
        (4, "团队", "Unknown team “火星团队”."),
        (5, "数值", "“很多” is not a number."),
        (6, "日期", "“2025-06-15” is outside the goal (2025-01-01 – 2025-03-31)."),
        (7, "指标", "Duplicate of row 2."),
    ]
    assert response.context["good_count"] == 1
    content = response.content.decode()
    assert "5 problems were found. Nothing will be imported until the file is fixed." in content
    assert "<td>6</td><td>日期</td>" in content
    assert "Import all rows" not in content


def test_duplicate_record_ids_are_reported(world, clients, names):
    content = (
        "id,kpi,team,date,value\n"
        "A-1,销售额,华东销售,2025-01-15,100\n"
        "A-1,销售额,华东销售,2025-02-15,100\n"
    ).encode()
    job = uploaded(clients[Role.MANAGER], "ids.csv", content)

    errors = clients[Role.MANAGER].get(url("import_detail", pk=job.pk)).context["errors"]

    assert [(e.row, e.column, e.reason) for e in errors] == [(3, "id", "Duplicate of row 2.")]


def test_ratio_kpi_rows_are_refused(world, clients, names):
    leads = names["leads"]
    won = KpiFactory(org=world.org, name="成交")
    KpiFactory(org=world.org, name="转化率", aggregation="ratio", numerator=won, denominator=leads)
    job = uploaded(clients[Role.MANAGER], "ratio.csv", chinese_csv("转化率,华东销售,2025-01-15,12"))

    errors = clients[Role.MANAGER].get(url("import_detail", pk=job.pk)).context["errors"]

    assert [(e.row, e.column) for e in errors] == [(2, "指标")]
    assert "is a ratio" in errors[0].reason


def test_columns_that_are_not_recognised_can_be_mapped_by_hand(world, clients, names):
    content = "what,where,when,how much\n销售额,华东销售,2025-01-15,100\n".encode()
    job = uploaded(clients[Role.MANAGER], "odd.csv", content)
    client = clients[Role.MANAGER]

    before = client.get(url("import_detail", pk=job.pk))
    assert before.context["problems"]
    assert "Import all rows" not in before.content.decode()

    response = client.post(
        url("import_detail", pk=job.pk),
        {"kpi": "what", "team": "where", "date": "when", "value": "how much"},
    )

    assert response.status_code == 302
    after = client.get(url("import_detail", pk=job.pk))
    assert after.context["problems"] == []
    assert after.context["good_count"] == 1


def test_a_txt_upload_is_refused_with_a_message(world, clients, names):
    response = upload(clients[Role.MANAGER], "export.txt", ENGLISH_CSV)

    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not MeasurementImport.objects.exists()


def test_an_empty_csv_is_refused_with_a_message(world, clients, names):
    response = upload(clients[Role.MANAGER], "empty.csv", b"\n\n")

    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    assert not MeasurementImport.objects.exists()


# --- commit ----------------------------------------------------------------------------------


def test_commit_is_refused_while_the_file_has_errors(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(
        clients[Role.MANAGER],
        "bad.csv",
        chinese_csv("销售额,华东销售,2025-01-15,100", "未知指标,华东销售,2025-01-15,100"),
    )

    response, callbacks = commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert "Fix the errors in the file first: nothing was imported." in messages_of(response)
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert callbacks == []
    assert not OutboxMessage.objects.filter(task_name=TASK).exists()
    assert not Measurement.objects.exists()


def test_clean_file_commit_queues_the_import_job(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))

    response, callbacks = commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert any(m.startswith("Import queued.") for m in messages_of(response))
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    message = OutboxMessage.objects.get(task_name=TASK)
    assert message.kwargs == {"import_id": job.pk}
    assert len(callbacks) == 1
    assert not Measurement.objects.exists()  # the job writes, not the request


def test_import_job_writes_every_row_once(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))
    commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    assert measurement_services.import_run(import_id=job.pk) == "done"

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.total_rows == 3
    assert job.processed_rows == job.total_rows
    assert job.percent_done == 100
    assert job.finished_at is not None
    rows = set(Measurement.objects.values_list("kpi__name", "team__name", "period_start", "value"))
    assert rows == {
        ("销售额", "华东销售", date(2025, 1, 1), Decimal("1200.5")),
        ("销售额", "华东销售", date(2025, 2, 1), Decimal("980")),
        ("新线索", "华东销售", date(2025, 1, 1), Decimal("150")),
    }
    assert set(Measurement.objects.values_list("source", "created_by")) == {
        ("import", world.user(Role.MANAGER).pk)
    }

    assert measurement_services.import_run(import_id=job.pk) == "skipped"
    assert Measurement.objects.count() == 3


def test_an_uploaded_import_that_was_not_committed_does_not_run(world, clients, names):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))

    assert measurement_services.import_run(import_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert not Measurement.objects.exists()


def test_a_committed_import_cannot_be_committed_again(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))
    commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    response, callbacks = commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    assert "This import has started already." in messages_of(response)
    assert callbacks == []
    assert OutboxMessage.objects.filter(task_name=TASK).count() == 1


def test_import_job_writes_nothing_when_the_file_no_longer_passes(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))
    commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)
    names["east"].archived_at = timezone.now()
    names["east"].save()

    assert measurement_services.import_run(import_id=job.pk) == "failed"

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "nothing was imported" in job.error
    assert not Measurement.objects.exists()


def run_file(client, filename: str, content: bytes, capture) -> MeasurementImport:
    job = uploaded(client, filename, content)
    commit(client, job, capture)
    assert measurement_services.import_run(import_id=job.pk) == "done"
    return job


def test_importing_the_same_file_again_does_not_duplicate(
    world, clients, names, django_capture_on_commit_callbacks
):
    client = clients[Role.MANAGER]
    run_file(client, "clean.csv", chinese_csv(*CLEAN_ROWS), django_capture_on_commit_callbacks)
    ids = set(Measurement.objects.values_list("pk", flat=True))

    run_file(client, "clean.csv", chinese_csv(*CLEAN_ROWS), django_capture_on_commit_callbacks)

    assert set(Measurement.objects.values_list("pk", flat=True)) == ids


def test_importing_a_corrected_file_updates_the_values(
    world, clients, names, django_capture_on_commit_callbacks
):
    client = clients[Role.MANAGER]
    run_file(client, "clean.csv", chinese_csv(*CLEAN_ROWS), django_capture_on_commit_callbacks)
    corrected = (CLEAN_ROWS[0], "销售额,华东销售,2025-02-10,1010", CLEAN_ROWS[2])

    run_file(client, "clean-v2.csv", chinese_csv(*corrected), django_capture_on_commit_callbacks)

    assert Measurement.objects.count() == 3
    february = Measurement.objects.get(kpi=names["revenue"], period_start=date(2025, 2, 1))
    assert february.value == 1010


def test_xlsx_built_with_openpyxl_imports(
    world, clients, names, django_capture_on_commit_callbacks
):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["指标", "团队", "日期", "数值"])
    sheet.append(["销售额", "华东销售", datetime(2025, 3, 5), 2500])
    sheet.append(["新线索", "East Sales", datetime(2025, 3, 9), 75.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_file(
        clients[Role.MANAGER], "export.xlsx", buffer.getvalue(), django_capture_on_commit_callbacks
    )

    assert job.encoding == "xlsx"
    assert set(Measurement.objects.values_list("team__name", "period_start", "value")) == {
        ("华东销售", date(2025, 3, 1), Decimal(2500)),
        ("East Sales", date(2025, 3, 1), Decimal("75.5")),
    }


def test_weekly_import_stores_week_periods(
    world, clients, names, django_capture_on_commit_callbacks
):
    job = uploaded(clients[Role.MANAGER], "weeks.csv", chinese_csv("新线索,华东销售,2025-01-08,10"))
    job.period_kind = "week"
    job.save()
    commit(clients[Role.MANAGER], job, django_capture_on_commit_callbacks)

    measurement_services.import_run(import_id=job.pk)

    measurement = Measurement.objects.get()
    assert (measurement.period_kind, measurement.period_start) == ("week", date(2025, 1, 6))


# --- progress --------------------------------------------------------------------------------------


def test_progress_fragment_renders_a_progress_bar(
    world, clients, names, django_capture_on_commit_callbacks
):
    client = clients[Role.MANAGER]
    job = uploaded(client, "clean.csv", chinese_csv(*CLEAN_ROWS))
    commit(client, job, django_capture_on_commit_callbacks)

    queued = client.get(url("import_progress", pk=job.pk), **HTMX).content.decode()

    assert "<progress" in queued
    assert 'hx-trigger="every 1s"' in queued
    assert '<nav class="navbar' not in queued

    measurement_services.import_run(import_id=job.pk)
    done = client.get(url("import_progress", pk=job.pk), **HTMX).content.decode()

    assert 'value="100"' in done
    assert "All rows were imported." in done
    assert "hx-trigger" not in done  # nothing left to poll


def test_import_start_lists_recent_imports_of_the_org(world, clients, names):
    uploaded(clients[Role.MANAGER], "mine.csv", ENGLISH_CSV)
    measurement_services.import_create(
        actor=world.outsider.user,
        org=world.other_org,
        filename="theirs.csv",
        content=ENGLISH_CSV,
        period_kind="month",
    )

    content = clients[Role.ADMIN].get(url("import_start")).content.decode()

    assert "mine.csv" in content
    assert "theirs.csv" not in content


# --- who may import ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_reps_and_members_get_403_on_imports(world, clients, names, role):
    job = uploaded(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS))
    client = clients[role]

    assert client.get(url("import_start")).status_code == 403
    assert upload(client, "clean.csv", chinese_csv(*CLEAN_ROWS)).status_code == 403
    assert client.get(url("import_detail", pk=job.pk)).status_code == 403
    assert client.post(url("import_commit", pk=job.pk)).status_code == 403
    assert client.get(url("import_progress", pk=job.pk)).status_code == 403
    assert MeasurementImport.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_import_of_another_org_is_not_found(world, clients, names):
    foreign = measurement_services.import_create(
        actor=world.outsider.user,
        org=world.other_org,
        filename="theirs.csv",
        content=ENGLISH_CSV,
        period_kind="month",
    )
    client = clients[Role.ADMIN]

    assert client.get(url("import_detail", pk=foreign.pk)).status_code == 404
    assert client.post(url("import_commit", pk=foreign.pk)).status_code == 404
    assert client.get(url("import_progress", pk=foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ImportStatus.UPLOADED


def test_import_for_a_goal_the_manager_cannot_see_is_not_found(world, clients, names):
    west = TeamFactory(org=world.org, name="West Sales")
    hidden = GoalFactory(
        org=world.org,
        kpi=names["revenue"],
        team=west,
        owner=world.user(Role.LEADER),
        level=GoalLevel.TEAM,
    )

    response = upload(clients[Role.MANAGER], "clean.csv", chinese_csv(*CLEAN_ROWS), goal=hidden)

    assert response.status_code == 404
    assert not MeasurementImport.objects.exists()


def test_import_kpi_names_are_matched_case_insensitively(world, clients, names):
    Kpi.objects.filter(pk=names["leads"].pk).update(name="New Leads")
    content = b"kpi,team,date,value\nnew leads,east sales,2025-01-15,3\n"
    job = uploaded(clients[Role.MANAGER], "case.csv", content)

    detail = clients[Role.MANAGER].get(url("import_detail", pk=job.pk))

    assert detail.context["errors"] == []
    assert detail.context["good_count"] == 1
