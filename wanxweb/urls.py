from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gallery.views import health, password, preferences

urlpatterns = [
    path("admin/", admin.site.urls),
    # Login, logout and password change only: password reset needs email, which is not set up.
    path("accounts/login/", preferences.LoginView.as_view(), name="login"),
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
    path("language/", preferences.set_language, name="set_language"),
    path("theme/", preferences.set_theme, name="set_theme"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/worker", health.worker, name="healthz-worker"),
    path("", include("gallery.urls")),
]
