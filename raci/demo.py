"""The three template matrices, filled in for the demo organisation's teams and published."""

from django.db import transaction

from salesops.models import Membership, Organization, User

from . import selectors, services
from .blueprints import BLUEPRINTS
from .models import RaciMatrix


@transaction.atomic
def seed_matrices(*, org: Organization, actor: User, fallback_accountable: Membership) -> None:
    for blueprint in BLUEPRINTS:
        title = str(blueprint.title)
        if RaciMatrix.objects.for_org(org).filter(title=title).exists():
            continue
        matrix = services.matrix_create_from_blueprint(
            actor=actor, org=org, key=blueprint.key, title=title
        )
        grid = selectors.grid_for(matrix=matrix)
        # Where the organisation has no team of a kind (or no lead), someone must still decide.
        person = next(
            (p for p in grid.participants if p.membership_id == fallback_accountable.pk), None
        )
        for activity in grid.activities:
            letters = [grid.cells.get((activity.pk, p.pk), "") for p in grid.participants]
            if not any("A" in value for value in letters):
                if person is None:
                    person = services.participant_add(
                        actor=actor, matrix=matrix, membership=fallback_accountable
                    )
                services.cell_set(
                    actor=actor, matrix=matrix, activity=activity, participant=person, letters="A/R"
                )
        services.matrix_publish(actor=actor, matrix=matrix)
