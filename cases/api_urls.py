from django.urls import path

from cases import api

urlpatterns = [
    path("", api.CaseListView.as_view(), name="api-cases"),
    path("<int:case_id>/", api.CaseDetailView.as_view(), name="api-case"),
    path("survivors/<int:survivor_id>/", api.SurvivorView.as_view(), name="api-survivor"),
    path("survivors/<int:survivor_id>/consents/", api.ConsentListView.as_view(), name="api-consents"),
    path("survivors/<int:survivor_id>/consents/withdraw/", api.WithdrawView.as_view(), name="api-withdraw"),
    path("survivors/<int:survivor_id>/notes/", api.NoteCreateView.as_view(), name="api-notes"),
]
