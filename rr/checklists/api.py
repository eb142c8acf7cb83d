import re
from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rr.checklists import selectors, services
from rr.checklists.models import Checklist, Regret
from rr.common.api import AuthenticatedAPIView, error_example, error_responses, validated
from rr.common.fields import OffsetDateTimeField, StrictBooleanField, StrictCharField

SCORE_HELP = (
    "The share of this checklist's regrets still unresolved, 0..1 (1 with no regrets). The same number"
    " is shown to followers as `regret_index` (of the latest checklist)."
)


class RegretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regret
        fields = ["id", "description", "created_at", "success", "checklist"]


class RegretResolvedSerializer(RegretSerializer):
    score = serializers.DecimalField(
        max_digits=5, decimal_places=4, coerce_to_string=False, help_text="The checklist's score after the tick."
    )

    class Meta(RegretSerializer.Meta):
        fields = RegretSerializer.Meta.fields + ["score"]


class ChecklistFieldsSerializer(serializers.ModelSerializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=False, help_text=SCORE_HELP)
    completed = serializers.SerializerMethodField(
        help_text="True once the checklist's local day is over plus the grace period: regrets and score are frozen."
    )
    local_date = serializers.SerializerMethodField(
        help_text="The local day the checklist belongs to (for checklists made before it was recorded: the UTC date)."
    )

    class Meta:
        model = Checklist
        fields = ["id", "created_at", "score", "completed", "local_date"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_completed(self, checklist):
        return selectors.checklist_is_completed(checklist, at=self.context.get("now") or timezone.now())

    @extend_schema_field(OpenApiTypes.DATE)
    def get_local_date(self, checklist):
        return selectors.checklist_local_date(checklist).isoformat()


class ChecklistSerializer(ChecklistFieldsSerializer):
    regrets = RegretSerializer(many=True, read_only=True)

    class Meta(ChecklistFieldsSerializer.Meta):
        fields = ChecklistFieldsSerializer.Meta.fields + ["regrets"]


class ChecklistForDayInput(serializers.Serializer):
    local_datetime = OffsetDateTimeField(
        help_text="The client's local time with its UTC offset (ISO 8601); the checklist is that local date's."
    )


class StrictUUIDField(serializers.UUIDField):
    # A JSON string only: DRF's UUIDField would also take the integer 5 as UUID(int=5).
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class RegretInput(serializers.Serializer):
    description = StrictCharField(min_length=1, max_length=255)
    client_id = StrictUUIDField(
        required=False,
        help_text="Your idempotency key (a UUID you generate): sending it again answers the regret"
        " already added with it instead of adding another.",
    )


class RegretResolveInput(serializers.Serializer):
    success = StrictBooleanField(help_text="Only true is accepted: a regret can only be resolved.")


CHECKLIST_EXAMPLE = {
    "id": 4512,
    "created_at": "2025-06-18T17:00:00Z",
    "score": 0.5,
    "completed": False,
    "local_date": "2025-06-19",
    "regrets": [
        {
            "id": 9001,
            "description": "Call my mother",
            "created_at": "2025-06-18T17:01:12Z",
            "success": True,
            "checklist": 4512,
        },
        {
            "id": 9002,
            "description": "Go for a run",
            "created_at": "2025-06-18T17:01:30Z",
            "success": False,
            "checklist": 4512,
        },
    ],
}
DAY_CLOSED = error_example("day_closed", 409, services.DAY_CLOSED)
CHECKLIST_NOT_FOUND = error_example("checklist_not_found", 404, "Checklist not found.")


CHECKLIST_LIST_LIMIT_MAX = 1000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _list_window(params):
    """(since, limit) of GET /api/checklists/: each None when absent; a bad one is a 400."""
    errors, since, limit = {}, None, None
    raw = params.get("since")
    if raw is not None:
        try:
            since = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
        except ValueError:
            since = None
        if since is None:
            errors["since"] = ["Must be a date, YYYY-MM-DD."]
    raw = params.get("limit")
    if raw is not None:
        if raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= CHECKLIST_LIST_LIMIT_MAX:
            limit = int(raw)
        else:
            errors["limit"] = [f"Must be an integer from 1 to {CHECKLIST_LIST_LIMIT_MAX}."]
    if errors:
        raise ValidationError(errors)
    return since, limit


class ChecklistsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="checklist_list",
        summary="The user's checklists, newest first (all of them, or a window: ?since=, ?limit=)",
        parameters=[
            OpenApiParameter(
                "since",
                {"type": "string", "format": "date"},
                description="only the checklists of this local date (YYYY-MM-DD) or later",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": CHECKLIST_LIST_LIMIT_MAX},
                description="at most this many, the newest",
            ),
        ],
        responses={200: ChecklistSerializer(many=True), **error_responses(400, 401)},
        # drf-spectacular wraps the example of a list response (many=True) in a list itself.
        examples=[
            OpenApiExample("checklists", value=CHECKLIST_EXAMPLE, response_only=True),
            error_example(
                "invalid_field",
                400,
                "since: Must be a date, YYYY-MM-DD.",
                fields={"since": ["Must be a date, YYYY-MM-DD."]},
            ),
        ],
        tags=["checklists"],
    )
    def get(self, request):
        since, limit = _list_window(request.query_params)
        checklists = selectors.checklist_list(user=request.user, since=since, limit=limit)
        return Response(ChecklistSerializer(checklists, many=True).data)

    @extend_schema(
        operation_id="checklist_for_day",
        summary="Get (200) or create (201) the checklist of the client's local day",
        request=ChecklistForDayInput,
        responses={
            200: ChecklistSerializer,
            201: ChecklistSerializer,
            **error_responses(400, 401, 409),
        },
        examples=[
            OpenApiExample(
                "Singapore, 1 a.m. on 19 June", value={"local_datetime": "2025-06-19T01:00:00+08:00"}, request_only=True
            ),
            OpenApiExample("the day's checklist", value=CHECKLIST_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "a new checklist",
                value={**CHECKLIST_EXAMPLE, "score": 1, "regrets": []},
                response_only=True,
                status_codes=["201"],
            ),
            error_example(
                "invalid_field",
                400,
                "local_datetime must include a UTC offset, e.g. 2025-06-19T01:00:00+08:00.",
                fields={
                    "local_datetime": ["local_datetime must include a UTC offset, e.g. 2025-06-19T01:00:00+08:00."]
                },
            ),
            error_example("day_closed", 409, services.DAY_CLOSED_ELSEWHERE),
        ],
        tags=["checklists"],
    )
    def post(self, request):
        data = validated(ChecklistForDayInput, request.data)
        checklist, created = services.checklist_for_day(user=request.user, local_datetime=data["local_datetime"])
        # A new checklist has no regrets: no query for them.
        regrets = [] if created else selectors.regret_list(checklist=checklist)
        body = ChecklistFieldsSerializer(checklist).data | {"regrets": RegretSerializer(regrets, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ChecklistView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="checklist_get",
        summary="One of the user's checklists, with its regrets",
        responses={200: ChecklistSerializer, **error_responses(401, 404)},
        examples=[OpenApiExample("a checklist", value=CHECKLIST_EXAMPLE, response_only=True), CHECKLIST_NOT_FOUND],
        tags=["checklists"],
    )
    def get(self, request, checklist_id):
        checklist = selectors.checklist_get(user=request.user, checklist_id=checklist_id, with_regrets=True)
        return Response(ChecklistSerializer(checklist).data)


class RegretsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="regret_list",
        summary="The regrets of one of the user's checklists",
        responses={200: RegretSerializer(many=True), **error_responses(401, 404)},
        examples=[
            # Wrapped in a list by drf-spectacular, as for every many=True response.
            OpenApiExample("a regret", value=CHECKLIST_EXAMPLE["regrets"][1], response_only=True),
            CHECKLIST_NOT_FOUND,
        ],
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
        examples=[
            OpenApiExample("a regret", value={"description": "Go for a run"}, request_only=True),
            OpenApiExample("added", value=CHECKLIST_EXAMPLE["regrets"][1], response_only=True, status_codes=["201"]),
            DAY_CLOSED,
            CHECKLIST_NOT_FOUND,
        ],
        tags=["checklists"],
    )
    def post(self, request, checklist_id):
        data = validated(RegretInput, request.data)
        regret, _ = services.regret_add(
            user=request.user,
            checklist_id=checklist_id,
            description=data["description"],
            client_id=data.get("client_id"),
        )
        return Response(RegretSerializer(regret).data, status=status.HTTP_201_CREATED)


