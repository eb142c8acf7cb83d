from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from rr.checklists import selectors, services
from rr.checklists.models import Checklist, Regret
from rr.common.api import AuthenticatedAPIView, error_responses, validated
from rr.common.fields import OffsetDateTimeField, StrictBooleanField, StrictCharField


class RegretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regret
        fields = ["id", "description", "created_at", "success", "checklist"]


class ChecklistFieldsSerializer(serializers.ModelSerializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=False)

    class Meta:
        model = Checklist
        fields = ["id", "created_at", "score", "completed"]


class ChecklistSerializer(ChecklistFieldsSerializer):
    regrets = RegretSerializer(many=True, read_only=True)

    class Meta(ChecklistFieldsSerializer.Meta):
        fields = ChecklistFieldsSerializer.Meta.fields + ["regrets"]


class ChecklistForDayInput(serializers.Serializer):
    local_datetime = OffsetDateTimeField(help_text="The client's local time with its UTC offset.")


class RegretInput(serializers.Serializer):
    description = StrictCharField(min_length=1, max_length=255)


class RegretResolveInput(serializers.Serializer):
    success = StrictBooleanField(help_text="Only true is accepted: a regret can only be resolved.")


class ChecklistsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="checklist_list",
        summary="The user's checklists, newest first",
        responses={200: ChecklistSerializer(many=True), **error_responses(401)},
        tags=["checklists"],
    )
    def get(self, request):
        return Response(ChecklistSerializer(selectors.checklist_list(user=request.user), many=True).data)

    @extend_schema(
        operation_id="checklist_for_day",
        summary="Get (200) or create (201) the checklist of the client's local day",
        request=ChecklistForDayInput,
        responses={
            200: ChecklistSerializer,
            201: ChecklistSerializer,
            **error_responses(400, 401),
        },
        tags=["checklists"],
    )
    def post(self, request):
        data = validated(ChecklistForDayInput, request.data)
        checklist, created = services.checklist_for_day(user=request.user, local_datetime=data["local_datetime"])
        # A new checklist has no regrets: no query for them.
        regrets = [] if created else selectors.regret_list(checklist=checklist)
        body = ChecklistFieldsSerializer(checklist).data | {"regrets": RegretSerializer(regrets, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RegretsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="regret_list",
        summary="The regrets of one of the user's checklists",
        responses={200: RegretSerializer(many=True), **error_responses(401, 404)},
        tags=["checklists"],
    )
    def get(self, request, checklist_id):
        checklist = selectors.checklist_get(user=request.user, checklist_id=checklist_id)
        return Response(RegretSerializer(selectors.regret_list(checklist=checklist), many=True).data)

    @extend_schema(
        operation_id="regret_add",
        summary="Add a regret to one of the user's checklists",
        request=RegretInput,
        responses={201: RegretSerializer, **error_responses(400, 401, 404, 409)},
        tags=["checklists"],
    )
    def post(self, request, checklist_id):
        data = validated(RegretInput, request.data)
        regret, _ = services.regret_add(user=request.user, checklist_id=checklist_id, description=data["description"])
        return Response(RegretSerializer(regret).data, status=status.HTTP_201_CREATED)


class RegretView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="regret_resolve",
        summary="Resolve a regret (success: true); the checklist score follows",
        request=RegretResolveInput,
        responses={200: RegretSerializer, **error_responses(400, 401, 404, 409)},
        tags=["checklists"],
    )
    def patch(self, request, checklist_id, regret_id):
        data = validated(RegretResolveInput, request.data)
        regret, _ = services.regret_resolve(
            user=request.user, checklist_id=checklist_id, regret_id=regret_id, success=data["success"]
        )
        return Response(RegretSerializer(regret).data)

    @extend_schema(
        operation_id="regret_resolve_put",
        summary="Same as PATCH",
        request=RegretResolveInput,
        responses={200: RegretSerializer, **error_responses(400, 401, 404, 409)},
        tags=["checklists"],
    )
    def put(self, request, checklist_id, regret_id):
        return self.patch(request, checklist_id, regret_id)
