from django.urls import path

from accounts import api_views as api

urlpatterns = [
    path("token/", api.TokenView.as_view(), name="api-token"),
]
