from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gallery.views import health, password, preferences, signup

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", preferences.LoginView.as_view(), name="login"),
    path("accounts/signup/", signup.signup, name="signup"),
    path("accounts/settings/", preferences.settings_page, name="settings"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        password.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Password reset by email: each page 404s unless EMAIL_URL is set (password.by_email).
    path(
        "accounts/password_reset/",
        password.by_email(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        password.by_email(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        password.by_email(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        password.by_email(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("language/", preferences.set_language, name="set_language"),
    path("theme/", preferences.set_theme, name="set_theme"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/worker", health.worker, name="healthz-worker"),
    path("", include("gallery.urls")),
]
