"""URL routes of the portal."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accessportal import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/", include("approvals.api.urls")),
    path("", include("approvals.urls")),  # the web pages; "home" is the dashboard
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
