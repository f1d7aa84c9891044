"""Read the Redfish power documents of one BMC over HTTPS, or of a saved tree on disk.

``read_service(url, ...)`` starts at the service root and follows only the links
``tier3.parsers.redfish.links_to_follow`` names (chassis, power, supplies): a bounded number of
documents, each fetched once (no cycles). Every failure is a ``DeviceError`` (the BMC answered
badly or not at all) or a ``ParseError`` (it answered something that is not JSON, or a saved tree
that is not one), naming the URL or file and what was expected; never a verdict.

Limits, the same as ``tier3.sources`` (the one reader) sets for any source: at most
``MAX_DOCUMENTS`` documents, each body or file at most ``tier3.sources.MAX_BYTES``, and that much
in total over one read. A saved tree reads regular files only (``tier3.sources.read_bytes``: a
FIFO or a device in it is refused, never waited on).

Transport rules: TLS verified by default (``ca_file`` for a private CA, ``insecure`` only when
asked); plain ``http://`` only with ``insecure`` (it would send the password in clear); no
proxies, netrc or ``REQUESTS_CA_BUNDLE`` from the environment (BMCs sit on a management network
reached directly); a timeout per request; retries on connect/read timeouts and 5xx answers only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from tier3 import sources
from tier3.bmc import Credentials, shown_size, split_url
from tier3.errors import DeviceError, ParseError, Tier3Error
from tier3.parsers.redfish import ROOT, links_to_follow
from tier3.printable import printable

MAX_DOCUMENTS = 1024  # a rack server needs ~10; a blade enclosure a few hundred
MAX_REDIRECTS = 5
AUTH_MODES = ("basic", "session")
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Fetch = Callable[[str], Mapping[str, Any]]


class Budget:
    """The bytes one read of a service or a saved tree may take in all: ``tier3.sources.MAX_BYTES``."""

    def __init__(self) -> None:
        self.limit = sources.MAX_BYTES  # read now, so a test may lower it
        self.used = 0

    def left(self) -> int:
        return self.limit - self.used

    def spend(self, size: int) -> bool:
        """Count ``size`` more bytes; False when that passes the limit."""
        self.used += size
        return self.used <= self.limit


def crawl(fetch: Fetch, source: str, limit: int = MAX_DOCUMENTS,
          error: type[Tier3Error] = DeviceError) -> dict[str, Any]:
    """Every document reachable from the service root through ``links_to_follow``, by path.

    More than ``limit`` documents is an ``error`` (DeviceError for a BMC, ParseError for a saved tree).
    """
    documents: dict[str, Any] = {}
    queue = deque([ROOT])
    while queue:
        path = queue.popleft()
        if path in documents:
            continue
        if not path.startswith(ROOT + "/") and path != ROOT:
            raise ParseError(source, path, f"a link leaves the Redfish service (expected a path under {ROOT})")
        if len(documents) >= limit:
            raise error(source, path, f"more than {limit} documents to read; is the tree looping?")
        document = fetch(path)
        documents[path] = document
        queue.extend(link for link in links_to_follow(path, document) if link not in documents)
    return documents


def read_directory(directory: Path, limit: int = MAX_DOCUMENTS) -> dict[str, Any]:
    """A saved tree: DMTF mockup layout ``DIR/redfish/v1/.../index.json`` or rooted at ``DIR``.

    Each file is read through ``tier3.sources`` (a regular file, at most ``MAX_BYTES``); the
    whole tree at most ``limit`` documents and ``MAX_BYTES`` in total, else a ParseError naming
    the directory.
    """
    nested = directory / "redfish" / "v1"
    root = nested if (nested / "index.json").exists() else directory
    if not (root / "index.json").exists():
        raise ParseError(
            str(directory), "", "no service root: expected redfish/v1/index.json or index.json in it",
            hint="save the tree in the DMTF mockup layout (one index.json per resource)",
        )
    base = root.resolve()
    budget = Budget()
    hint = "save the tree in the DMTF mockup layout: one regular index.json file per resource"

    def fetch(path: str) -> Mapping[str, Any]:
        relative = path[len(ROOT) :].strip("/")
        file = (base / relative / "index.json").resolve()
        if not file.is_relative_to(base):
            raise ParseError(str(directory), path, "a link points outside the saved tree")
        if not file.exists():
            raise ParseError(str(file), "", f"missing: the tree links {path} but this file does not exist")
        body = sources.read_bytes(str(file), hint=hint)
        if not budget.spend(len(body)):
            raise ParseError(str(directory), path, f"the saved tree holds more than {shown_size(budget.limit)} "
                             "of documents: not one BMC's power resources", hint=hint)
        return _json_object(body, str(file))

    return crawl(fetch, str(directory), limit, error=ParseError)


def _json_object(body: bytes, source: str) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"byte {exc.start}", "not UTF-8 text; expected a JSON document") from None
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(body.rstrip()) or exc.msg.startswith("Unterminated string")
        truncated = " (the body ends early: truncated?)" if ends_early else ""
        message = exc.msg.removesuffix(" starting at")
        where = f"line {exc.lineno} column {exc.colno}"
        raise ParseError(source, where, f"invalid JSON: {message}{truncated}") from None
    if not isinstance(value, dict):
        raise ParseError(source, "", f"is a JSON {type(value).__name__}, expected a JSON object (a Redfish resource)")
    return value


@dataclass(frozen=True)
class Answer:
    """One document as the BMC answered it: its URL (never with credentials), the SHA-256 and size of
    the body exactly as received, and when (``time.time()`` on this machine). What evidence names."""

    url: str
    sha256: str
    size: int
    read_at: float


class RedfishClient:
    """One BMC: ``with RedfishClient(url, ...) as client: documents = client.read_tree()``.

    ``answers`` lists every document read so far, in order (``Answer``): the evidence of the read.
    """

    def __init__(
        self,
        url: str,
        *,
        credentials: Credentials | None = None,
        auth: str = "basic",
        ca_file: str | None = None,
        insecure: bool = False,
        timeout: float = 10.0,
        retries: int = 2,
        credential_hint: str = "check the BMC user and password",
    ) -> None:
        parts = split_url(url, "https://HOST[:PORT]")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise DeviceError(url, "", "expected a BMC URL like https://HOST[:PORT]")
        if parts.username is not None or parts.password is not None:
            shown = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            raise DeviceError(shown, "", "credentials in the URL are refused",
                              hint="pass them through --username-env / --password-env")
        if parts.scheme == "http" and not insecure:
            raise DeviceError(url, "", "plain http would send the BMC password in clear",
                              hint="use https://, or --insecure in a lab")
        if auth not in AUTH_MODES:
            raise DeviceError(url, "", f"unknown auth mode {auth!r}; expected one of {', '.join(AUTH_MODES)}")
        if ca_file is not None and not Path(ca_file).is_file():
            raise DeviceError(url, "", f"CA file {ca_file} does not exist", hint="give --ca-file a PEM bundle")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.credentials, self.auth_mode, self.credential_hint = credentials, auth, credential_hint
        self.timeout, self.retries, self.insecure = timeout, max(0, retries), insecure
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = False if insecure else (ca_file or True)
        self.session.headers.update({"Accept": "application/json", "OData-Version": "4.0"})
        self._logout_url: str | None = None
        self._budget = Budget()
        self.answers: list[Answer] = []

    def __repr__(self) -> str:
        return f"RedfishClient({self.base!r}, auth={self.auth_mode!r})"

    def __enter__(self) -> RedfishClient:
        if self.credentials is not None:
            if self.auth_mode == "basic":
                self.session.auth = (self.credentials.username, self.credentials.password)
            else:
                self._login()
        return self

    def __exit__(self, *_: object) -> None:
        try:
            if self._logout_url is not None:
                with self._quiet(), _suppress_request_errors():
                    self.session.delete(self._logout_url, timeout=self.timeout)
        finally:
            self._logout_url = None
            self.session.close()

    def read_tree(self, limit: int = MAX_DOCUMENTS) -> dict[str, Any]:
        return crawl(self.get, self.base, limit)

    def get(self, path: str) -> dict[str, Any]:
        url = urljoin(self.base, path)
        response = self._request("GET", url)
        kind = response.headers.get("Content-Type", "")
        body = self._body(response, url)
        if "json" not in kind.lower():
            shown = kind.split(";")[0].strip() or "no Content-Type"
            raise DeviceError(url, "", f"answered {shown}, expected application/json (a Redfish resource)",
                              hint="check that the URL is the BMC's Redfish service")
        document = _json_object(body, url)
        self.answers.append(Answer(url, hashlib.sha256(body).hexdigest(), len(body), time.time()))
        return document

    def _login(self) -> None:
        assert self.credentials is not None
        url = urljoin(self.base, f"{ROOT}/SessionService/Sessions")
        payload = {"UserName": self.credentials.username, "Password": self.credentials.password}
        response = self._request("POST", url, json=payload)
        token = response.headers.get("X-Auth-Token")
        response.close()
        if not token:
            raise DeviceError(url, "", f"session login answered HTTP {response.status_code} without X-Auth-Token",
                              hint="use basic auth with this BMC")
        location = response.headers.get("Location")
        self.session.headers["X-Auth-Token"] = token
        self._logout_url = urljoin(url, location) if location else None

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, its retries and same-origin redirects; any answer but 2xx is a DeviceError.

        Redirects are followed here, not by requests: requests keeps custom headers
        (``X-Auth-Token``) on a redirect to another host, so another origin is refused outright.
        """
        first = url
        for _ in range(MAX_REDIRECTS + 1):
            response, attempts = self._send(method, url, **kwargs)
            status = response.status_code
            if status not in REDIRECTS:
                return self._accept(response, url, attempts)
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise DeviceError(url, "", f"answered HTTP {status} without a Location to go to")
            target = urljoin(url, location)
            if _origin(target) != _origin(url):
                raise DeviceError(url, "", f"redirects to another origin ({_origin(target)}); refused, the "
                                  "credentials would follow", hint="point tier3 at the BMC's own address")
            url = target
        raise DeviceError(first, "", f"redirect loop (more than {MAX_REDIRECTS} redirects)")

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[requests.Response, int]:
        """Send once, and again on timeouts and 5xx for idempotent GETs: (response, attempts)."""
        retries = self.retries if method == "GET" else 0
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._quiet():
                    response = self.session.request(method, url, timeout=self.timeout, stream=True,
                                                    allow_redirects=False, **kwargs)
            except requests.exceptions.SSLError:
                raise DeviceError(url, "", "TLS certificate not trusted (or TLS failed)",
                                  hint="give the BMC's CA with --ca-file") from None
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout):
                if attempt <= retries:
                    time.sleep(min(0.2 * 2**attempt, 2.0))
                    continue
                raise DeviceError(url, "", f"no answer within {self.timeout:g} s ({attempt} attempt(s))",
                                  hint="check the BMC address, or raise --timeout") from None
            except requests.exceptions.ConnectionError as exc:
                raise DeviceError(url, "", f"cannot connect: {_reason(exc)}",
                                  hint="check the BMC address and port") from None
            except requests.exceptions.RequestException as exc:
                raise DeviceError(url, "", f"request failed: {type(exc).__name__}") from None
            if response.status_code >= 500 and attempt <= retries:
                response.close()
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            return response, attempt

    def _accept(self, response: requests.Response, url: str, attempts: int) -> requests.Response:
        status = response.status_code
        if status < 400:
            return response
        response.close()
        if status in (401, 403):
            raise DeviceError(url, "", f"refused the credentials (HTTP {status})", hint=self.credential_hint)
        if status == 404:
            raise DeviceError(url, "", "not found (HTTP 404): expected a Redfish resource here",
                              hint="check the URL; the service root is /redfish/v1")
        raise DeviceError(url, "", f"answered HTTP {status} {printable(response.reason or '')}".rstrip()
                          + f", expected 200 with a Redfish resource (after {attempts} attempt(s))")

    def _body(self, response: requests.Response, url: str) -> bytes:
        """The body, streamed: stopped as soon as it passes ``MAX_BYTES``, alone or with what was read before."""
        limit = min(self._budget.limit, self._budget.left())
        declared = response.headers.get("Content-Length", "")
        chunks, size = [], 0
        try:
            if declared.isdigit() and int(declared) > limit:
                raise self._too_large(url, int(declared))
            with self._quiet():
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise self._too_large(url, size)
                    chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise DeviceError(url, "", f"the body was cut short ({_reason(exc)}); expected a whole JSON document",
                              hint="retry; if it persists, the BMC's web service is failing") from None
        finally:
            response.close()
        self._budget.spend(size)
        return b"".join(chunks)

    def _too_large(self, url: str, size: int) -> DeviceError:
        cap = shown_size(self._budget.limit)
        if size > self._budget.limit:
            return DeviceError(url, "", f"answered over {cap}; expected one Redfish resource",
                               hint="check that the URL is the BMC's Redfish service")
        return DeviceError(url, "", f"the documents read from this BMC pass {cap} in total; expected a few "
                           "power resources", hint="point tier3 at the BMC of one host")

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """--insecure was asked for: do not warn on every request that TLS is not verified."""
        with warnings.catch_warnings():
            if self.insecure:
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            yield


