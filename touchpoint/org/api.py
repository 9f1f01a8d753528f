"""Read-only API for users and departments."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, QueryFilter, ScopedViewMixin, filter_parameters
from touchpoint.org.access import visible_departments, visible_users
from touchpoint.org.models import Department, Position, User


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en", "order", "is_active"]


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)
    positions = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True)  # may be blank, so not in the "email" format

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "display_name", "email", "department", "positions", "is_active"]

    def get_positions(self, user: User) -> list[str]:
        return sorted({m.position for m in user.memberships.all()})


USER_FILTERS = {
    "department": QueryFilter("department_id", serializers.IntegerField(min_value=1), _("Department id.")),
    "is_active": QueryFilter("is_active", serializers.BooleanField(), _("Active users only, or deactivated ones.")),
    "position": QueryFilter("memberships__position", serializers.ChoiceField(choices=Position.choices), _("Holds this position.")),
}
USER_ORDERING = ["username", "full_name", "date_joined"]


@extend_schema_view(
    list=extend_schema(
        summary=_("List users"),
        parameters=filter_parameters(USER_FILTERS, USER_ORDERING),
        responses={200: UserSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=_("Get a user"), responses={200: UserSerializer, **READ_ERRORS}),
)
class UserViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Colleagues: users of Touchpoint and their positions."""

    serializer_class = UserSerializer
    query_filters = USER_FILTERS
    ordering_fields = USER_ORDERING
    ordering = ["username"]

    def get_queryset(self) -> QuerySet[User]:
        return visible_users(self.request.user).prefetch_related("memberships").distinct()


DEPARTMENT_FILTERS = {
    "is_active": QueryFilter("is_active", serializers.BooleanField(), _("Active departments only, or closed ones.")),
}
DEPARTMENT_ORDERING = ["order", "code", "name"]


@extend_schema_view(
    list=extend_schema(
        summary=_("List departments"),
        parameters=filter_parameters(DEPARTMENT_FILTERS, DEPARTMENT_ORDERING),
        responses={200: DepartmentSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=_("Get a department"), responses={200: DepartmentSerializer, **READ_ERRORS}),
)
class DepartmentViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The departments of the company."""

    serializer_class = DepartmentSerializer
    query_filters = DEPARTMENT_FILTERS
    ordering_fields = DEPARTMENT_ORDERING
    ordering = ["order"]

    def get_queryset(self) -> QuerySet[Department]:
        return visible_departments(self.request.user)
