"""The project's URLs plus views that fail unexpectedly (for the error-logging tests)."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config import urls

SECRET = "secret detail: password=hunter2"


def explode(request):
    raise RuntimeError(SECRET)


class ExplodingApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise KeyError(SECRET)


class ExplodingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/middleware-boom/":
            raise ValueError(SECRET)
        return self.get_response(request)


urlpatterns = [
    path("boom/", explode),
    path("api/boom/", ExplodingApi.as_view()),
    path("", include(urls.urlpatterns)),
]
handler500 = urls.handler500
handler404 = urls.handler404
