"""Per-account accounting and throttling, for the tests of identity pools
(several accounts shared by several processes).

AccountMiddleware attributes every request to an account:

  - a POST to the login page (/accounts/login/): the posted "username"
    field, the account the client tries to log in as (when that field is
    missing or empty, the account the request is authenticated as, if any);
  - any other request: the username of the account it is authenticated as
    (its session cookie), as request.user would give it.

Requests to the test-control endpoints under /e2e/ and requests that are
neither authenticated nor a login POST are not attributed, not tracked and
never throttled.

Per account it counts (see stats()):

  inflight      attributed requests being handled right now
  max_inflight  the largest inflight ever seen
  overlaps      requests that started while another one of the same account
                was in flight
  requests      attributed requests, throttled ones included
  answered      attributed requests answered with a 2xx status
  throttled     429 answers the throttle gave
  login_posts   login POSTs, whether or not the login succeeded
  logins        successful logins (django.contrib.auth's user_logged_in
                signal), whatever the request

Throttling: set_throttle(user, count, retry_after), also read from
E2E_DJANGO_THROTTLE="user:count:retry_after[,user2:count2:retry_after2...]"
when the site starts: the next count requests authenticated as user (not
a login POST, not any request to the login page) are answered 429 "slow
down" here, without calling the view, with "Retry-After: retry_after" when
retry_after is not empty.

The account of an authenticated request is read from a private copy of its
session, so that the request's own session is left as it was: a view that
does not look at request.user answers exactly as it did before this
middleware (no Vary: Cookie added, a stale session cookie not deleted).
"""
import os
import threading
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare

COUNTERS = ("inflight", "max_inflight", "overlaps", "requests", "answered",
            "throttled", "login_posts", "logins")

_lock = threading.Lock()
_accounts = {}  # username -> {counter: int}
_throttles = {}  # username -> [remaining, retry_after ("" for none)]


def _account(name):
    """The counters of name; call with _lock held."""
    counters = _accounts.get(name)
    if counters is None:
        counters = _accounts[name] = dict.fromkeys(COUNTERS, 0)
    return counters


def stats():
    """{"accounts": {name: {counter: n}}, "throttles": {name: {"remaining":
    n, "retry_after": s}}}: every account attributed a request (or a login)
    since the server started (all zero right after a reset), and the
    throttles not used up."""
    with _lock:
        return {
            "accounts": {name: dict(c) for name, c in _accounts.items()},
            "throttles": {
                name: {"remaining": remaining, "retry_after": retry_after}
                for name, (remaining, retry_after) in _throttles.items()
                if remaining > 0
            },
        }


def reset_stats():
    """Zeroes every counter. Requests still in flight stay counted in
    inflight (and max_inflight starts from there), so that inflight comes
    back to 0, not below, when they end. Throttles are left as they are."""
    with _lock:
        for c in _accounts.values():
            inflight = c["inflight"]
            c.update(dict.fromkeys(COUNTERS, 0))
            c["inflight"] = c["max_inflight"] = inflight


def set_throttle(user, count, retry_after=""):
    """Answers 429 to the next count requests authenticated as user
    (replacing what was left of an earlier throttle; 0 lifts it)."""
    if not user:
        raise ValueError("throttle: empty user")
    count = int(count)
    if count < 0:
        raise ValueError(f"throttle: negative count {count}")
    retry_after = (retry_after or "").strip()
    if retry_after and (not retry_after.isdigit()):
        raise ValueError(f"throttle: retry_after {retry_after!r} is not a number of seconds")
    with _lock:
        if count:
            _throttles[user] = [count, retry_after]
        else:
            _throttles.pop(user, None)


def _throttle_from_env():
    spec = os.environ.get("E2E_DJANGO_THROTTLE", "")
    for item in spec.split(","):
        if not item.strip():
            continue
        parts = item.strip().split(":")
        if len(parts) not in (2, 3):
            raise ImproperlyConfigured(
                f"E2E_DJANGO_THROTTLE: {item!r} is not user:count:retry_after")
        try:
            set_throttle(parts[0], parts[1], parts[2] if len(parts) == 3 else "")
        except ValueError as e:
            raise ImproperlyConfigured(f"E2E_DJANGO_THROTTLE: {item!r}: {e}")


_throttle_from_env()


def _take_throttle(name):
    """The Retry-After value ("" for none) if this request of name is to be
    throttled, None if not."""
    with _lock:
        t = _throttles.get(name)
        if not t or t[0] <= 0:
            return None
        t[0] -= 1
        if t[0] == 0:
            del _throttles[name]
        return t[1]


@receiver(user_logged_in, dispatch_uid="e2esite.middleware.count_login")
def _count_login(sender, request, user, **kwargs):
    with _lock:
        _account(user.get_username())["logins"] += 1


_SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def authenticated_username(request):
    """The username request.user would have, or None for an anonymous
    request; what django.contrib.auth.get_user does, on a copy of the
    session and without its side effects (flushing a session whose hash
    does not verify)."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    session = _SessionStore(key)
    try:
        user_id = auth.get_user_model()._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = auth.load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    if hasattr(user, "get_session_auth_hash"):
        session_hash = session.get(auth.HASH_SESSION_KEY)
        verified = session_hash and (
            constant_time_compare(session_hash, user.get_session_auth_hash())
            or (hasattr(user, "_legacy_get_session_auth_hash")
                and constant_time_compare(session_hash, user._legacy_get_session_auth_hash())))
        if not verified:
            return None
    return user.get_username()


def _posted_username(request):
    """The username field of a login POST; request.POST is parsed here the
    way CsrfViewMiddleware and the login view parse it (and cached for
    them). A body that cannot be read is left for them to fail on."""
    try:
        return request.POST.get("username") or None
    except Exception:
        return None


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/e2e/"):
            return self.get_response(request)
        login_page = path == settings.LOGIN_URL
        login_post = login_page and request.method == "POST"
        authenticated = authenticated_username(request)
        name = (_posted_username(request) if login_post else None) or authenticated
        if name is None:
            return self.get_response(request)

        with _lock:
            c = _account(name)
            if c["inflight"] > 0:
                c["overlaps"] += 1
            c["inflight"] += 1
            c["max_inflight"] = max(c["max_inflight"], c["inflight"])
            c["requests"] += 1
            if login_post:
                c["login_posts"] += 1
        response = None
        try:
            retry_after = None
            if name == authenticated and not login_page:
                retry_after = _take_throttle(name)
            if retry_after is not None:
                response = HttpResponse("slow down", status=429, content_type="text/plain")
                if retry_after:
                    response["Retry-After"] = retry_after
            else:
                response = self.get_response(request)
            return response
        finally:
            with _lock:
                c = _account(name)
                c["inflight"] -= 1
                if response is not None:
                    if 200 <= response.status_code < 300:
                        c["answered"] += 1
                    if retry_after is not None:
                        c["throttled"] += 1
