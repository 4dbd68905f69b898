"""Views of the e2e test site.

welcome and attributes follow Django's documentation of cookies
(HttpResponse.set_cookie, delete_cookie, HttpRequest.COOKIES).
"""
import threading
import time
from email.utils import formatdate

from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import middleware

# What /cookies/attributes/ sets, one attribute per cookie. Lifetimes the
# tests compare with the jar's expiry times.
MAX_AGE = 3600
EXPIRES_IN = 2 * 86400


def netscape_date(t):
    """The date format Django's documentation gives for expires:
    "Wdy, DD-Mon-YYYY HH:MM:SS GMT"."""
    s = formatdate(t, usegmt=True)  # Wdy, DD Mon YYYY HH:MM:SS GMT
    wdy, day, mon, year, hms, gmt = s.split()
    return f"{wdy} {day}-{mon}-{year} {hms} {gmt}"


# The longest ?sleep_ms= /private/ accepts.
MAX_SLEEP_MS = 2000


@login_required
def private(request):
    """Who is logged in. ?sleep_ms=N (0..2000) answers N milliseconds
    later, so that requests of one account overlap in the server and
    /e2e/stats/ sees it."""
    sleep_ms = request.GET.get("sleep_ms")
    if sleep_ms is not None:
        try:
            ms = int(sleep_ms)
        except ValueError:
            ms = -1
        if not 0 <= ms <= MAX_SLEEP_MS:
            return HttpResponseBadRequest(
                f"sleep_ms must be an integer from 0 to {MAX_SLEEP_MS}\n",
                content_type="text/plain")
        time.sleep(ms / 1000)
    return render(request, "private.html")


@require_GET
def welcome(request):
    """Welcome to my website! the first time, Welcome back! after."""
    visits = request.COOKIES.get("visits")
    if visits is None:
        text, count = "Welcome to my website!", 1
    else:
        text, count = "Welcome back!", int(visits) + 1
    response = HttpResponse(text, content_type="text/plain")
    response.set_cookie("visits", str(count), max_age=365 * 86400)
    if "goodbye" in request.GET:
        response.delete_cookie("visits")
    return response


@require_GET
def attributes(request):
    """Sets one cookie for each attribute of set_cookie (attr_NAME).
    ?domain= sets attr_domain with that domain attribute. ("expires", "path" and the other attribute names
    cannot be cookie names in Python's http.cookies, hence the prefix.)"""
    response = JsonResponse({"host": request.get_host()})
    response.set_cookie("attr_plain", "p1")
    response.set_cookie("attr_max_age", "m1", max_age=MAX_AGE)
    response.set_cookie("attr_expires", "e1", expires=netscape_date(time.time() + EXPIRES_IN))
    response.set_cookie("attr_path", "pa1", path="/cookies/")
    response.set_cookie("attr_httponly", "h1", httponly=True)
    response.set_cookie("attr_strict", "ss1", samesite="Strict")
    response.set_cookie("attr_lax", "sl1", samesite="Lax")
    response.set_cookie("attr_secure", "s1", secure=True)
    response.set_cookie("attr_none", "sn1", secure=True, samesite="None")
    domain = request.GET.get("domain")
    if domain:
        response.set_cookie("attr_domain", "d1", domain=domain)
    return response


@require_GET
def secure(request):
    """A Secure cookie, whatever the scheme: the client decides."""
    response = HttpResponse("secure set", content_type="text/plain")
    response.set_cookie("secure_only", "so1", secure=True, httponly=True)
    return response


def echo(request):
    """What the server received: the Cookie header and request.COOKIES."""
    return JsonResponse({
        "cookie_header": request.META.get("HTTP_COOKIE"),
        "cookies": request.COOKIES,
        "path": request.path,
    })


# Successful logins since the server started, counted as Django signals
# them (django.contrib.auth.signals.user_logged_in): what the tests of
# automatic re-login compare with the number of expiries.
_logins = 0
_logins_lock = threading.Lock()


@receiver(user_logged_in)
def _count_login(sender, request, user, **kwargs):
    global _logins
    with _logins_lock:
        _logins += 1


@require_GET
def logins(request):
    """How many logins succeeded so far."""
    with _logins_lock:
        return JsonResponse({"logins": _logins})


@csrf_exempt
@require_POST
def end_sessions(request):
    """Ends every session on the server, as a deploy that drops sessions
    or an idle timeout does: every client is logged out."""
    ended, _ = Session.objects.all().delete()
    return JsonResponse({"ended": ended})


@require_GET
def stats(request):
    """The per-account counters of e2esite.middleware:
    {"accounts": {name: {"inflight", "max_inflight", "overlaps",
    "requests", "answered", "throttled", "login_posts", "logins"}},
    "throttles": {name: {"remaining", "retry_after"}}}."""
    return JsonResponse(middleware.stats())


@csrf_exempt
@require_POST
def stats_reset(request):
    """Zeroes the per-account counters (throttles stay)."""
    middleware.reset_stats()
    return JsonResponse(middleware.stats())


@csrf_exempt
@require_POST
def throttle(request):
    """Form fields user, count, retry_after: the next count requests
    authenticated as user are answered 429 "slow down" (with Retry-After:
    retry_after unless it is empty); count 0 lifts the throttle."""
    try:
        middleware.set_throttle(
            request.POST.get("user", ""),
            request.POST.get("count", ""),
            request.POST.get("retry_after", ""),
        )
    except ValueError as e:
        return HttpResponseBadRequest(f"{e}\n", content_type="text/plain")
    return JsonResponse(middleware.stats()["throttles"])
