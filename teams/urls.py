from django.urls import path

from teams import views

app_name = "teams"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
    path("teams/<int:team_id>/members/", views.member_add, name="member-add"),
    path("teams/<int:team_id>/members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("teams/<int:team_id>/members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
]
