from django.urls import path

from evidence import production_views as views

app_name = "productions"
urlpatterns = [
    path("cases/<int:case_id>/productions/", views.case_productions, name="list"),
    path("cases/<int:case_id>/productions/new/", views.create, name="create"),
    path("cases/<int:case_id>/searches/", views.save_search, name="save_search"),
    path("productions/<int:production_id>/", views.detail, name="detail"),
    path("productions/<int:production_id>/progress.json", views.progress, name="progress"),
    path("productions/<int:production_id>/items/", views.select, name="select"),
    path("productions/<int:production_id>/items/<int:item_id>/withhold/", views.withhold, name="withhold"),
    path("productions/<int:production_id>/decide/", views.decide_items, name="decide"),
    path("productions/<int:production_id>/build/", views.build, name="build"),
    path("productions/<int:production_id>/approval/", views.request_approval, name="request_approval"),
    path("productions/<int:production_id>/approval/decide/", views.decide_approval, name="decide_approval"),
    path("productions/<int:production_id>/release/", views.release, name="release"),
    path("productions/<int:production_id>/revoke/", views.revoke, name="revoke"),
    path("productions/<int:production_id>/resume/", views.lift_suspension, name="lift_suspension"),
    path("productions/<int:production_id>/resume/approval/", views.request_lift_approval, name="request_lift_approval"),
    path("productions/<int:production_id>/package/", views.download, name="download"),
]
