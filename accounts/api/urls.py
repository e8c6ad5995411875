from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/login/mfa", views.LoginMfaView.as_view(), name="auth-login-mfa"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/magic-link", views.MagicLinkView.as_view(), name="auth-magic-link"),
    path("auth/magic-link/verify", views.MagicLinkVerifyView.as_view(), name="auth-magic-link-verify"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/change-password", views.ChangePasswordView.as_view(), name="auth-change-password"),
    path("auth/mfa/totp", views.TotpView.as_view(), name="auth-mfa-totp"),
    path("auth/mfa/totp/confirm", views.TotpConfirmView.as_view(), name="auth-mfa-totp-confirm"),
    path("auth/mfa/backup-codes", views.BackupCodesView.as_view(), name="auth-mfa-backup-codes"),
    path("profile", views.ProfileView.as_view(), name="profile"),
    path("profile/preferences", views.PreferencesView.as_view(), name="profile-preferences"),
    path("admin/users", views.AdminUsersView.as_view(), name="admin-users"),
]
