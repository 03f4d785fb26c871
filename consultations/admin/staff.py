"""Staff accounts in the admin: Django's user page with the desk language, and its
permission list in the staff language; groups and django-axes' lock-outs, audited."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consultations.admin.audited import AuditedAdminMixin
from consultations.models import StaffPreference


class StaffPreferenceInline(admin.StackedInline):
    """The account's desk language, on the user's page (no row yet: Spanish)."""

    model = StaffPreference
    can_delete = False
    fields = ("language",)
    verbose_name = _("desk language")
    verbose_name_plural = _("desk language")


# Django stores permission names in English when it creates them ("Can add patient"),
# so the user page's permission list would stay English; each is worded again here.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """ "Consultas de telemedicina | paciente | Puede ver paciente", in the active language."""
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)  # a Meta.permissions name is one of our msgids
    # A content type's str() is its "app | model" label (`app_labeled_name`).
    return f"{content_type} | {name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    """The user page's permission list, each labelled by `permission_label`."""

    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(AuditedAdminMixin, UserAdmin):
    inlines = [*UserAdmin.inlines, StaffPreferenceInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "user_permissions":
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Groups (who may do what) and lifting a lock-out (deleting django-axes' access attempt)
# change who can reach patients' data: both are in the audit trail too.
admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)

    @admin.register(AccessAttempt)
    class AuditedAccessAttemptAdmin(AuditedAdminMixin, AccessAttemptAdmin):
        pass
