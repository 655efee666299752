from django.db import models
from django.utils.translation import gettext_lazy as _

PORT_MIN = 0
PORT_MAX = 65535


class RangeClass(models.TextChoices):
    SYSTEM = "system", _("System (well-known)")
    USER = "user", _("User (registered)")
    DYNAMIC = "dynamic", _("Dynamic (private)")


# Bounds of each range class, as RFC 6335 section 6 defines them.
RANGE_BOUNDS = {
    RangeClass.SYSTEM: (0, 1023),
    RangeClass.USER: (1024, 49151),
    RangeClass.DYNAMIC: (49152, 65535),
}


class Transport(models.TextChoices):
    TCP = "tcp", "TCP"
    UDP = "udp", "UDP"
    SCTP = "sctp", "SCTP"
    DCCP = "dccp", "DCCP"
    NONE = "", _("none given")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    RESERVED = "reserved", _("Reserved")
    UNASSIGNED = "unassigned", _("Unassigned")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StoryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    # Approved for a go-live time that has not come yet.
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class KnownUseKind(models.TextChoices):
    UNOFFICIAL = "unofficial", _("Unofficial or conflicting use")
    MALWARE = "malware", _("Malware report")


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    CHANGED = "changed", _("Changed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    RESTORED = "restored", _("Restored")


def range_class_for(number: int) -> RangeClass:
    for range_class, (low, high) in RANGE_BOUNDS.items():
        if low <= number <= high:
            return range_class
    raise ValueError(f"{number} is not a port number (0–65535)")


def port_range_text(low: int | None, high: int | None, *, dash: str = "–") -> str:
    """A registry row's ports as text: "80", "6000–6063", or "" for none."""
    if low is None:
        return ""
    if low == high:
        return str(low)
    return f"{low}{dash}{high}"
