"""Admin registrations, one module per area of the site."""

from ports.admin import feedback, registry, stories  # noqa: F401
