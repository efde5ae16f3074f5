#!/usr/bin/env python3
"""A small fault-injecting HTTP/1.1 server for the transfer engine's tests (stdlib only).

usage: fault_server.py PORT ROOT [LIFETIME_SECONDS]

Binds 127.0.0.1:PORT (0 = any free port) and prints "PORT <n>" on stdout once listening. Serves
the files in ROOT; the behaviour is chosen by the URL path (NAME is a file in ROOT):

  /file/NAME            well-behaved: Range (one range), If-Range, strong ETag, Last-Modified
  /drop/N/NAME          like /file, but closes the connection after N body bytes of each response
  /badlength/NAME       Content-Length 1000 larger than the body, then closes the connection
  /flaky/K/NAME         500 for the first K requests of this path, then like /file
  /retry-after/S/NAME   503 with "Retry-After: S" for the first request of this path, then /file
  /slow/NAME            like /file, but drips 64 bytes every 100 ms (at most 15 s, then closes)
  /rate/BPS/NAME        like /file, but paced at BPS body bytes per second (BPS > 0)
  /norange/NAME         ignores Range and If-Range: always 200 with the whole file
  /etag-change/NAME     a different ETag on every request (so If-Range never matches)
  /ignore-if-range/NAME a different ETag on every request, and Range honoured despite If-Range
  /chunked/NAME         200, chunked transfer encoding (no Content-Length), ignores Range
  /redirect/N/NAME      302 to /redirect/N-1/NAME; /redirect/0/NAME is /file/NAME
  /redirect-loop        302 to itself
  /status/CODE[/NAME]   that status with a small HTML error page
  /etag-drop/N/NAME     /drop/N with a different ETag on every request
  /via/ROUTE            one server as a cache host and its origin (the cache-host tests): a request
                        whose query carries cacheHostOrigin= (the cache host request form) is
                        answered as /ROUTE and counted under "cache:/via/ROUTE"; any other request
                        is answered as /file/NAME (NAME: the last part of ROUTE), as the origin
  /stats                JSON: {path: {"bytes": n, "requests": n, "seen_methods": [...],
                        "seen_x_headers": [...], "starts": [...]}} (not counted): body bytes sent
                        (counted as each piece is written, so a response still running or cut
                        short counts what left so far), requests, the method of each request, the
                        "Name: value" of each request header whose name starts with "X-", and the
                        file offset at which each response's body started (file responses only)

Every route answers any request method (a token: PROPFIND, POST, ...) as it answers GET.

Files are streamed from disk (never loaded whole), so they may be large; the strong ETag is a
hash of the content, computed once per file version (size, mtime, inode).

It exits by itself after LIFETIME_SECONDS (default 300) or as soon as its parent process dies.
"""
import http.server
import io
import json
import os
import socket
import socketserver
import stat
import sys
import threading
import time
import email.utils
import hashlib

ROOT = "."
LOCK = threading.Lock()
STATS = {}          # path -> {"bytes", "requests", "seen_methods", "seen_x_headers", "starts"}
ETAG_COUNTER = [0]
TAGS = {}           # file path -> ((size, mtime_ns, inode), etag)
CHUNK = 64 * 1024


def stats_entry(path):
    """The statistics of path (LOCK held)."""
    return STATS.setdefault(path, {"bytes": 0, "requests": 0, "seen_methods": [], "seen_x_headers": [],
                                   "starts": []})


def count(path, requests=0, nbytes=0):
    with LOCK:
        entry = stats_entry(path)
        entry["requests"] += requests
        entry["bytes"] += nbytes
        return entry["requests"]


def record_request(path, method, headers):
    """The method and the X- headers of a request of path."""
    with LOCK:
        entry = stats_entry(path)
        entry["seen_methods"].append(method)
        entry["seen_x_headers"] += ["%s: %s" % (k, v) for k, v in headers.items() if k.lower().startswith("x-")]


def record_start(path, offset):
    with LOCK:
        stats_entry(path)["starts"].append(offset)


def locate(name):
    """(path, os.stat_result) of the regular file NAME in ROOT, or (None, None)."""
    path = os.path.join(ROOT, os.path.basename(name))
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return (path, st) if stat.S_ISREG(st.st_mode) else (None, None)


