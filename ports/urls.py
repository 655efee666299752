from django.urls import path

from ports.editorial import preview
from ports.reader import feeds, observed_views, registry_feeds, registry_views, views

app_name = "ports"
urlpatterns = [
    path("", views.home, name="home"),
    path("ports/", views.port_list, name="port-list"),
    path("ports/<int:number>/", views.port_detail, name="port-detail"),
    path(
        "ports/<int:number>/v/<int:version>/",
        views.port_version,
        name="port-version",
    ),
    path("ports/<int:number>/feedback/", views.feedback, name="feedback"),
    path("ports/<int:low>-<int:high>/", views.port_range, name="port-range"),
    path("ports/top-open/", observed_views.top_open, name="top-open"),
    path("ports/<slug:name>/", views.range_class, name="range-class"),
    path("services/<path:name>/", views.service_detail, name="service-detail"),
    path("search/", views.search_view, name="search"),
    path(
        "feeds/stories.rss",
        views.shared_listing(feeds.StoriesFeed()),
        name="feed-rss",
    ),
    path(
        "feeds/stories.atom",
        views.shared_listing(feeds.StoriesAtomFeed()),
        name="feed-atom",
    ),
    path(
        "registry/changes/",
        registry_views.registry_change_list,
        name="registry-changes",
    ),
    path(
        "registry/changes/<int:pk>/",
        registry_views.registry_change_detail,
        name="registry-change-detail",
    ),
    path(
        "feeds/registry.rss",
        registry_views.shared_registry(registry_feeds.RegistryChangesFeed()),
        name="registry-feed-rss",
    ),
    path(
        "feeds/registry.atom",
        registry_views.shared_registry(registry_feeds.RegistryChangesAtomFeed()),
        name="registry-feed-atom",
    ),
    path("tools/free-port/", observed_views.free_port, name="free-port"),
    path("preview/stories/<int:pk>/", preview.story_preview, name="story-preview"),
]