def _suppress_request_errors() -> contextlib.suppress:
    """Logging out is best effort: the session expires on the BMC anyway."""
    return contextlib.suppress(requests.exceptions.RequestException)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: BaseException) -> str:
    """A short cause without URLs or headers: 'Connection refused', 'IncompleteRead'..."""
    seen: set[int] = set()
    current: BaseException | None = exc
    last = type(exc).__name__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        for marker in ("Connection refused", "Name or service not known", "No route to host", "IncompleteRead",
                       "Connection reset", "Network is unreachable", "Connection aborted"):
            if marker in text:
                return marker
        last = type(current).__name__
        current = current.__cause__ or current.__context__ or (current.args[0] if current.args and isinstance(
            current.args[0], BaseException) else None)
    return last


def read_service(
    url: str, *, credentials: Credentials | None, auth: str = "basic", ca_file: str | None = None,
    insecure: bool = False, timeout: float = 10.0, retries: int = 2, credential_hint: str = "",
) -> dict[str, Any]:
    """Every power document of the BMC at ``url``, by path; logs out of a session at the end."""
    with RedfishClient(
        url, credentials=credentials, auth=auth, ca_file=ca_file, insecure=insecure, timeout=timeout,
        retries=retries, credential_hint=credential_hint or "check the BMC user and password",
    ) as client:
        return client.read_tree()
