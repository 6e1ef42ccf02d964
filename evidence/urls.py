from django.urls import path

from evidence import tus, views

app_name = "evidence"
urlpatterns = [
    path("cases/<int:case_id>/", views.item_list, name="list"),
    path("cases/<int:case_id>/upload/", views.upload_page, name="upload_page"),
    path("cases/<int:case_id>/upload/multipart/", views.upload, name="upload"),
    path("cases/<int:case_id>/uploads/", tus.collection, name="tus"),
    path("uploads/<uuid:upload_id>", tus.resource, name="tus_resource"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/download/", views.download, name="download"),
    path("items/<int:item_id>/content/", views.content, name="content"),
    path("items/<int:item_id>/legal-hold/", views.legal_hold, name="legal_hold"),
    path("items/<int:item_id>/shred/", views.shred, name="shred"),
    path("items/<int:item_id>/survivors/", views.survivors, name="survivors"),
    path("integrity/", views.integrity, name="integrity"),
]
