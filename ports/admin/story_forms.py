"""Forms of the story admin: the change form's edit guard and the workflow steps."""

from django import forms
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ports.choices import PORT_MAX, PORT_MIN
from ports.editorial import actions
from ports.models import Port, StoryTransition

Action = StoryTransition.Action


class PortNumberField(forms.IntegerField):
    """
    A port typed as its number. Every number 0–65535 is a port whether or
    not a row exists yet, so a valid number gets its row (as other tables'
    references do) and an out-of-range one is refused.
    """

    # Off for a form read only to show its data (the live preview): a number
    # without a row then gets an unsaved Port, so that showing the form never
    # writes, nor waits for or collides with a save creating the same row.
    create_rows = True

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", PORT_MIN)
        kwargs.setdefault("max_value", PORT_MAX)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.pk if isinstance(value, Port) else value

    def clean(self, value):
        number = super().clean(value)
        if number is None:
            return None
        if not self.create_rows:
            return Port.objects.filter(number=number).first() or Port(number=number)
        return Port.objects.ensure([number]).get()


class StoryChangeForm(forms.ModelForm):
    """
    Carries the story's version so that a save based on an older version is
    refused (with the editor's text kept in the form) instead of overwriting
    someone else's save.
    """

    edit_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Off for a form read only to show its data (the live preview), which
    # must not lock the story's row nor refuse an editor's older base.
    check_version = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_version"].initial = self.instance.version
        # A title over its limit is refused with a message on saving, and a
        # counter shows the length as it is typed: the browser does not cut.
        for name, field in self.fields.items():
            if name.startswith("title") and getattr(field, "max_length", None):
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-max-length"] = field.max_length
            elif name.startswith("body_"):
                field.widget.attrs.update(rows=30, cols=80, spellcheck="true")
                field.widget.attrs["class"] = " ".join(
                    filter(None, [field.widget.attrs.get("class"), "markdown-editor"])
                )

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk or not self.check_version:
            return cleaned_data
        expected = cleaned_data.get("edit_version")
        if expected is None:
            raise ValidationError(
                _("The form is incomplete: reload the story and try again.")
            )
        try:
            actions.story_lock(story_id=self.instance.pk, expected_version=expected)
        except actions.StaleStory as stale:
            self._refuse_stale(stale.current)
        return cleaned_data

    def _refuse_stale(self, current):
        latest = current.revisions.select_related("author").first()
        who = (latest.author.get_username() if latest and latest.author else None) or _(
            "someone else"
        )
        when = date_format(
            timezone.localtime(latest.created_at if latest else current.updated_at),
            "DATETIME_FORMAT",
        )
        # Saving again now would be a deliberate choice made after seeing
        # the conflict, so the next save is based on the current version.
        self.data = self.data.copy()
        self.data[self.add_prefix("edit_version")] = current.version
        history = reverse("admin:ports_story_revisions", args=[current.pk])
        raise ValidationError(
            format_html(
                '{} <a href="{}">{}</a>',
                _(
                    "%(who)s saved this story at %(when)s, after you opened it. "
                    "Nothing you changed has been saved: your text is kept below. "
                    "Compare it with their version, then save again to replace theirs."
                )
                % {"who": who, "when": when},
                history,
                _("See the revisions"),
            ),
            code="stale",
        )


class StepForm(forms.Form):
    """A workflow step, taken on the story as it was when the page was shown."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def step_arguments(self):
        return {
            "comment": self.cleaned_data["comment"],
            "expected_version": self.cleaned_data["version"],
        }


class SendBackForm(StepForm):
    comment = forms.CharField(
        label=_("What should the editor change?"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


def time_zone_note() -> str:
    """The zone the admin's date and time fields are read in, with its offset now."""
    offset = timezone.localtime().strftime("%z")  # "+0100"
    return _("Times are in %(zone)s (UTC%(offset)s).") % {
        "zone": timezone.get_current_timezone_name(),
        "offset": f"{offset[:3]}:{offset[3:]}",
    }


class PublishForm(StepForm):
    field_order = ("go_live_at", "expire_at", "comment")
    go_live_at = forms.SplitDateTimeField(
        label=_("Go live at"),
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text=_("Leave empty to publish now. A future time schedules the story."),
    )
    expire_at = forms.SplitDateTimeField(
        label=_("Expire at"),
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text=_(
            "Optional. After this time the port's page shows its registry facts only."
        ),
    )

    @property
    def time_zone_note(self):
        return time_zone_note()

    def clean(self):
        cleaned_data = super().clean()
        go_live_at = cleaned_data.get("go_live_at")
        expire_at = cleaned_data.get("expire_at")
        if expire_at and expire_at <= max(go_live_at or timezone.now(), timezone.now()):
            self.add_error(
                "expire_at",
                _("The expiry time must be after the go-live time and in the future."),
            )
        return cleaned_data

    def step_arguments(self):
        return {
            **super().step_arguments(),
            "at": self.cleaned_data["go_live_at"],
            "expire_at": self.cleaned_data["expire_at"],
        }


class ReviewedForm(StepForm):
    def step_arguments(self):
        return {"comment": self.cleaned_data["comment"]}


# For each step: its form, the service that takes it, and the button's label.
STEPS = {
    Action.SUBMIT: (StepForm, actions.story_submit, _("Submit for review")),
    Action.PUBLISH: (PublishForm, actions.story_publish, _("Publish")),
    Action.SEND_BACK: (SendBackForm, actions.story_send_back, _("Send back to draft")),
    Action.UNPUBLISH: (StepForm, actions.story_unpublish, _("Unpublish")),
    Action.REVIEWED: (
        ReviewedForm,
        actions.story_mark_reviewed,
        _("Mark as reviewed"),
    ),
}
