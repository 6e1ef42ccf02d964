from django.urls import path

from teams import views

app_name = "teams"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
]
