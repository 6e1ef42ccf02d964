from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("notifications/", views.notifications, name="notifications"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/add/<slug:part>/", views.case_add, name="add"),
    path("<int:case_id>/survivors/new/", views.survivor_create, name="survivor_create"),
    path("survivors/<int:survivor_id>/", views.survivor_detail, name="survivor"),
    path("survivors/<int:survivor_id>/edit/", views.survivor_edit, name="survivor_edit"),
    path("survivors/<int:survivor_id>/consent/", views.consent_record, name="consent"),
    path("survivors/<int:survivor_id>/consent/withdraw/", views.consent_withdraw, name="withdraw"),
    path("survivors/<int:survivor_id>/receipt/", views.receipt, name="receipt"),
    path("survivors/<int:survivor_id>/identity/", views.identity_reveal, name="identity"),
    path("survivors/<int:survivor_id>/identity/edit/", views.identity_edit, name="identity_edit"),
    path("survivors/<int:survivor_id>/custodians/", views.custodians, name="custodians"),
    path("survivors/<int:survivor_id>/notes/", views.notes, name="notes"),
    path("survivors/<int:survivor_id>/interviews/", views.interviews, name="interviews"),
    path("notes/<int:note_id>/", views.note_detail, name="note"),
]