RESOLVE_SCHEMA = {
    "request": RegretResolveInput,
    "responses": {200: RegretResolvedSerializer, **error_responses(400, 401, 404, 409)},
    "examples": [
        OpenApiExample("resolve", value={"success": True}, request_only=True),
        OpenApiExample(
            "resolved (also the answer to a repeated tick)",
            value={**CHECKLIST_EXAMPLE["regrets"][1], "success": True, "score": 0},
            response_only=True,
            status_codes=["200"],
        ),
        error_example(
            "invalid_field",
            400,
            "success can only be set to true: a resolved regret stays resolved.",
            fields={"success": ["success can only be set to true: a resolved regret stays resolved."]},
        ),
        DAY_CLOSED,
        error_example("regret_not_found", 404, "Regret not found."),
    ],
    "tags": ["checklists"],
}


class RegretView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="regret_resolve",
        summary="Resolve a regret (success: true); answers with the checklist's new score. Safe to repeat.",
        **RESOLVE_SCHEMA,
    )
    def patch(self, request, checklist_id, regret_id):
        data = validated(RegretResolveInput, request.data)
        regret, checklist = services.regret_resolve(
            user=request.user, checklist_id=checklist_id, regret_id=regret_id, success=data["success"]
        )
        regret.score = checklist.score
        return Response(RegretResolvedSerializer(regret).data)

    @extend_schema(operation_id="regret_resolve_put", summary="Same as PATCH", **RESOLVE_SCHEMA)
    def put(self, request, checklist_id, regret_id):
        return self.patch(request, checklist_id, regret_id)
