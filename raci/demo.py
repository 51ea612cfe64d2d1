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


@transaction.atomic
def seed_disputes(*, org: Organization, teams: dict[str, object], people: dict[str, User]) -> None:
    """One open dispute (sales and marketing both claim a lead) and one decided (who calls an unhappy customer)."""
    from .disputes import dispute_decide, dispute_raise
    from .models import Dispute, RaciActivity

    east, marketing, service = (
        teams["华东销售 / East Sales"],
        teams["市场部 / Marketing"],
        teams["客户服务 / Customer Service"],
    )
    if not Dispute.objects.for_org(org).filter(subject__startswith="Two teams claim").exists():
        handoff = RaciActivity.objects.filter(
            matrix__org=org, name="Pass qualified leads to sales within 24 hours"
        ).first()
        dispute_raise(
            actor=people["manager"],
            org=org,
            subject="Two teams claim the Hangzhou trade-show leads",
            party_a=east,  # type: ignore[arg-type]
            party_b=marketing,  # type: ignore[arg-type]
            activity=handoff,
            statement="We met these buyers at our booth and qualified them ourselves; they are sales-sourced.",
        )
    if not Dispute.objects.for_org(org).filter(subject__startswith="Who calls").exists():
        escalate = RaciActivity.objects.filter(
            matrix__org=org, name="Escalate an unhappy customer"
        ).first()
        dispute = dispute_raise(
            actor=people["service"],
            org=org,
            subject="Who calls an unhappy customer first?",
            party_a=service,  # type: ignore[arg-type]
            party_b=east,  # type: ignore[arg-type]
            activity=escalate,
            statement="Service hears the complaint first, but sales owns the relationship and the renewal.",
        )
        dispute_decide(
            actor=dispute.arbitrator,
            dispute=dispute,
            decision="Service calls within 4 hours and logs the call; sales follows up within a day. "
            "Sales stays Accountable for the relationship.",
        )
