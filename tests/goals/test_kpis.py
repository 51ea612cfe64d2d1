"""The KPI catalogue: everyone reads it, only admins change it, ratios and built-ins stay sound."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from goals.models import Kpi
from goals.services import kpis as kpi_services
from salesops.models import Role

from ..factories import GoalFactory, KpiFactory

NON_ADMINS = [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"goals:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def builtin(world) -> dict[str, Kpi]:
    kpi_services.kpis_ensure_builtin(org=world.org)
    return {kpi.key: kpi for kpi in Kpi.objects.for_org(world.org).exclude(key="")}


def kpi_data(**overrides: object) -> dict[str, object]:
    data = {
        "name": "Demo calls",
        "description": "",
        "unit": "count",
        "direction": "higher",
        "aggregation": "sum",
        "numerator": "",
        "denominator": "",
        "owning_team": "",
    }
    data.update(overrides)
    return data


# --- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, *NON_ADMINS])
def test_everyone_in_the_org_reads_the_kpi_catalogue(world, clients, builtin, role):
    response = clients[role].get(url("kpi_list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Conversion rate" in content
    assert "Deals won ÷ New leads" in content
    assert len(response.context["kpis"]) == 13


def test_kpi_catalogue_of_another_org_is_not_found(world, clients, builtin):
    assert clients["outsider"].get(url("kpi_list")).status_code == 404


def test_archived_kpis_are_listed_only_when_asked(world, clients):
    KpiFactory(org=world.org, name="Old metric", archived_at="2024-01-01T00:00:00Z")

    assert "Old metric" not in clients[Role.REP].get(url("kpi_list")).content.decode()
    assert (
        "Old metric" in clients[Role.REP].get(url("kpi_list"), {"archived": "1"}).content.decode()
    )


# --- who may change it --------------------------------------------------------------------


def test_admin_creates_a_custom_kpi(world, clients):
    response = clients[Role.ADMIN].post(url("kpi_create"), kpi_data())

    assert response.status_code == 302
    kpi = Kpi.objects.get(org=world.org, name="Demo calls")
    assert (kpi.unit, kpi.aggregation, kpi.key) == ("count", "sum", "")


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_may_create_kpis(world, clients, role):
    assert clients[role].get(url("kpi_create")).status_code == 403
    response = clients[role].post(url("kpi_create"), kpi_data())

    assert response.status_code == 403
    assert not Kpi.objects.filter(name="Demo calls").exists()


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_may_edit_kpis(world, clients, role):
    kpi = KpiFactory(org=world.org, name="Calls")

    assert clients[role].get(url("kpi_edit", pk=kpi.pk)).status_code == 403
    response = clients[role].post(url("kpi_edit", pk=kpi.pk), kpi_data(name="Renamed"))

    assert response.status_code == 403
    kpi.refresh_from_db()
    assert kpi.name == "Calls"


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_may_archive_kpis(world, clients, role):
    kpi = KpiFactory(org=world.org)

    response = clients[role].post(url("kpi_archive", pk=kpi.pk))

    assert response.status_code == 403
    kpi.refresh_from_db()
    assert kpi.archived_at is None


def test_admin_edits_a_custom_kpi(world, clients):
    kpi = KpiFactory(org=world.org, name="Calls")

    response = clients[Role.ADMIN].post(
        url("kpi_edit", pk=kpi.pk), kpi_data(name="Outbound calls", direction="lower")
    )

    assert response.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.name, kpi.direction) == ("Outbound calls", "lower")


def test_kpi_of_another_org_cannot_be_edited(world, clients):
    foreign = KpiFactory(org=world.other_org, name="Their KPI")

    response = clients[Role.ADMIN].post(url("kpi_edit", pk=foreign.pk), kpi_data(name="Mine now"))

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Their KPI"


# --- ratio KPIs -------------------------------------------------------------------------


def test_admin_creates_a_ratio_of_two_kpis_of_the_org(world, clients, builtin):
    response = clients[Role.ADMIN].post(
        url("kpi_create"),
        kpi_data(
            name="Qualified share",
            unit="percent",
            aggregation="ratio",
            numerator=builtin["qualified_leads"].pk,
            denominator=builtin["new_leads"].pk,
        ),
    )

    assert response.status_code == 302
    kpi = Kpi.objects.get(org=world.org, name="Qualified share")
    assert (kpi.numerator, kpi.denominator) == (builtin["qualified_leads"], builtin["new_leads"])


def test_ratio_kpi_without_a_denominator_is_refused_on_the_form(world, clients, builtin):
    response = clients[Role.ADMIN].post(
        url("kpi_create"),
        kpi_data(name="Half a ratio", aggregation="ratio", numerator=builtin["deals_won"].pk),
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Kpi.objects.filter(name="Half a ratio").exists()


def test_ratio_kpi_with_a_part_of_another_org_is_refused_on_the_form(world, clients, builtin):
    foreign = KpiFactory(org=world.other_org, name="Their leads")

    response = clients[Role.ADMIN].post(
        url("kpi_create"),
        kpi_data(
            name="Mixed ratio",
            aggregation="ratio",
            numerator=builtin["deals_won"].pk,
            denominator=foreign.pk,
        ),
    )

    assert response.status_code == 400
    assert "denominator" in response.context["form"].errors
    assert not Kpi.objects.filter(name="Mixed ratio").exists()


def test_ratio_kpi_with_equal_parts_is_refused_on_the_form(world, clients, builtin):
    won = builtin["deals_won"].pk

    response = clients[Role.ADMIN].post(
        url("kpi_create"),
        kpi_data(name="Won per won", aggregation="ratio", numerator=won, denominator=won),
    )

    assert response.status_code == 400
    assert "denominator" in response.context["form"].errors
    assert not Kpi.objects.filter(name="Won per won").exists()


def _ratio(world, **parts: object) -> Kpi:
    return kpi_services.kpi_create(
        actor=world.user(Role.ADMIN),
        org=world.org,
        name="Ratio under test",
        unit="percent",
        direction="higher",
        aggregation="ratio",
        **parts,
    )


def test_ratio_needs_both_a_numerator_and_a_denominator(world, builtin):
    with pytest.raises(ValidationError) as error:
        _ratio(world, numerator=builtin["deals_won"], denominator=None)

    assert set(error.value.message_dict) == {"denominator"}
    with pytest.raises(ValidationError) as error:
        _ratio(world, numerator=None, denominator=None)

    assert set(error.value.message_dict) == {"numerator", "denominator"}
    assert not Kpi.objects.filter(name="Ratio under test").exists()


def test_ratio_parts_must_belong_to_the_same_org(world, builtin):
    foreign = KpiFactory(org=world.other_org)

    with pytest.raises(ValidationError) as error:
        _ratio(world, numerator=foreign, denominator=builtin["new_leads"])

    assert set(error.value.message_dict) == {"numerator"}
    assert not Kpi.objects.filter(name="Ratio under test").exists()


def test_ratio_parts_must_not_be_ratios_themselves(world, builtin):
    with pytest.raises(ValidationError) as error:
        _ratio(world, numerator=builtin["conversion_rate"], denominator=builtin["new_leads"])

    assert set(error.value.message_dict) == {"numerator"}
    assert not Kpi.objects.filter(name="Ratio under test").exists()


def test_ratio_parts_must_differ(world, builtin):
    with pytest.raises(ValidationError) as error:
        _ratio(world, numerator=builtin["new_leads"], denominator=builtin["new_leads"])

    assert set(error.value.message_dict) == {"denominator"}
    assert not Kpi.objects.filter(name="Ratio under test").exists()


def test_a_ratio_cannot_use_itself_as_a_part(world, builtin):
    ratio = _ratio(world, numerator=builtin["deals_won"], denominator=builtin["new_leads"])

    with pytest.raises(ValidationError):
        kpi_services.kpi_update(
            actor=world.user(Role.ADMIN),
            kpi=ratio,
            name=ratio.name,
            unit="percent",
            direction="higher",
            aggregation="ratio",
            numerator=ratio,
            denominator=builtin["new_leads"],
        )

    ratio.refresh_from_db()
    assert ratio.numerator == builtin["deals_won"]


def test_non_ratio_kpi_drops_any_parts_it_was_given(world, builtin):
    kpi = kpi_services.kpi_create(
        actor=world.user(Role.ADMIN),
        org=world.org,
        name="Plain count",
        unit="count",
        direction="higher",
        aggregation="sum",
        numerator=builtin["deals_won"],
        denominator=builtin["new_leads"],
    )

    assert (kpi.numerator, kpi.denominator) == (None, None)


# --- built-in KPIs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"), [("unit", "currency"), ("aggregation", "average")], ids=["unit", "agg"]
)
def test_built_in_kpi_unit_and_aggregation_cannot_change(world, builtin, field, value):
    won = builtin["deals_won"]
    values = {"unit": won.unit, "aggregation": won.aggregation, field: value}

    with pytest.raises(ValidationError):
        kpi_services.kpi_update(
            actor=world.user(Role.ADMIN),
            kpi=won,
            name=won.name,
            direction=won.direction,
            **values,
        )

    won.refresh_from_db()
    assert (won.unit, won.aggregation) == ("count", "sum")


def test_built_in_kpi_unit_change_is_refused_on_the_edit_page(world, clients, builtin):
    won = builtin["deals_won"]

    response = clients[Role.ADMIN].post(
        url("kpi_edit", pk=won.pk), kpi_data(name=won.name, unit="currency")
    )

    assert response.status_code == 400
    assert "cannot change" in response.content.decode()
    won.refresh_from_db()
    assert won.unit == "count"


def test_built_in_kpi_description_and_direction_may_change(world, builtin):
    won = builtin["deals_won"]

    kpi_services.kpi_update(
        actor=world.user(Role.ADMIN),
        kpi=won,
        name=won.name,
        unit="count",
        direction="higher",
        aggregation="sum",
        description="Closed-won in the CRM.",
    )

    won.refresh_from_db()
    assert won.description == "Closed-won in the CRM."
    assert won.key == "deals_won"


def test_ensure_builtin_creates_thirteen_kpis_once(world):
    assert kpi_services.kpis_ensure_builtin(org=world.org) == 13
    assert kpi_services.kpis_ensure_builtin(org=world.org) == 0

    keys = set(Kpi.objects.for_org(world.org).values_list("key", flat=True))
    assert len(keys) == 13
    assert Kpi.objects.for_org(world.org).count() == 13
    assert {"new_leads", "deals_won", "revenue", "conversion_rate"} <= keys
    assert not Kpi.objects.for_org(world.other_org).exists()


def test_ensure_builtin_fills_in_only_the_missing_ones(world, builtin):
    builtin["lead_response_hours"].delete()

    assert kpi_services.kpis_ensure_builtin(org=world.org) == 1
    assert Kpi.objects.for_org(world.org).count() == 13


def test_conversion_rate_is_deals_won_over_new_leads(world, builtin):
    conversion = builtin["conversion_rate"]

    assert conversion.aggregation == "ratio"
    assert conversion.unit == "percent"
    assert conversion.numerator == builtin["deals_won"]
    assert conversion.denominator == builtin["new_leads"]
    assert conversion.display_name == "Conversion rate"


# --- archiving --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "active"])
def test_archiving_is_refused_while_an_open_goal_uses_the_kpi(world, clients, status):
    kpi = KpiFactory(org=world.org, name="In use")
    GoalFactory(
        org=world.org, kpi=kpi, team=world.team, owner=world.user(Role.MANAGER), status=status
    )

    response = clients[Role.ADMIN].post(url("kpi_archive", pk=kpi.pk))

    assert response.status_code == 302
    assert any("Goals that are open use this KPI" in m for m in messages_of(response))
    kpi.refresh_from_db()
    assert kpi.archived_at is None


def test_archiving_a_kpi_only_closed_goals_use(world, clients):
    kpi = KpiFactory(org=world.org, name="Done with")
    GoalFactory(
        org=world.org, kpi=kpi, team=world.team, owner=world.user(Role.MANAGER), status="achieved"
    )

    response = clients[Role.ADMIN].post(url("kpi_archive", pk=kpi.pk))

    assert response.status_code == 302
    assert "KPI archived." in messages_of(response)
    kpi.refresh_from_db()
    assert kpi.archived_at is not None
    assert kpi not in Kpi.objects.for_org(world.org).active()


def test_kpi_of_another_org_cannot_be_archived(world, clients):
    foreign = KpiFactory(org=world.other_org)

    assert clients[Role.ADMIN].post(url("kpi_archive", pk=foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.archived_at is None
