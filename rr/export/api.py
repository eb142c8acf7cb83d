"""GET /auth/user/export/: the account's data export (selectors.account_export)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.response import Response

from rr.accounts.authentication import AuthenticatedRequest
from rr.accounts.serializers import AccountSerializer
from rr.common.api import AuthenticatedAPIView, error_responses
from rr.export import selectors


class AccountExportView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="account_export",
        summary="Everything stored about the account, as JSON (GDPR export)",
        responses={200: inline_serializer("AccountExport", {"account": AccountSerializer()}), **error_responses(401)},
        tags=["accounts"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(selectors.account_export(user=request.user))