def content_etag(path, st):
    """A strong ETag from the content's SHA-1, hashed once per version of the file."""
    version = (st.st_size, st.st_mtime_ns, st.st_ino)
    with LOCK:
        known = TAGS.get(path)
    if known and known[0] == version:
        return known[1]
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    tag = '"%s"' % digest.hexdigest()[:16]
    with LOCK:
        TAGS[path] = (version, tag)
    return tag


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    # -- helpers ---------------------------------------------------------------------------
    def send_stream(self, source, length, drip=False, rate=None):
        """Sends `length` bytes read from the file object `source`, counting each piece as it is
        written. drip: 64 bytes every 100 ms, for at most 15 s; rate: paced at `rate` bytes per
        second. Returns the bytes sent."""
        sent = 0
        started = time.monotonic()
        step = 64 if drip else CHUNK if not rate else max(1024, min(CHUNK, rate // 20))
        try:
            while sent < length:
                if rate:
                    delay = started + sent / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                piece = source.read(min(step, length - sent))
                if not piece:
                    break
                self.wfile.write(piece)
                sent += len(piece)
                count(self.path, nbytes=len(piece))
                if drip:
                    if time.monotonic() - started > 15:
                        break
                    time.sleep(0.1)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        return sent

    def simple(self, code, text, extra=None):
        body = ("<html><body><h1>%d</h1><p>%s</p></body></html>\n" % (code, text)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.send_stream(io.BytesIO(body), len(body))

    def serve(self, name, ranges=True, etag=None, drop_after=None, lie=0, drip=False, chunked=False,
              if_range=True, rate=None):
        path, st = locate(name)
        if path is None:
            self.simple(404, "no such file")
            return
        if etag is None:
            etag = content_etag(path, st)
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        size = st.st_size
        start, end = 0, size - 1
        status = 200
        rng = self.headers.get("Range")
        cond = self.headers.get("If-Range") if if_range else None
        if ranges and rng and (cond is None or cond in (etag, last_modified)):
            spec = rng.strip()
            if spec.startswith("bytes=") and "," not in spec:
                a, _, b = spec[6:].partition("-")
                try:
                    if a:
                        start = int(a)
                        end = int(b) if b else size - 1
                    else:  # suffix range
                        start = max(0, size - int(b))
                        end = size - 1
                    if start >= size:
                        self.send_response(416)
                        self.send_header("Content-Range", "bytes */%d" % size)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    end = min(end, size - 1)
                    status = 206
                except ValueError:
                    start, end = 0, size - 1
        length = end + 1 - start
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length + lie))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        if ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        if drop_after is not None or lie:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        record_start(self.path, start)
        with open(path, "rb") as source:
            source.seek(start)
            if chunked:
                self.send_chunked(source, length)
                return
            self.send_stream(source, length if drop_after is None else min(drop_after, length),
                             drip=drip, rate=rate)
        if drop_after is not None or lie or drip:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_chunked(self, source, length):
        try:
            for _ in range(0, length, CHUNK):
                piece = source.read(CHUNK)
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                count(self.path, nbytes=len(piece))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    # -- routes ------------------------------------------------------------------------------
    def __getattr__(self, name):
        """do_<METHOD> for any other method: answered like GET."""
        if name.startswith("do_") and name != "do_GET":
            return self.do_GET
        raise AttributeError(name)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["via"] and len(parts) > 1:
            as_cache = "cachehostorigin=" in query.lower()
            parts = parts[1:] if as_cache else ["file", parts[-1]]
            path = ("cache:" if as_cache else "") + path
        if parts == ["stats"]:
            with LOCK:
                body = json.dumps(STATS, sort_keys=True).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.path = path
        n = count(path, requests=1)
        record_request(path, self.command, self.headers)
        try:
            kind = parts[0] if parts else ""
            if kind == "file" and len(parts) == 2:
                self.serve(parts[1])
            elif kind == "drop" and len(parts) == 3:
                self.serve(parts[2], drop_after=int(parts[1]))
            elif kind == "badlength" and len(parts) == 2:
                self.serve(parts[1], ranges=False, lie=1000)
            elif kind == "flaky" and len(parts) == 3:
                if n <= int(parts[1]):
                    self.simple(500, "flaky: request %d" % n)
                else:
                    self.serve(parts[2])
            elif kind == "retry-after" and len(parts) == 3:
                if n == 1:
                    self.simple(503, "busy", {"Retry-After": parts[1]})
                else:
                    self.serve(parts[2])
            elif kind == "slow" and len(parts) == 2:
                self.serve(parts[1], drip=True)
            elif kind == "rate" and len(parts) == 3 and int(parts[1]) > 0:
                self.serve(parts[2], rate=int(parts[1]))
            elif kind == "norange" and len(parts) == 2:
                self.serve(parts[1], ranges=False)
            elif kind == "etag-change" and len(parts) == 2:
                with LOCK:
                    ETAG_COUNTER[0] += 1
                    tag = '"changed-%d"' % ETAG_COUNTER[0]
                self.serve(parts[1], etag=tag)
            elif kind == "ignore-if-range" and len(parts) == 2:
                with LOCK:
                    ETAG_COUNTER[0] += 1
                    tag = '"ignored-%d"' % ETAG_COUNTER[0]
                self.serve(parts[1], etag=tag, if_range=False)
            elif kind == "chunked" and len(parts) == 2:
                self.serve(parts[1], ranges=False, chunked=True)
            elif kind == "redirect" and len(parts) == 3:
                hops = int(parts[1])
                if hops <= 0:
                    self.serve(parts[2])
                else:
                    self.simple(302, "moved", {"Location": "/redirect/%d/%s" % (hops - 1, parts[2])})
            elif kind == "redirect-loop":
                self.simple(302, "loop", {"Location": "/redirect-loop"})
            elif kind == "etag-drop" and len(parts) == 3:
                with LOCK:
                    ETAG_COUNTER[0] += 1
                    tag = '"dropped-%d"' % ETAG_COUNTER[0]
                self.serve(parts[2], drop_after=int(parts[1]), etag=tag)
            elif kind == "status" and len(parts) in (2, 3):
                self.simple(int(parts[1]), "status %s" % parts[1])
            else:
                self.simple(404, "unknown route")
        except ValueError:
            self.simple(400, "bad number in path")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def watchdog(lifetime, parent):
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.2)
    os._exit(0)


def main():
    global ROOT
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    port = int(sys.argv[1])
    ROOT = sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    threading.Thread(target=watchdog, args=(lifetime, os.getppid()), daemon=True).start()
    server = Server(("127.0.0.1", port), Handler)
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
