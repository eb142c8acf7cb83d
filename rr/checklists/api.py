import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rr.accounts.authentication import AuthenticatedRequest
from rr.checklists import selectors, services
from rr.checklists.days import history, user_stats
from rr.checklists.serializers import (
    ChecklistDaySerializer,
    ChecklistFieldsSerializer,
    ChecklistForDayInput,
    ChecklistSerializer,
    HistorySerializer,
    RegretInput,
    RegretResolvedSerializer,
    RegretSerializer,
    RegretUpdateInput,
    RoutineAddInput,
    RoutineItemInput,
    RoutineItemSerializer,
    RoutineReplaceInput,
)
from rr.common.api import AuthenticatedAPIView, error_example, error_responses, validated

CHECKLIST_EXAMPLE: dict[str, Any] = {
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


def _list_window(params: QueryDict) -> tuple[date | None, int | None]:
    """(since, limit) of GET /api/checklists/: each None when absent; a bad one is a 400."""
    errors: dict[str, list[str]]
    since: date | None
    limit: int | None
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
    def get(self, request: AuthenticatedRequest) -> Response:
        since, limit = _list_window(request.query_params)
        checklists = selectors.checklist_list(user=request.user, since=since, limit=limit)
        return Response(ChecklistSerializer(checklists, many=True).data)

    @extend_schema(
        operation_id="checklist_for_day",
        summary="Get (200) or create (201) the checklist of the client's local day",
        request=ChecklistForDayInput,
        responses={
            200: ChecklistDaySerializer,
            201: ChecklistDaySerializer,
            **error_responses(400, 401, 409),
        },
        examples=[
            OpenApiExample(
                "Singapore, 1 a.m. on 19 June", value={"local_datetime": "2025-06-19T01:00:00+08:00"}, request_only=True
            ),
            OpenApiExample(
                "the day's checklist",
                value={**CHECKLIST_EXAMPLE, "current_streak": 4, "kept_today": False},
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "a new checklist (an empty routine)",
                value={**CHECKLIST_EXAMPLE, "score": 1, "regrets": [], "current_streak": 4, "kept_today": False},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "a new checklist, started with the routine",
                value={
                    **CHECKLIST_EXAMPLE,
                    "score": 1,
                    "regrets": [{**regret, "success": False} for regret in CHECKLIST_EXAMPLE["regrets"]],
                    "current_streak": 4,
                    "kept_today": False,
                },
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
    def post(self, request: AuthenticatedRequest) -> Response:
        data = validated(ChecklistForDayInput, request.data)
        checklist, created = services.checklist_for_day(user=request.user, local_datetime=data["local_datetime"])
        # A new checklist's regrets (its routine) came back from their INSERT: no query for them.
        regrets = checklist.regrets.all() if created else selectors.regret_list(checklist=checklist)
        stats = user_stats(request.user)
        body = ChecklistFieldsSerializer(checklist).data | {
            "regrets": RegretSerializer(regrets, many=True).data,
            "current_streak": stats.current_streak,
            "kept_today": stats.kept_today,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ChecklistView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="checklist_get",
        summary="One of the user's checklists, with its regrets",
        responses={200: ChecklistSerializer, **error_responses(401, 404)},
        examples=[OpenApiExample("a checklist", value=CHECKLIST_EXAMPLE, response_only=True), CHECKLIST_NOT_FOUND],
        tags=["checklists"],
    )
    def get(self, request: AuthenticatedRequest, checklist_id: int) -> Response:
        checklist = selectors.checklist_get(user=request.user, checklist_id=checklist_id, with_regrets=True)
        return Response(ChecklistSerializer(checklist).data)


# The history (docs/STREAKS.md): the user's days, streaks and strength (rr/checklists/days.py).
HISTORY_DAYS_DEFAULT = 30
HISTORY_DAYS_MAX = 366

# OpenAPI examples: the bodies these views answer, for the users of the other endpoints'
# examples (alice, bob; mobiledev is the one asking), on the days of CHECKLIST_EXAMPLE.
HISTORY_EXAMPLE = {
    "days": [
        {"date": "2025-06-19", "regret_index": 0.5, "regrets": 2, "resolved": 1, "kept": False},
        {"date": "2025-06-18", "regret_index": 0.0, "regrets": 3, "resolved": 3, "kept": True},
        {"date": "2025-06-17", "regret_index": 0.0, "regrets": 1, "resolved": 1, "kept": True},
        {"date": "2025-06-16", "regret_index": None, "regrets": 0, "resolved": 0, "kept": False},
    ],
    "current_streak": 2,
    "longest_streak": 9,
    "strength": 0.3127,
    "daily_goal": 0.0,
}


def _score(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class ChecklistHistoryView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="checklist_history",
        summary="Your last `days` local days, streaks and habit strength",
        parameters=[
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": HISTORY_DAYS_MAX},
                description=f"default {HISTORY_DAYS_DEFAULT}",
            )
        ],
        responses={200: HistorySerializer, **error_responses(401)},
        examples=[
            OpenApiExample("?days=4: kept yesterday and the day before", value=HISTORY_EXAMPLE, response_only=True),
            error_example(
                "invalid_field",
                400,
                f"days: Must be an integer from 1 to {HISTORY_DAYS_MAX}.",
                fields={"days": [f"Must be an integer from 1 to {HISTORY_DAYS_MAX}."]},
            ),
        ],
        tags=["checklists"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        raw = request.query_params.get("days")
        days = HISTORY_DAYS_DEFAULT
        if raw is not None:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= HISTORY_DAYS_MAX):
                raise ValidationError({"days": [f"Must be an integer from 1 to {HISTORY_DAYS_MAX}."]})
            days = int(raw)
        found = history(user=request.user, days=days)
        goal = request.user.daily_goal
        return Response(
            {
                "days": [
                    {
                        "date": day.date.isoformat(),
                        "regret_index": _score(day.score),
                        "regrets": day.regrets,
                        "resolved": day.resolved,
                        "kept": day.kept(goal),
                    }
                    for day in found.days
                ],
                "current_streak": found.current_streak,
                "longest_streak": found.longest_streak,
                "strength": float(found.strength),
                "daily_goal": float(goal),
            }
        )


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
    def get(self, request: AuthenticatedRequest, checklist_id: int) -> Response:
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
    def post(self, request: AuthenticatedRequest, checklist_id: int) -> Response:
        data = validated(RegretInput, request.data)
        regret, _ = services.regret_add(
            user=request.user,
            checklist_id=checklist_id,
            description=data["description"],
            client_id=data.get("client_id"),
        )
        return Response(RegretSerializer(regret).data, status=status.HTTP_201_CREATED)


REGRET_NOT_FOUND = error_example("regret_not_found", 404, "Regret not found.")
UPDATE_SCHEMA: dict[str, Any] = {
    "request": RegretUpdateInput,
    "responses": {200: RegretResolvedSerializer, **error_responses(400, 401, 404, 409)},
    "examples": [
        OpenApiExample("resolve", value={"success": True}, request_only=True),
        OpenApiExample("undo a tick", value={"success": False}, request_only=True),
        OpenApiExample("reword", value={"description": "Go for a 5 km run"}, request_only=True),
        OpenApiExample(
            "resolved (also the answer to a repeated tick)",
            value={**CHECKLIST_EXAMPLE["regrets"][1], "success": True, "score": 0},
            response_only=True,
            status_codes=["200"],
        ),
        error_example(
            "invalid_field",
            400,
            "success: Must be a JSON boolean (true or false).",
            fields={"success": ["Must be a JSON boolean (true or false)."]},
        ),
        DAY_CLOSED,
        REGRET_NOT_FOUND,
    ],
    "tags": ["checklists"],
}
SCORE_HEADER = "Checklist-Score"


class RegretView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="regret_resolve",
        summary="Tick (success: true) or untick (false) a regret, or reword it (description), while its day is"
        " open; answers with the checklist's new score. Safe to repeat.",
        **UPDATE_SCHEMA,
    )
    def patch(self, request: AuthenticatedRequest, checklist_id: int, regret_id: int) -> Response:
        data = validated(RegretUpdateInput, request.data)
        regret, checklist = services.regret_update(
            user=request.user,
            checklist_id=checklist_id,
            regret_id=regret_id,
            success=data.get("success"),
            description=data.get("description"),
        )
        regret.score = checklist.score  # type: ignore[attr-defined]  # read by RegretResolvedSerializer
        return Response(RegretResolvedSerializer(regret).data)

    @extend_schema(operation_id="regret_resolve_put", summary="Same as PATCH", **UPDATE_SCHEMA)
    def put(self, request: AuthenticatedRequest, checklist_id: int, regret_id: int) -> Response:
        return self.patch(request, checklist_id, regret_id)

    @extend_schema(
        operation_id="regret_delete",
        summary="Remove a regret while its day is open (204); the checklist's new score is in the"
        f" {SCORE_HEADER} header",
        request=None,
        parameters=[
            OpenApiParameter(
                SCORE_HEADER,
                OpenApiTypes.NUMBER,
                OpenApiParameter.HEADER,
                description="The checklist's score after the removal, 0..1 (e.g. 0.5).",
                response=[204],
            )
        ],
        responses={
            204: OpenApiResponse(description="Removed."),
            **error_responses(401, 404, 409),
        },
        examples=[DAY_CLOSED, REGRET_NOT_FOUND],
        tags=["checklists"],
    )
    def delete(self, request: AuthenticatedRequest, checklist_id: int, regret_id: int) -> Response:
        checklist = services.regret_delete(user=request.user, checklist_id=checklist_id, regret_id=regret_id)
        return Response(status=status.HTTP_204_NO_CONTENT, headers={SCORE_HEADER: str(float(checklist.score))})


# The routine -----------------------------------------------------------------------------


ROUTINE_EXAMPLE = [
    {"id": 31, "description": "Call my mother", "position": 1},
    {"id": 35, "description": "Go for a run", "position": 2},
]
ROUTINE_ITEM_NOT_FOUND = error_example("routine_item_not_found", 404, "Routine item not found.")


class RoutineView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="routine_list",
        summary="Your routine: the standing regrets every new day's checklist starts with, in order",
        responses={200: RoutineItemSerializer(many=True), **error_responses(401)},
        # Wrapped in a list by drf-spectacular, as for every many=True response.
        examples=[OpenApiExample("a routine", value=ROUTINE_EXAMPLE[0], response_only=True)],
        tags=["checklists"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(RoutineItemSerializer(selectors.routine_list(user=request.user), many=True).data)

    @extend_schema(
        operation_id="routine_add",
        summary="Add a standing regret at the end of your routine (a description, or from one of your regrets)",
        request=RoutineAddInput,
        responses={201: RoutineItemSerializer, **error_responses(400, 401, 404, 409)},
        examples=[
            OpenApiExample("a description", value={"description": "Go for a run"}, request_only=True),
            OpenApiExample("from today's regret", value={"from_regret": 9002}, request_only=True),
            OpenApiExample("added", value=ROUTINE_EXAMPLE[1], response_only=True, status_codes=["201"]),
            error_example("regret_not_found", 404, "Regret not found."),
            error_example("already_in_routine", 409, "“Go for a run” is already in your routine."),
            error_example("routine_full", 409, f"A routine holds at most {services.ROUTINE_LIMIT} regrets."),
        ],
        tags=["checklists"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = validated(RoutineAddInput, request.data)
        item = services.routine_add(
            user=request.user, description=data.get("description"), from_regret=data.get("from_regret")
        )
        return Response(RoutineItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="routine_replace",
        summary="Make one of your checklists (say yesterday's) your whole routine; answers the new routine",
        request=RoutineReplaceInput,
        responses={200: RoutineItemSerializer(many=True), **error_responses(400, 401, 404)},
        examples=[
            OpenApiExample("yesterday's list", value={"from_checklist": 4511}, request_only=True),
            OpenApiExample("the new routine", value=ROUTINE_EXAMPLE[0], response_only=True, status_codes=["200"]),
            CHECKLIST_NOT_FOUND,
        ],
        tags=["checklists"],
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        data = validated(RoutineReplaceInput, request.data)
        items = services.routine_replace(user=request.user, checklist_id=data["from_checklist"])
        return Response(RoutineItemSerializer(items, many=True).data)


class RoutineItemView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="routine_update",
        summary="Rename an item of your routine and/or move it to another position",
        request=RoutineItemInput,
        responses={200: RoutineItemSerializer, **error_responses(400, 401, 404, 409)},
        examples=[
            OpenApiExample("move to the top", value={"position": 1}, request_only=True),
            OpenApiExample("rename", value={"description": "Go for a long run"}, request_only=True),
            OpenApiExample("moved", value={**ROUTINE_EXAMPLE[1], "position": 1}, response_only=True),
            error_example(
                "invalid_field",
                400,
                "position must be between 1 and 2 (the routine's length).",
                fields={"position": ["position must be between 1 and 2 (the routine's length)."]},
            ),
            ROUTINE_ITEM_NOT_FOUND,
            error_example("already_in_routine", 409, "“Go for a run” is already in your routine."),
        ],
        tags=["checklists"],
    )
    def patch(self, request: AuthenticatedRequest, item_id: int) -> Response:
        data = validated(RoutineItemInput, request.data)
        item = services.routine_update(
            user=request.user, item_id=item_id, description=data.get("description"), position=data.get("position")
        )
        return Response(RoutineItemSerializer(item).data)

    @extend_schema(
        operation_id="routine_delete",
        summary="Remove an item from your routine (checklists keep their regrets)",
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **error_responses(401, 404)},
        examples=[ROUTINE_ITEM_NOT_FOUND],
        tags=["checklists"],
    )
    def delete(self, request: AuthenticatedRequest, item_id: int) -> Response:
        services.routine_delete(user=request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
