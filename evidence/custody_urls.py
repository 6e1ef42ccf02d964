from django.urls import path

from evidence import custody_views as views

app_name = "custody"
urlpatterns = [
    path("items/<int:item_id>/custody/", views.custody_page, name="page"),
    path("items/<int:item_id>/custody/propose/", views.propose, name="propose"),
    path("items/<int:item_id>/custody/transfers/<int:transfer_id>/accept/", views.accept, name="accept"),
    path("items/<int:item_id>/custody/transfers/<int:transfer_id>/decline/", views.decline, name="decline"),
    path("items/<int:item_id>/custody/transfers/<int:transfer_id>/cancel/", views.cancel, name="cancel"),
    path("items/<int:item_id>/custody/report.pdf", views.report_pdf, name="report_pdf"),
    path("items/<int:item_id>/custody/report.json", views.report_json, name="report_json"),
    path("cases/<int:case_id>/physical-items/new/", views.register_physical, name="register_physical"),
]
