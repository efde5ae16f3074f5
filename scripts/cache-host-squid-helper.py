#!/usr/bin/env python3
"""Squid helper of scripts/cache-host.sh --engine squid (one line in, one line out).

  cache-host-squid-helper.py rewrite ORIGIN[,ORIGIN...]
      url_rewrite_program: http://H/path?q&cacheHostOrigin=O  ->  http://O/path?q
      (O from the cacheHostOrigin argument, any case, else H, which squid took from the Host
      header); an origin not in the list -> http://origin-not-allowed.invalid/, which squid.conf
      answers with 404. ORIGINs are canonical (lower case, ":port" only when not 80).
  cache-host-squid-helper.py store-id
      store_id_program: the cache key of a rewritten URL is the URL without its query, so that
      clients with different per-client query arguments share one cached copy.
"""
import sys
import urllib.parse

NOT_ALLOWED = "http://origin-not-allowed.invalid/"


def canonical_origin(netloc):
    """host[:port] in lower case, without ':80'."""
    netloc = netloc.lower()
    return netloc[:-3] if netloc.endswith(":80") else netloc


def rewrite(url, allowed):
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # a URL urllib cannot take apart is no allowed origin's
        return NOT_ALLOWED
    origin = parts.netloc
    kept = []
    for arg in parts.query.split("&") if parts.query else []:
        name, _, value = arg.partition("=")
        if name.lower() == "cachehostorigin":
            origin = urllib.parse.unquote(value)
        else:
            kept.append(arg)
    origin = canonical_origin(origin)
    if origin not in allowed:
        return NOT_ALLOWED
    return urllib.parse.urlunsplit(("http", origin, parts.path or "/", "&".join(kept), ""))


def store_id(url):
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def main(argv):
    if len(argv) == 3 and argv[1] == "rewrite":
        allowed = set(argv[2].split(","))
        answer = lambda url: "OK rewrite-url=" + rewrite(url, allowed)
    elif len(argv) == 2 and argv[1] == "store-id":
        answer = lambda url: "OK store-id=" + store_id(url)
    else:
        sys.stderr.write(__doc__)
        return 2
    for line in sys.stdin:
        fields = line.split()
        sys.stdout.write((answer(fields[0]) if fields else "ERR") + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
