from django.urls import path

from evidence import api

urlpatterns = [
    path("cases/<int:case_id>/items/", api.CaseItemsView.as_view(), name="api-evidence-case-items"),
    path("items/<int:item_id>/", api.ItemView.as_view(), name="api-evidence-item"),
    path("items/<int:item_id>/legal-hold/", api.LegalHoldView.as_view(), name="api-evidence-legal-hold"),
    path("items/<int:item_id>/download/", api.DownloadView.as_view(), name="api-evidence-download"),
]
