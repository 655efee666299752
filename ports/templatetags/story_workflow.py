"""The admin index's work queues."""

from django import template

from ports.editorial import workflow

register = template.Library()


@register.simple_tag(takes_context=True)
def story_work_queues(context):
    return workflow.work_queues(context["request"].user)
