from django.urls import path

from evidence import redaction_views as views

app_name = "redaction"
urlpatterns = [
    path("items/<int:item_id>/redaction/", views.item_jobs, name="item"),
    path("items/<int:item_id>/redaction/propose/", views.propose, name="propose"),
    path("redaction/<int:job_id>/", views.job_page, name="job"),
    path("redaction/<int:job_id>/pages/<int:page>.png", views.page_preview, name="page"),
    path("redaction/<int:job_id>/marks/<int:mark_id>/", views.decide_mark, name="decide"),
    path("redaction/<int:job_id>/reveal/request/", views.request_reveal, name="reveal_request"),
    path("redaction/<int:job_id>/reveal/", views.reveal, name="reveal"),
    path("redaction/<int:job_id>/terms/", views.add_term, name="add_term"),
    path("redaction/<int:job_id>/areas/", views.add_area, name="add_area"),
    path("redaction/<int:job_id>/review/", views.review, name="review"),
    path("redaction/<int:job_id>/approve/", views.approve, name="approve"),
    path("redaction/<int:job_id>/log.json", views.log_json, name="log_json"),
    path("redaction/<int:job_id>/log.csv", views.log_csv, name="log_csv"),
]
