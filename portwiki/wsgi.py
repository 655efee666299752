"""WSGI entry point: gunicorn portwiki.wsgi (see README.md, Deployment)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portwiki.settings")

application = get_wsgi_application()
