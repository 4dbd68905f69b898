#!/usr/bin/python3
"""Serves one of the e2e test applications on 127.0.0.1 for the Go tests.

    serve.py httpbin     httpbin (Debian's python3-httpbin, a Flask app)
    serve.py django      the Django site in ./django (python3-django):
                         migrates the SQLite database named by E2E_DJANGO_DB
                         and creates the user E2E_DJANGO_USER with password
                         E2E_DJANGO_PASSWORD first, and each user of
                         E2E_DJANGO_USERS="name1:password1,name2:password2"
                         (a name has no ":" or ","; a password has no ",")
                         too; users that exist already are left as they are

The Django site's environment, all optional but E2E_DJANGO_DB:

    E2E_DJANGO_DB        the SQLite database file
    E2E_DJANGO_USER      a user to create, with password E2E_DJANGO_PASSWORD
    E2E_DJANGO_USERS     more users to create, name:password,...
    E2E_DJANGO_THROTTLE  user:count:retry_after,...: answer 429 to the next
                         count requests authenticated as user, with
                         Retry-After: retry_after (no header when empty);
                         POST /e2e/throttle/ sets the same at run time

The server is the standard library's wsgiref, one thread per request, on a
port the kernel picks. Once it listens, the first line on stdout is
"READY http://127.0.0.1:PORT". It stops when its stdin reaches end of file,
so that it cannot outlive the test process that started it.

Every response carries X-Echo-Cookie: the Cookie header of the request, as
the server received it (absent when the request had none). It lets a client
see what it sent at each hop of a redirect chain.
"""
import os
import socketserver
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = os.path.dirname(os.path.abspath(__file__))


def echo_cookie(app):
    def wrapped(environ, start_response):
        cookie = environ.get("HTTP_COOKIE")

        def start(status, headers, exc_info=None):
            headers = list(headers)
            if cookie is not None:
                headers.append(("X-Echo-Cookie", cookie))
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


def httpbin_app():
    from httpbin import app

    return app


def django_app():
    sys.path.insert(0, os.path.join(HERE, "django"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2esite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", interactive=False, verbosity=0)
    users = []
    user = os.environ.get("E2E_DJANGO_USER")
    if user:
        users.append((user, os.environ["E2E_DJANGO_PASSWORD"]))
    users += parse_users(os.environ.get("E2E_DJANGO_USERS", ""))
    User = get_user_model()
    for name, password in users:
        if not User.objects.filter(username=name).exists():
            User.objects.create_user(name, password=password)
    return get_wsgi_application()


def parse_users(spec):
    """[(name, password)] of "name1:password1,name2:password2"."""
    users = []
    for item in spec.split(","):
        if not item:
            continue
        name, colon, password = item.partition(":")
        if not name or not colon:
            sys.exit(f"E2E_DJANGO_USERS: {item!r} is not name:password")
        users.append((name, password))
    return users


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        if os.environ.get("E2E_SERVER_LOG"):
            super().log_message(format, *args)


def stop_at_eof():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    apps = {"httpbin": httpbin_app, "django": django_app}
    if len(sys.argv) != 2 or sys.argv[1] not in apps:
        sys.exit("usage: serve.py httpbin|django")
    app = echo_cookie(apps[sys.argv[1]]())
    server = make_server("127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler)
    threading.Thread(target=stop_at_eof, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
