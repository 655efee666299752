"""
Registry admin: assignments (read-only, with import and export), import runs
and registry changes.

Registry facts come only from IANA's file, so assignments cannot be edited or
deleted here: an edit would be overwritten by the next import, and a deletion
would take the assignment's history with it.

The import page is django-import-export's, with its two steps replaced:
the upload is previewed by ports.registry.importing (counts first, then the changed,
withdrawn and invalid rows), and the confirmation queues a task
(ports.tasks.registry_import) that applies that plan only if the stored file
and the registry are still what was previewed; a status page follows it and,
once it is done, links to its import run. A file the import refuses is
recorded as a refused import run, with the reason the editor is shown.

The upload's progress is shown by static/js/registry-import.js, which sends
the file itself and shows the preview it gets back; previewing the whole
registry takes the server well under a second, so the wait worth showing is
the upload's. The status page polls the task's progress from that script.
"""

import datetime
import hashlib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.tasks import TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from ports import tasks
from ports.admin.mixins import HistoryAdminMixin, RefusalReasonMixin
from ports.models import Assignment, ImportRun, Port, RegistryChange
from ports.registry import iana_csv, importing
from ports.registry.resources import AssignmentResource

# Rows listed per group on the preview page; the counts are always complete.
PREVIEW_LIMIT = 500
# A previewed file that was never confirmed is removed after this long.
STALE_UPLOAD_AGE = datetime.timedelta(days=1)


class RegistryImportForm(ImportForm):
    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows"),
        required=False,
        help_text=_(
            "Import the valid rows and list the invalid ones, instead of refusing "
            "the whole file."
        ),
    )
    registry_date = forms.DateField(
        label=_("Registry date"),
        required=False,
        widget=widgets.AdminDateWidget,
        help_text=_(
            "The date of the registry this file is. Leave empty to use the "
            "newest registration or modification date in the file."
        ),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            importing.check_size(upload.size)
        except importing.ImportRefused as refused:
            raise ValidationError(str(refused)) from None
        return upload


class RegistryConfirmImportForm(ConfirmImportForm):
    skip_invalid = forms.BooleanField(required=False, widget=forms.HiddenInput)
    registry_date = forms.DateField(required=False, widget=forms.HiddenInput)
    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)


@admin.register(Port)
class PortAdmin(admin.ModelAdmin):
    list_display = ("number", "range_class")
    list_filter = ("range_class",)
    search_fields = ("=number",)


