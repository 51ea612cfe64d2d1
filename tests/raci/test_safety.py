"""Small promises: drafts notify nobody, exports cannot smuggle spreadsheet formulas, refusals are shown."""

from django.urls import reverse

from raci import services
from raci.models import ActivityState
from salesops.models import Notification, Role


def _matrix(world, title="Hand-off"):
    admin = world.user(Role.ADMIN)
    matrix = services.matrix_create(actor=admin, org=world.org, title=title)
    activity = services.activity_add(actor=admin, matrix=matrix, name='=HYPERLINK("http://x")')
    person = services.participant_add(
        actor=admin, matrix=matrix, membership=world.members[Role.MANAGER]
    )
    services.cell_set(
        actor=admin, matrix=matrix, activity=activity, participant=person, letters="A/R"
    )
    return matrix, activity


def test_a_draft_matrix_notifies_nobody_when_an_activity_is_blocked(world):
    _matrix_obj, activity = _matrix(world)
    services.activity_set_state(
        actor=world.user(Role.ADMIN), activity=activity, state=ActivityState.BLOCKED
    )
    assert not Notification.objects.filter(kind__startswith="raci.").exists()


def test_exports_neutralise_formulas(world, clients):
    matrix, _activity = _matrix(world)
    url = reverse("raci:matrix_export", kwargs={"org_slug": "acme", "pk": matrix.pk, "fmt": "csv"})
    body = (
        clients[Role.REP if matrix.is_published else Role.ADMIN]
        .get(url)
        .content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_a_refused_htmx_change_comes_back_with_its_message(world, clients):
    matrix, activity = _matrix(world)
    url = reverse(
        "raci:activity_update",
        kwargs={"org_slug": "acme", "pk": matrix.pk, "activity_pk": activity.pk},
    )
    response = clients[Role.ADMIN].post(url, {"direction": "sideways"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert 'id="messages"' in content and 'hx-swap-oob="true"' in content
    assert "up or down" in content
