"""PostgreSQL URLs: recognising them, and showing them without the password. No SQL here."""

from __future__ import annotations

import re
import urllib.parse

SCHEMES = ("postgresql://", "postgres://")
_USERINFO = re.compile(r"(?P<scheme>postgres(?:ql)?(?:\+psycopg)?://)(?P<user>[^:@/?#]*):(?P<password>[^/?#]*)@")


def is_postgres_url(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


def mask(url: str) -> str:
    """The URL with its password (in the user part or a ``password=`` parameter) as ``***``."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    parts = urllib.parse.urlsplit(masked)
    if parts.query and "password" in parts.query.lower():
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        shown = [(k, "***" if k.lower() == "password" else v) for k, v in query]
        masked = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(shown, safe="/*")))
    return masked


def secrets_of(url: str) -> list[str]:
    """The password(s) in a URL, raw and percent-decoded, to scrub from any message."""
    found = []
    match = _USERINFO.match(url)
    if match and match["password"]:
        found.append(match["password"])
    query = urllib.parse.urlsplit(url).query
    found += [v for k, v in urllib.parse.parse_qsl(query) if k.lower() == "password" and v]
    out = []
    for secret in found:
        out += [secret, urllib.parse.unquote(secret)]
    return [s for s in dict.fromkeys(out) if s]


def scrub(text: str, url: str) -> str:
    """``text`` with the URL masked and its password removed wherever it appears."""
    text = text.replace(url, mask(url))
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    return text
