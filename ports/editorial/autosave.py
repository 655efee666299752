"""
Autosave of the story change form: an editor's unsaved form, kept while they
type and offered back when they open the story again (after a closed tab or
a crash). It is theirs alone and never touches the story: no revision, no
version. A restored form keeps the version it was based on, so the usual
version check refuses its save if someone else saved meanwhile.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ports.models import Story, StoryAutosave

# Never kept: the request's CSRF token, and the buttons that say how to save.
_NOT_KEPT = {"csrfmiddlewaretoken"}


def form_pairs(data) -> list[list[str]]:
    """A posted form (a QueryDict) as the [name, value] pairs it holds, in order."""
    return [
        [name, value]
        for name, values in data.lists()
        if name not in _NOT_KEPT and not name.startswith("_")
        for value in values
    ]


@transaction.atomic
def story_autosave(
    *, story: Story, by: AbstractBaseUser, data: list, base_version: int
) -> StoryAutosave:
    """Keep `by`'s unsaved form of `story`, replacing what was kept before."""
    autosave, _created = StoryAutosave.objects.update_or_create(
        story=story,
        user=by,
        defaults={
            "data": data,
            "base_version": base_version,
            "saved_at": timezone.now(),
        },
    )
    return autosave


def story_autosave_of(*, story: Story, user: AbstractBaseUser) -> StoryAutosave | None:
    return StoryAutosave.objects.filter(story=story, user=user).first()


def story_autosave_discard(*, story: Story, by: AbstractBaseUser) -> None:
    """Forget `by`'s unsaved form of `story` (saved, or thrown away)."""
    StoryAutosave.objects.filter(story=story, user=by).delete()
