#!/usr/bin/python3
"""Runs a scripted flow with Python requests' Session, for the Go e2e tests.

Reads the flow as JSON on stdin:

    {"steps": [{"method": "GET", "url": "http://www.example.test:8000/x",
                "form": {"k": "v"},            # optional: POST as a form
                "csrf_from_cookie": "csrftoken", # optional: form field
                                                 # csrfmiddlewaretoken = that
                                                 # cookie's value in the jar
                "cookies": {"k": "v"}}]}        # optional: this request only

Every host name resolves to 127.0.0.1 (the test servers), as the Go side's
dialer does, so that cookie domains can be real names. Proxies from the
environment are not used.

Prints JSON on stdout: for each step, each hop of its redirect chain with
the URL, the status and the Cookie header the server received (from the
X-Echo-Cookie header that ../serve.py adds; null when none was sent); then
every cookie in the session's jar.
"""
import json
import socket
import sys

import requests

_getaddrinfo = socket.getaddrinfo


def _loopback(host, *args, **kwargs):
    return _getaddrinfo("127.0.0.1", *args, **kwargs)


socket.getaddrinfo = _loopback


def hop(response):
    return {
        "url": response.url,
        "status": response.status_code,
        "cookie": response.headers.get("X-Echo-Cookie"),
    }


def cookie_value(jar, name):
    for c in jar:
        if c.name == name:
            return c.value
    return None


def main():
    flow = json.load(sys.stdin)
    session = requests.Session()
    session.trust_env = False
    out = {"steps": [], "jar": []}
    for step in flow["steps"]:
        form = dict(step.get("form") or {})
        name = step.get("csrf_from_cookie")
        if name:
            form["csrfmiddlewaretoken"] = cookie_value(session.cookies, name) or ""
        response = session.request(
            step.get("method", "GET"),
            step["url"],
            data=form or None,
            cookies=step.get("cookies") or None,
            timeout=180,  # only stops a hung server; a busy machine is slow
        )
        hops = [hop(r) for r in response.history] + [hop(response)]
        out["steps"].append({"hops": hops})
    for c in session.cookies:
        out["jar"].append({
            "name": c.name,
            "value": c.value,
            "domain": c.domain,
            "domain_specified": c.domain_specified,
            "path": c.path,
            "secure": c.secure,
            "expires": c.expires,
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
