from django.urls import path

from evidence import sharing_views

app_name = "item_sharing"
urlpatterns = [
    path("cases/<int:case_id>/grants/items/", sharing_views.grant_items, name="grant_items"),
]
