from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from ports.sitemaps import sitemaps
from ports.views import cached_response, robots_txt

# Plain pages that need no database: see ports.security.
handler400 = "ports.security.bad_request"
handler500 = "ports.security.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        cached_response(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        cached_response(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("", include("ports.urls")),
]
