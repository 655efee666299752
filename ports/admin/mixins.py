class HistoryAdminMixin:
    """
    Records that are history: listed and viewed, never added, edited or
    deleted in the admin, since changing them would rewrite what happened.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
