"""Staff console for users: search, filters, role assignment, deactivation.

Every change goes through accounts.services so it is audited and, for deactivation,
ends the user's sessions, exactly as it would from any other entry point.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group

from accounts import services
from accounts.models import Preferences, Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0
    fields = ["date_of_birth", "phone", "address_line1", "address_line2", "city", "region", "postal_code", "country"]
    readonly_fields = fields  # customers maintain their own profile; staff read it

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "is_active", "is_staff", "groups"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role_list",
        "is_active",
        "is_staff",
        "mfa",
        "date_joined",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "groups", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "public_id"]
    ordering = ["-date_joined"]
    readonly_fields = ["public_id", "email", "date_joined", "last_login", "email_verified_at", "is_superuser"]
    filter_horizontal = ["groups"]
    inlines = [ProfileInline]
    actions = ["deactivate_users", "reactivate_users"]
    fieldsets = [
        (None, {"fields": ["public_id", "email", "first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("History", {"fields": ["date_joined", "last_login", "email_verified_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups", "totpdevice_set")

    @admin.display(description="Roles")
    def role_list(self, obj):
        return ", ".join(sorted(group.name for group in obj.groups.all()))

    @admin.display(boolean=True, description="MFA")
    def mfa(self, obj):
        return any(device.confirmed for device in obj.totpdevice_set.all())

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: their records must outlive them.
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            Profile.objects.get_or_create(user=obj)
            Preferences.objects.get_or_create(user=obj)
            services.audit_staff_created_user(user=obj, actor=request.user)
            return
        before = User.objects.get(pk=obj.pk)
        # Access flags are applied by services (audited, sessions ended), not by the form.
        is_active, is_staff = obj.is_active, obj.is_staff
        obj.is_active, obj.is_staff = before.is_active, before.is_staff
        names = {f: getattr(obj, f) for f in services.USER_EDITABLE_FIELDS if getattr(obj, f) != getattr(before, f)}
        if names:
            services.user_update(user=before, data=names, actor=request.user)
        if is_active != before.is_active:
            if is_active:
                services.user_reactivate(user=before, actor=request.user)
            else:
                services.user_deactivate(user=before, actor=request.user, reason="console")
        obj.is_active = is_active
        self._pending_staff_flag = is_staff

    def save_related(self, request, form, formsets, change):
        roles = [group.name for group in form.cleaned_data.get("groups", Group.objects.none())]
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        services.user_roles_set(
            user=form.instance,
            actor=request.user,
            roles=roles,
            is_staff=getattr(self, "_pending_staff_flag", None),
        )

    @admin.action(description="Deactivate selected users (ends their sessions)")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot deactivate yourself.", messages.ERROR)
                continue
            services.user_deactivate(user=user, actor=request.user, reason="console action")
        self.message_user(request, "Selected users are deactivated and signed out.")

    @admin.action(description="Reactivate selected users")
    def reactivate_users(self, request, queryset):
        for user in queryset:
            services.user_reactivate(user=user, actor=request.user)
        self.message_user(request, "Selected users are reactivated.")
