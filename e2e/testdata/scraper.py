#!/usr/bin/python3
"""The README's requests + pickle scraper ("From requests", 5), run by
e2e/scraper_test.go against the e2e Django site: python3 scraper.py BASE PW
in a directory of its own, where it keeps cookies.pickle."""
import os
import pickle
import sys

import requests

base, pw = sys.argv[1], sys.argv[2]

session = requests.Session()
session.trust_env = False  # the test's servers: no proxy (not counted)
if os.path.exists("cookies.pickle"):
    with open("cookies.pickle", "rb") as f:
        session.cookies.update(pickle.load(f))
page = session.get(base + "/private/")
if "/accounts/login/" in page.url:
    session.get(base + "/accounts/login/")
    form = {"username": "alice", "password": pw, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    session.post(base + "/accounts/login/", data=form)
    page = session.get(base + "/private/")
with open("cookies.pickle", "wb") as f:
    pickle.dump(session.cookies, f)
print(page.text)