@admin.register(Assignment)
class AssignmentAdmin(HistoryAdminMixin, ImportExportModelAdmin):
    # Assignments change only through imports, which record every change.
    list_display = (
        "service_name",
        "port_display",
        "transport",
        "description",
        "status",
        "registration_date",
        "modification_date",
    )
    list_filter = ("status", "transport")
    search_fields = ("service_name", "description", "assignee", "=port_low")
    list_per_page = 50
    show_full_result_count = False

    resource_classes = [AssignmentResource]
    import_formats = [CSV]
    export_formats = [CSV]
    import_form_class = RegistryImportForm
    confirm_form_class = RegistryConfirmImportForm
    # The export keeps IANA's columns; choosing a subset would break re-import.
    export_form_class = ExportForm
    import_template_name = "admin/ports/assignment/import.html"

    @admin.display(description=_("port"), ordering="port_low")
    def port_display(self, obj):
        return obj.port_display

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).current()

    def get_urls(self):
        info = self.get_model_info()
        status = path(
            "import/status/<str:result_id>/",
            self.admin_site.admin_view(self.import_status_view),
            name="{}_{}_import_status".format(*info),
        )
        progress = path(
            "import/status/<str:result_id>/progress/",
            self.admin_site.admin_view(self.import_progress_view),
            name="{}_{}_import_progress".format(*info),
        )
        return [status, progress, *super().get_urls()]

    def import_action(self, request, **kwargs):
        """Upload → preview: plan the import, store the file, show the plan."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_import_form(request)
        context = {}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            data = b"".join(upload.chunks())
            skip_invalid = form.cleaned_data["skip_invalid"]
            try:
                plan = importing.plan_import(
                    data,
                    file_name=upload.name,
                    skip_invalid=skip_invalid,
                    registry_date=form.cleaned_data["registry_date"],
                )
            except importing.ImportRefused as refused:
                form.add_error("import_file", str(refused))
                context.update(_invalid_rows(refused.invalid))
                run = importing.record_refused(
                    file_name=upload.name,
                    reason=str(refused),
                    sha256=hashlib.sha256(data).hexdigest(),
                    invalid=refused.invalid,
                    user=request.user,
                )
                context.update(self._refused_run_context(request, run))
            else:
                stored_name = self._store(data) if plan.has_changes else ""
                context.update(self._preview_context(plan, stored_name))
        elif request.method == "POST" and form.has_error("import_file"):
            # A file refused by the form itself (empty, or over the limit):
            # recorded too, unread, if a file was sent at all.
            upload = request.FILES.get("import_file")
            if upload is not None:
                run = importing.record_refused(
                    file_name=upload.name,
                    reason=" ".join(form.errors["import_file"]),
                    user=request.user,
                )
                context.update(self._refused_run_context(request, run))
        return self._import_response(request, form, context)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Confirm: apply the previewed plan, if it is still the plan."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm = self.create_confirm_form(request)
        if not confirm.is_valid():
            messages.error(
                request, _("The confirmation was incomplete; upload the file again.")
            )
            return self._redirect_to_import()
        storage = self._storage(confirm.cleaned_data["import_file_name"])
        try:
            data = storage.read()
        except OSError:
            messages.error(
                request,
                _("The previewed file is no longer available; upload it again."),
            )
            return self._redirect_to_import()
        if hashlib.sha256(data).hexdigest() != confirm.cleaned_data["sha256"]:
            messages.error(
                request,
                _("The stored file is not the one previewed; nothing was imported."),
            )
            return self._redirect_to_import()
        result = tasks.registry_import.enqueue(
            stored_name=confirm.cleaned_data["import_file_name"],
            sha256=confirm.cleaned_data["sha256"],
            file_name=confirm.cleaned_data["original_file_name"],
            skip_invalid=confirm.cleaned_data["skip_invalid"],
            registry_date=_iso(confirm.cleaned_data["registry_date"]),
            fingerprint=confirm.cleaned_data["fingerprint"],
            user_id=request.user.pk,
        )
        return self._import_result(request, result)

    def import_status_view(self, request, result_id):
        """A queued import: its progress while it runs, its outcome once done."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return self._import_result(request, self._task_result(result_id))

    def import_progress_view(self, request, result_id):
        """A queued import's progress, polled by the status page's script."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        result = self._task_result(result_id)
        progress = tasks.import_progress(result.id)
        return JsonResponse(
            {
                "status": result.status,
                "finished": result.is_finished,
                "text": _status_text(result),
                "done": progress[0] if progress else None,
                "total": progress[1] if progress else None,
                "progress_text": _progress_text(progress),
            }
        )

    def _task_result(self, result_id):
        try:
            return tasks.registry_import.get_result(result_id)
        except (TaskResultDoesNotExist, ValueError, ValidationError):
            raise Http404("No such import.") from None

    def _import_result(self, request, result):
        status_url = reverse(
            "admin:ports_assignment_import_status",
            args=[result.id],
            current_app=self.admin_site.name,
        )
        if not result.is_finished:
            if request.method == "POST":
                return HttpResponseRedirect(status_url)
            return self._status_response(request, result)
        file_name = result.kwargs["file_name"]
        if result.status != TaskResultStatus.SUCCESSFUL:
            messages.error(
                request,
                _("The import of %(file)s failed; nothing was imported: %(error)s")
                % {
                    "file": file_name,
                    "error": result.errors[-1].traceback.strip().splitlines()[-1]
                    if result.errors
                    else "",
                },
            )
            return self._redirect_to_import()
        outcome = result.return_value
        if outcome["outcome"] == "outdated":
            return self._preview_again(request, result, outcome["message"])
        if outcome["outcome"] == "refused":
            message = outcome["message"]
            if outcome.get("run"):
                message = format_html(
                    gettext("{reason} Recorded as {run}."),
                    reason=message,
                    run=self._import_run_link(request, outcome["run"]),
                )
            messages.error(request, message)
            return self._redirect_to_import()
        # Applied: the status page says so and links to the import run. A
        # backend that cannot look a result up again (ImmediateBackend, in
        # development) finished within the confirmation: its answer is that page.
        if (
            request.method == "POST"
            and tasks.registry_import.get_backend().supports_get_result
        ):
            return HttpResponseRedirect(status_url)
        messages.success(
            request,
            format_html(
                gettext("Imported {file} as {run}: {summary}."),
                file=file_name,
                run=self._import_run_link(request, outcome["run"]),
                summary=outcome["summary"],
            ),
        )
        return self._status_response(
            request,
            result,
            run=outcome["run"],
            run_url=self._import_run_url(request, outcome["run"]),
        )

    def _status_response(self, request, result, **extra):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Registry file imported")
            if result.is_finished
            else _("Importing the registry file"),
            "opts": self.model._meta,
            "result": result,
            "status_text": _status_text(result),
            "progress": tasks.import_progress(result.id),
            **extra,
        }
        context["progress_text"] = _progress_text(context["progress"])
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/ports/assignment/import_status.html", context
        )

    def _import_run_url(self, request, run_id):
        """The import run's admin page, if this editor may see import runs."""
        run_admin = self.admin_site.get_model_admin(ImportRun)
        if not run_admin.has_view_permission(request):
            return None
        return reverse(
            "admin:ports_importrun_change",
            args=[run_id],
            current_app=self.admin_site.name,
        )

    def _import_run_link(self, request, run_id):
        label = gettext("import run %(id)s") % {"id": run_id}
        url = self._import_run_url(request, run_id)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    def _refused_run_context(self, request, run):
        return {
            "refused_run": run,
            "refused_run_url": self._import_run_url(request, run.pk),
        }

    def _preview_again(self, request, result, message):
        """The registry changed since the preview: show what the file does now."""
        messages.error(request, message)
        storage = self._storage(result.kwargs["stored_name"])
        try:
            data = storage.read()
            plan = importing.plan_import(
                data,
                file_name=result.kwargs["file_name"],
                skip_invalid=result.kwargs["skip_invalid"],
                registry_date=tasks.date_or_none(result.kwargs.get("registry_date")),
            )
        except (OSError, importing.ImportRefused):
            storage.remove()
            return self._redirect_to_import()
        if not plan.has_changes:
            storage.remove()
        context = self._preview_context(plan, storage.name if plan.has_changes else "")
        upload_form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request)
        )
        return self._import_response(request, upload_form, context)

    def _storage(self, name=None):
        storage_class = self.get_tmp_storage_class()
        return storage_class(
            name=name,
            read_mode="rb",
            encoding=None,
            **self.get_tmp_storage_class_kwargs(),
        )

    def _store(self, data):
        self._remove_stale_uploads()
        storage = self._storage()
        storage.save(data)
        return storage.name

    def _remove_stale_uploads(self):
        """Previews nobody confirmed leave their file in storage; clear old ones."""
        storage = self._storage()
        backend = getattr(storage, "_storage", None)
        folder = getattr(storage, "MEDIA_FOLDER", None)
        if backend is None or folder is None:
            return
        try:
            _, names = backend.listdir(folder)
        except FileNotFoundError:
            return
        cutoff = timezone.now() - STALE_UPLOAD_AGE
        for name in names:
            path = f"{folder}/{name}"
            try:
                if backend.get_modified_time(path) < cutoff:
                    backend.delete(path)
            except FileNotFoundError:
                continue

    def _preview_context(self, plan, stored_name):
        context = {
            "plan": plan,
            "counts": plan.counts,
            "new_rows": plan.new[:PREVIEW_LIMIT],
            "new_hidden": max(0, len(plan.new) - PREVIEW_LIMIT),
            "changed_rows": [
                (change, _field_differences(change))
                for change in plan.changed[:PREVIEW_LIMIT]
            ],
            "changed_hidden": max(0, len(plan.changed) - PREVIEW_LIMIT),
            "withdrawn_rows": plan.withdrawn[:PREVIEW_LIMIT],
            "withdrawn_hidden": max(0, len(plan.withdrawn) - PREVIEW_LIMIT),
            "held_rows": plan.held[:PREVIEW_LIMIT],
            **_invalid_rows(plan.invalid),
        }
        if stored_name:
            # Hidden inputs without ids: the upload form on the same page
            # has fields of the same names.
            context["confirm_form"] = self.confirm_form_class(
                auto_id=False,
                initial={
                    "import_file_name": stored_name,
                    "original_file_name": plan.file_name,
                    "format": 0,
                    "resource": 0,
                    "skip_invalid": plan.skip_invalid,
                    "registry_date": plan.registry_date,
                    "sha256": plan.sha256,
                    "fingerprint": plan.fingerprint(),
                },
            )
        return context

    def _import_response(self, request, form, extra):
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import registry file"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [
                (
                    AssignmentResource.get_display_name(),
                    [
                        field.column_name
                        for field in AssignmentResource().get_user_visible_fields()
                    ],
                )
            ],
            "max_bytes": settings.REGISTRY_UPLOAD_MAX_BYTES,
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def _redirect_to_import(self):
        return HttpResponseRedirect(
            reverse("admin:ports_assignment_import", current_app=self.admin_site.name)
        )


