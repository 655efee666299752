"""Admin registrations, one module per area of the site."""

from . import feedback, registry, stories  # noqa: F401
