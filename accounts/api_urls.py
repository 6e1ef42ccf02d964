from django.urls import path

from accounts import api_views

urlpatterns = [
    path("token/", api_views.TokenView.as_view(), name="api-token"),
    path("sudo/", api_views.SudoView.as_view(), name="api-sudo"),
]
