from django.urls import path

from . import preview, views

app_name = "ports"
urlpatterns = [
    path("ports/<int:number>/", views.port_detail, name="port-detail"),
    path("preview/stories/<int:pk>/", preview.story_preview, name="story-preview"),
]
