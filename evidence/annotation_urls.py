from django.urls import path

from evidence import annotation_views

app_name = "annotations"
urlpatterns = [
    path("items/<int:item_id>/comments/", annotation_views.item_comments, name="list"),
]
