#!/usr/bin/env python3
"""Django's command-line utility for the e2e test site.

The tests do not use it (../serve.py migrates, creates the user and serves),
but it works by hand, for example:

    E2E_DJANGO_DB=/tmp/e2e.sqlite3 /usr/bin/python3 manage.py migrate
    E2E_DJANGO_DB=/tmp/e2e.sqlite3 /usr/bin/python3 manage.py runserver 127.0.0.1:8000 --noreload
"""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2esite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
