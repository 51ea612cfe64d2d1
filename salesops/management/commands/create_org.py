"""Create an organisation and hand it to its first sales ops admin."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from salesops.models import Membership, Organization, Role, User
from salesops.services import notifications, tenancy


class Command(BaseCommand):
    help = (
        "Create an organisation. An existing account becomes its admin at once; "
        "for a new address an admin invitation is created and its link printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the address part: /o/<slug>/")
        parser.add_argument("name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--time-zone", default="Asia/Shanghai")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    @transaction.atomic
    def handle(self, *args: object, **options: str) -> None:
        if Organization.objects.filter(slug=options["slug"]).exists():
            raise CommandError(
                f"An organisation with the address {options['slug']!r} exists already."
            )
        org = Organization(
            slug=options["slug"],
            name=options["name"],
            time_zone=options["time_zone"],
            currency=options["currency"],
            language=options["language"],
        )
        try:
            org.full_clean()
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from error
        org.save()
        tenancy.organization_prepare(org=org)
        email = options["admin_email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            Membership.objects.create(org=org, user=user, role=Role.ADMIN)
            self.stdout.write(
                self.style.SUCCESS(f"{org.name}: {user.email} is its admin. /o/{org.slug}/")
            )
            return
        invitation, token = tenancy.invitation_create(
            actor=None, org=org, email=email, role=Role.ADMIN
        )
        link = notifications.absolute_url(tenancy.invitation_url(token))
        self.stdout.write(
            self.style.SUCCESS(f"{org.name} created. Admin invitation for {invitation.email}:")
        )
        self.stdout.write(link)
