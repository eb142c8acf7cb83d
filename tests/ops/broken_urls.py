"""The project's URLs with the follow endpoint answering wrongly (for the verify_deployment tests)."""

from django.http import JsonResponse
from django.urls import include, path

from config import urls


def wrong_follow(request, username):
    return JsonResponse({"message": "ok"})


urlpatterns = [
    path("api/network/follow/<str:username>/", wrong_follow),
    path("", include(urls.urlpatterns)),
]
