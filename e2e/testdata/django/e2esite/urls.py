from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("private/", views.private, name="private"),
    path("welcome/", views.welcome, name="welcome"),
    path("cookies/attributes/", views.attributes, name="attributes"),
    path("cookies/secure/", views.secure, name="secure"),
    path("cookies/show/", views.echo, name="cookies-show"),
    path("echo/", views.echo, name="echo"),
    path("e2e/logins/", views.logins, name="logins"),
    path("e2e/end-sessions/", views.end_sessions, name="end-sessions"),
    path("e2e/stats/", views.stats, name="stats"),
    path("e2e/stats/reset/", views.stats_reset, name="stats-reset"),
    path("e2e/throttle/", views.throttle, name="throttle"),
]