def _iso(day):
    """A date as task arguments carry it (JSON): ISO text, or None."""
    return day.isoformat() if day else None


def _field_differences(change):
    """(label, old, new) for each changed field, in the registry's column order."""
    return [
        (
            Assignment._meta.get_field(name).verbose_name,
            *change.fields[name],
        )
        for name in iana_csv.VALUE_FIELDS
        if name in change.fields
    ]


def _status_text(result):
    file_name = result.kwargs["file_name"]
    if result.is_finished:
        return gettext("%(file)s is imported.") % {"file": file_name}
    if result.status == TaskResultStatus.RUNNING:
        return gettext("Importing %(file)s…") % {"file": file_name}
    return gettext(
        "%(file)s is queued for import; the task worker will start it shortly."
    ) % {"file": file_name}


def _progress_text(progress):
    if not progress:
        return ""
    return gettext("%(done)s of %(total)s rows written.") % {
        "done": progress[0],
        "total": progress[1],
    }


def _invalid_rows(invalid):
    return {
        "invalid_rows": invalid[:PREVIEW_LIMIT],
        "invalid_hidden": max(0, len(invalid) - PREVIEW_LIMIT),
    }


@admin.register(ImportRun)
class ImportRunAdmin(HistoryAdminMixin, RefusalReasonMixin, admin.ModelAdmin):
    list_display = (
        "file_name",
        "started_at",
        "registry_date",
        "started_by",
        "outcome",
        "reason",
        "new_count",
        "changed_count",
        "unchanged_count",
        "withdrawn_count",
        "invalid_count",
    )
    list_filter = ("outcome",)
    search_fields = ("file_name", "sha256")
    date_hierarchy = "started_at"

    class Media:
        css = {"all": ("css/admin-registry.css",)}


@admin.register(RegistryChange)
class RegistryChangeAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ("assignment", "kind", "run", "created_at")
    list_filter = ("kind",)
    search_fields = ("assignment__service_name", "=port_low")
    list_select_related = ("assignment", "run")
    raw_id_fields = ("assignment", "run")
