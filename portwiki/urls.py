from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from ports.admin.translations import translation_completeness
from ports.api import downloads
from ports.api.views import api
from ports.api.views import not_found as api_not_found
from ports.reader.sitemaps import sitemaps
from ports.reader.views import favicon, robots_txt, shared_listing

# Plain pages that need no database: see ports.security.
handler400 = "ports.security.bad_request"
handler500 = "ports.security.server_error"

urlpatterns = [
    path(
        "admin/translations/",
        admin.site.admin_view(translation_completeness),
        name="translation-completeness",
    ),
    path("admin/", admin.site.urls),
    # The open data: read-only JSON, in English, outside the language prefixes.
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("data/", downloads.index, name="data-index"),
    path("data/<str:name>", downloads.download, name="data-file"),
    path("robots.txt", robots_txt, name="robots-txt"),
    # Asked for by browsers and crawlers whatever the pages link to.
    path("favicon.ico", favicon, name="favicon"),
    path(
        "sitemap.xml",
        shared_listing(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        shared_listing(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
]
# Readers' pages in every language: English without a prefix (/ports/373/),
# the others under theirs (/ja/ports/373/).
urlpatterns += i18n_patterns(
    path("", include("ports.urls")), prefix_default_language=False
)
