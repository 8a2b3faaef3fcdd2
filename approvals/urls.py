"""Routes of the web pages (mounted at the site root)."""

from django.urls import path

from approvals import views, views_catalog, views_inbox

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("catalog/", views_catalog.catalog, name="catalog"),
    path(
        "catalog/<int:pk>/", views_catalog.entitlement_detail, name="entitlement_detail"
    ),
    path("cart/", views_catalog.cart, name="cart"),
    path("cart/add/<int:pk>/", views_catalog.cart_add, name="cart_add"),
    path("cart/remove/<int:pk>/", views_catalog.cart_remove, name="cart_remove"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path(
        "requests/<int:pk>/timeline/", views.request_timeline, name="request_timeline"
    ),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("access/", views.my_access, name="my_access"),
    path("access/<int:pk>/extend/", views.grant_extend, name="grant_extend"),
    path("access/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("approvals/", views_inbox.inbox, name="inbox"),
    path("approvals/decide/", views_inbox.decide_many, name="decide_many"),
    path("approvals/<int:pk>/decide/", views_inbox.decide, name="decide"),
]
