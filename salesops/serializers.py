from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Membership, Organization, Team, User


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["slug", "name", "time_zone", "language", "currency", "fiscal_year_start_month"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "preferred_language"]
        read_only_fields = fields


class MemberTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_lead = serializers.BooleanField()


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    organization = OrganizationSerializer()
    role = serializers.CharField()
    teams = MemberTeamSerializer(many=True)


class TeamMemberSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField(source="membership.id")
    display_name = serializers.CharField(source="membership.user.display_name")
    is_lead = serializers.BooleanField()


class TeamSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), allow_null=True, required=False
    )
    member_count = serializers.IntegerField(read_only=True)
    is_archived = serializers.BooleanField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "kind",
            "parent",
            "description",
            "is_archived",
            "member_count",
            "created_at",
        ]
        read_only_fields = ["id", "is_archived", "member_count", "created_at"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        request = self.context.get("request")
        org = getattr(getattr(request, "_request", None), "org", None)
        if org is not None:
            self.fields["parent"].queryset = Team.objects.for_org(org).active()


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    teams = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "title", "is_active", "joined_at", "teams"]
        read_only_fields = fields

    @extend_schema_field(MemberTeamSerializer(many=True))
    def get_teams(self, membership: Membership) -> list[dict[str, object]]:
        return [
            {"id": link.team_id, "name": link.team.name, "is_lead": link.is_lead}
            for link in membership.team_memberships.all()
        ]
