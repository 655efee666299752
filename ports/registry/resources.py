"""
import-export resources: the registry's columns as IANA lays them out.

AssignmentResource defines the columns, their widgets and the export. Its
import goes through ports.registry.importing (set-based, with history), never through
import-export's row-by-row engine, so every way in records the same changes.

Formula escaping is done by the widgets, not by import-export's
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT, which deletes a leading "=" (so the
value does not come back on import) and leaves "+", "-" and "@" alone.
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from ports.models import Assignment
from ports.registry import iana_csv, importing

COLUMNS = iana_csv.COLUMNS


class RegistryTextWidget(widgets.CharWidget):
    """A text cell: stored as iana_csv.clean_text() reads it, exported escaped."""

    def clean(self, value, row=None, **kwargs):
        return iana_csv.clean_text("" if value is None else str(value))

    def render(self, value, obj=None, **kwargs):
        return iana_csv.escape_formula("" if value is None else str(value))


class TransportWidget(RegistryTextWidget):
    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).lower()


class RegistryDateWidget(RegistryTextWidget):
    """YYYY-MM or YYYY-MM-DD, kept as text: the registry gives both."""

    def clean(self, value, row=None, **kwargs):
        return iana_csv.check_date(super().clean(value, row, **kwargs))


class PortRangeWidget(widgets.Widget):
    """The Port Number column: "80", "6000-6063" or empty, as (first, last)."""

    def clean(self, value, row=None, **kwargs):
        return iana_csv.parse_port(
            iana_csv.clean_text("" if value is None else str(value))
        )

    def render(self, value, obj=None, **kwargs):
        low, high = value
        return iana_csv.format_port(low, high)


class PortRangeField(fields.Field):
    """One column for the two model fields port_low and port_high."""

    def get_value(self, instance):
        return instance.port_low, instance.port_high

    def save(self, instance, row, is_m2m=False, **kwargs):
        instance.port_low, instance.port_high = self.clean(row, **kwargs)


def _column(name, widget_class=RegistryTextWidget):
    return fields.Field(
        attribute=name, column_name=COLUMNS[name], widget=widget_class()
    )


class AssignmentResource(resources.ModelResource):
    service_name = _column("service_name")
    port = PortRangeField(column_name=COLUMNS["port"], widget=PortRangeWidget())
    transport = _column("transport", TransportWidget)
    description = _column("description")
    assignee = _column("assignee")
    contact = _column("contact")
    registration_date = _column("registration_date", RegistryDateWidget)
    modification_date = _column("modification_date", RegistryDateWidget)
    reference = _column("reference")
    service_code = _column("service_code")
    unauthorized_use = _column("unauthorized_use")
    assignment_notes = _column("assignment_notes")

    class Meta:
        model = Assignment
        name = "IANA service-names-port-numbers.csv"
        fields = tuple(COLUMNS)
        export_order = tuple(COLUMNS)
        # What identifies a row; the import matches on iana_csv.natural_key(),
        # which also uses the description of unnamed or port-less rows.
        import_id_fields = ("service_name", "transport", "port")

    def get_queryset(self):
        # Withdrawn assignments are not in IANA's file; exporting them would
        # bring them back on the next import. Port-less rows come last, as there.
        return Assignment.objects.current().order_by(
            F("port_low").asc(nulls_last=True), "port_high", "id"
        )

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        """
        Import a tablib Dataset through ports.registry.importing: the dataset is written
        back as CSV and planned and applied in bulk, in one transaction.

        The returned Result carries `plan` (and `run` unless dry_run); its
        totals count new, updated (changed), skipped (unchanged) and invalid
        rows. `skip_invalid=True` imports the valid rows of a file with
        invalid ones.
        """
        result = self.get_result_class()()
        result.diff_headers = self.get_export_headers()
        result.plan = result.run = None
        data = dataset.export("csv").encode()
        file_name = kwargs.get("file_name") or "dataset.csv"
        skip_invalid = kwargs.get("skip_invalid", False)
        try:
            if dry_run:
                plan = importing.plan_import(
                    data, file_name=file_name, skip_invalid=skip_invalid
                )
            else:
                plan, result.run = importing.import_registry(
                    data,
                    file_name=file_name,
                    user=kwargs.get("user"),
                    skip_invalid=skip_invalid,
                )
        except importing.ImportRefused as refused:
            if raise_errors:
                raise
            result.append_base_error(self.get_error_result_class()(refused))
            return result
        result.plan = plan
        counts = plan.counts
        result.totals.update(
            new=counts["new"],
            update=counts["changed"],
            skip=counts["unchanged"],
            invalid=counts["invalid"],
        )
        result.total_rows = plan.total_rows
        return result


class FeedbackReportResource(resources.Resource):
    """
    The feedback report's rows (ports.reader.feedback.ReportRow) as a spreadsheet.
    Readers' comments are escaped like registry text: a comment starting
    with "=" must not run as a formula on an editor's computer.
    """

    port = fields.Field(attribute="port", column_name=_("Port"))
    title = fields.Field(
        attribute="title", column_name=_("Story"), widget=RegistryTextWidget()
    )
    language = fields.Field(attribute="language", column_name=_("Language"))
    votes = fields.Field(attribute="votes", column_name=_("Votes"))
    helpful = fields.Field(attribute="helpful", column_name=_("Helpful"))
    not_helpful = fields.Field(attribute="not_helpful", column_name=_("Not helpful"))
    helpful_percent = fields.Field(
        attribute="helpful_percent", column_name=_("Helpful %")
    )
    last_vote = fields.Field(
        attribute="last_vote",
        column_name=_("Last answer"),
        widget=widgets.DateTimeWidget(format="%Y-%m-%d %H:%M"),
    )
    recent_comments = fields.Field(
        attribute="recent_comments",
        column_name=_("Recent comments"),
        widget=RegistryTextWidget(),
    )

    class Meta:
        fields = (
            "port",
            "title",
            "language",
            "votes",
            "helpful",
            "not_helpful",
            "helpful_percent",
            "last_vote",
            "recent_comments",
        )
