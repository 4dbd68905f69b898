"""Settings of the minimal Django site the e2e tests log in to.

The SQLite database lives where E2E_DJANGO_DB says (a test's temporary
directory); nothing is written beside these files.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "e2e-not-secret-only-for-tests-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
# 127.0.0.1 and localhost for the plain tests; the names the tests reach
# through their own resolver (all of them dial 127.0.0.1): a site under a
# registrable domain, and a site under a public suffix (github.io) for the
# supercookie test.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", ".example.test", ".github.io"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Per-account counters and throttling for the identity-pool tests
    # (/e2e/stats/, /e2e/throttle/, E2E_DJANGO_THROTTLE).
    "e2esite.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "e2esite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["E2E_DJANGO_DB"],
    }
}

# Django's own advice for tests: a fast hasher. The cookies are what is
# tested, not the password hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/private/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

USE_TZ = True
TIME_ZONE = "UTC"

# Defaults, spelled out because the tests check them in the jar:
# sessionid: HttpOnly, SameSite=Lax, Max-Age two weeks, Path=/.
# csrftoken: SameSite=Lax, Max-Age one year, Path=/, not HttpOnly.
SESSION_COOKIE_AGE = 1209600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_AGE = 31449600
CSRF_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
