"""ports.plain_sql: fixed reads that give the values the ORM would."""

from datetime import datetime

import pytest
from django.db import models

from ports import pages, plain_sql, search
from ports.models import Assignment, FeedbackPrompt, Story, StoryRevision


def test_every_page_read_knows_how_its_values_come_back_from_json():
    reads = [
        *pages.port_page_reads(80, "de"),
        *search._postgres_reads("web server", ["web", "server"], now=None),
    ]
    for read in reads:
        plan = plain_sql._json_plan(read.model, read.fields)
        assert all(callable(parse) for _position, parse in plan)
    # Dates and times are parsed; numbers and text are taken as they come.
    story_read = pages.port_page_reads(80, "en")[1]
    parsed = {
        position
        for position, _parse in plain_sql._json_plan(
            story_read.model, story_read.fields
        )
    }
    assert parsed == {
        position
        for position, name in enumerate(story_read.fields)
        if name
        in (
            "published_at",
            "go_live_at",
            "expire_at",
            "scheduled_go_live_at",
            "last_reviewed_at",
        )
        or name == (pages.StoryRevision, "created_at")
    }


@pytest.mark.parametrize(
    "field",
    [
        models.DecimalField(max_digits=5, decimal_places=2),
        models.UUIDField(),
        models.DurationField(),
    ],
)
def test_a_field_json_cannot_give_back_as_the_orm_would_is_refused(field):
    field.set_attributes_from_name("odd")
    field.model = Assignment
    with pytest.raises(TypeError, match=r"Assignment.odd .* no conversion from JSON"):
        plain_sql._from_json(field)


def test_foreign_keys_read_as_their_target():
    # A port's number and a revision's story id: integers, taken as they come.
    assert plain_sql._from_json(Story._meta.get_field("port")) is None
    assert plain_sql._from_json(StoryRevision._meta.get_field("story")) is None
    # The target's own conversion applies: a datetime is parsed.
    assert plain_sql._from_json(FeedbackPrompt._meta.get_field("updated_at")) == (
        datetime.fromisoformat
    )
