"""What a port's public page shows, gathered in a fixed number of queries."""

from dataclasses import dataclass, field

from django.utils import timezone

from .choices import PORT_MAX, PORT_MIN, RANGE_BOUNDS, range_class_for
from .models import Assignment, KnownUse, RegistryChange, Story
from .revisions import StoryPage


class NotAPort(ValueError):
    pass


@dataclass
class PortPage:
    number: int
    range_class: str
    range_bounds: tuple
    assignments: list
    known_uses: list
    history: list
    story: Story | None = None
    story_page: StoryPage | None = None
    transports: list = field(default_factory=list)

    @property
    def range_label(self):
        from .choices import RangeClass

        return RangeClass(self.range_class).label


def port_page(number: int, *, language: str, now=None) -> PortPage:
    if not PORT_MIN <= number <= PORT_MAX:
        raise NotAPort(number)
    now = now or timezone.now()
    range_class = range_class_for(number)
    assignments = list(
        Assignment.objects.covering(number).order_by("status", "transport", "service_name")
    )
    story = (
        Story.objects.live(now)
        .filter(port_id=number)
        .select_related("live_revision")
        .first()
    )
    page = PortPage(
        number=number,
        range_class=range_class,
        range_bounds=RANGE_BOUNDS[range_class],
        assignments=assignments,
        known_uses=list(KnownUse.objects.filter(port_id=number)),
        history=list(
            RegistryChange.objects.filter(port_low__lte=number, port_high__gte=number)
            .select_related("assignment", "run")
            .order_by("-created_at", "id")[:50]
        ),
        transports=sorted({a.transport for a in assignments if a.transport}),
    )
    if story is not None:
        page.story = story
        page.story_page = StoryPage.from_content(story.live_revision.content, language)
    return page
