"""WSGI entry point: gunicorn portwiki.wsgi (see README.md, Deployment)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portwiki.settings")

application = get_wsgi_application()

# What loading the project created (modules, settings, URL patterns, some
# hundred thousand objects) lives as long as the process: moved out of the
# collector's sight, it is not walked again by every full collection, which
# came once in a few hundred requests and cost tens of milliseconds.
gc.freeze()
