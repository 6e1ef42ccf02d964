from django.urls import path

from cases import sharing_views as views

app_name = "sharing"
urlpatterns = [
    path("cases/<int:case_id>/grants/", views.grants, name="grants"),
    path("cases/<int:case_id>/approvals/", views.request_approval, name="request_approval"),
    path("grants/<int:grant_id>/revoke/", views.revoke, name="revoke"),
    path("approvals/<int:approval_id>/decide/", views.decide_approval, name="decide"),
    path("review/", views.review, name="review"),
]
