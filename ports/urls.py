from django.urls import path

from . import views

app_name = "ports"
urlpatterns = [
    path("ports/<int:number>/", views.port_detail, name="port-detail"),
]
