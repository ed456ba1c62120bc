"""A fake Microsoft identity platform (Entra ID v2.0 endpoints) on loopback https.

Speaks what msal uses: `/{tenant}/v2.0/.well-known/openid-configuration`, the device
authorization endpoint and the token endpoint (device_code and refresh_token grants).
The TLS certificate is generated at start; `ca_path` is the file clients must trust.
Access tokens expire (and can be expired early), refresh tokens roll over on every use
(the old one stops working, stricter than Entra) and can be revoked. A token is for the
one resource its scopes name (a bare name means the global Microsoft Graph; several
resources are refused, AADSTS28000) and the fake Graph checks that audience. Every token
is random and made at runtime. The test approves or declines device codes.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESOURCE_SCOPES = {"calendars.read", "mail.readwrite", "user.read"}
OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
GLOBAL_GRAPH = "https://graph.microsoft.com"  # the resource of a bare scope name


def split_scope(scope: str) -> tuple[str, str]:
    """(resource, permission): a bare name is a permission of the global Microsoft Graph."""
    match = re.fullmatch(r"(https?://[^/]+)/(.+)", scope)
    if match:
        return match.group(1).lower(), match.group(2)
    return GLOBAL_GRAPH, scope


def audience(scopes: set[str]) -> str | None:
    """The one resource the scopes name (OIDC scopes aside); None when they name several."""
    resources = {split_scope(s)[0] for s in scopes if s.lower() not in OIDC_SCOPES}
    return resources.pop() if len(resources) == 1 else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed CA-capable certificate for 127.0.0.1 / localhost: (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "afterword test authority")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "ca.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class User:
    """A person who can sign in."""

    email: str
    name: str
    oid: str = field(default_factory=lambda: str(uuid.uuid4()))
    tid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class DeviceCode:
    """One pending device authorization."""

    device_code: str
    user_code: str
    client_id: str
    scopes: set[str]
    expires_at: float
    user: User | None = None
    declined: bool = False


@dataclass
class Grant:
    """What a token stands for."""

    user: User
    client_id: str
    scopes: set[str]
    expires_at: float = 0.0
    audience: str = GLOBAL_GRAPH  # the resource the token is for (Graph checks it)


class FakeAuthority:
    """The sign-in service. Use as a context manager; `authority_url()` goes in the config."""

    def __init__(self, client_id: str = "11111111-2222-3333-4444-555555555555",
                 access_ttl: float = 3600.0, folder: Path | None = None) -> None:
        self.client_id = client_id
        self.access_ttl = access_ttl
        self._tmp = None if folder else tempfile.TemporaryDirectory(prefix="fake-authority-")
        self.folder = folder or Path(self._tmp.name)  # type: ignore[union-attr]
        self.ca_path, self._key_path = make_certificate(self.folder)
        self.users: dict[str, User] = {}
        self.device_codes: dict[str, DeviceCode] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        # Every secret it ever handed out (tokens, device codes): none may leak anywhere.
        self.handed_out: set[str] = set()
        self.log: list[tuple[str, str, str]] = []  # (method, path, grant_type)
        self.lock = threading.Condition()
        self.polls = 0
        self.token_failures = 0  # the next N token requests answer 503
        self.scope_requests: list[list[str]] = []  # the scope strings of each request with any
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_path, self._key_path)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> FakeAuthority:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def authority_url(self, tenant: str = "common") -> str:
        """The `authority` for the account config."""
        return f"{self.base}/{tenant}"

    # -- test controls -----------------------------------------------------------------

    def add_user(self, email: str, name: str) -> User:
        """Someone who can approve device codes."""
        user = User(email.lower(), name)
        self.users[user.email] = user
        return user

    def approve(self, user_code: str, email: str) -> None:
        """The user enters the code and consents."""
        with self.lock:
            for code in self.device_codes.values():
                if code.user_code == user_code:
                    code.user = self.users[email.lower()]
                    return
        raise KeyError(user_code)

    def wait_for_polls(self, count: int, timeout: float = 30.0) -> None:
        """Block until msal has polled the token endpoint `count` times for a device code."""
        with self.lock:
            if not self.lock.wait_for(lambda: self.polls >= count, timeout):
                raise TimeoutError(f"only {self.polls} device-code polls")

    def pending_user_code(self) -> str:
        """The user code of the newest device authorization."""
        with self.lock:
            return list(self.device_codes.values())[-1].user_code

    def expire_access_tokens(self) -> None:
        """Every access token stops working now (msal still thinks they are fresh)."""
        with self.lock:
            for grant in self.access.values():
                grant.expires_at = 0.0

    def revoke(self, email: str | None = None) -> None:
        """Revoke refresh and access tokens (of one user, or everyone)."""
        with self.lock:
            for table in (self.refresh, self.access):
                for token in [t for t, g in table.items() if email in (None, g.user.email)]:
                    del table[token]

    def user_for(self, access_token: str, resource: str | None = None) -> User | None:
        """Who a bearer token belongs to, if it is valid now and (when given) for `resource`."""
        with self.lock:
            grant = self.access.get(access_token)
            if grant is None or grant.expires_at < time.time():
                return None
            if resource is not None and grant.audience != resource.lower():
                return None  # a token for another Graph (another cloud) is no good here
            return grant.user

    def grants(self, grant_type: str) -> int:
        """How many token requests of this grant type were made."""
        return sum(1 for _m, _p, g in self.log if g == grant_type)

    # -- protocol ------------------------------------------------------------------------

    def _tokens(self, user: User, client_id: str, scopes: set[str]) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        now = time.time()
        resource = audience(scopes) or GLOBAL_GRAPH
        self.access[access] = Grant(user, client_id, scopes, now + self.access_ttl, resource)
        self.refresh[refresh] = Grant(user, client_id, scopes, audience=resource)
        claims = {
            "aud": client_id, "iss": f"{self.base}/{user.tid}/v2.0", "iat": int(now),
            "nbf": int(now), "exp": int(now + 3600), "name": user.name, "oid": user.oid,
            "preferred_username": user.email, "sub": _b64(user.oid.encode()), "tid": user.tid,
            "ver": "2.0",
        }
        id_token = ".".join([_b64(b'{"alg":"none","typ":"JWT"}'),
                             _b64(json.dumps(claims).encode()), ""])
        info = _b64(json.dumps({"uid": user.oid, "utid": user.tid}).encode())
        self.handed_out |= {access, refresh, id_token}
        granted = sorted(s for s in scopes if s.lower() not in OIDC_SCOPES)
        return {
            "token_type": "Bearer", "scope": " ".join([*granted, "openid", "profile"]),
            "expires_in": int(self.access_ttl), "ext_expires_in": int(self.access_ttl),
            "access_token": access, "refresh_token": refresh, "id_token": id_token,
            "client_info": info,
        }

    def token_request(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint."""
        grant_type = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        if client_id != self.client_id:
            return 400, _error("unauthorized_client", "AADSTS700016: Application with "
                               f"identifier '{client_id}' was not found in the directory")
        scopes = set(form.get("scope", "").split())
        with self.lock:
            if "scope" in form:  # a device_code grant carries none: the code has them
                self.scope_requests.append(form["scope"].split())
            if self.token_failures > 0:
                self.token_failures -= 1
                return 503, _error("temporarily_unavailable", "AADSTS90033: A transient "
                                   "error has occurred. Please try again.")
            if grant_type == "urn:ietf:params:oauth:grant-type:device_code":
                self.polls += 1
                self.lock.notify_all()
                code = self.device_codes.get(form.get("device_code", ""))
                if code is None:
                    return 400, _error("bad_verification_code", "AADSTS70019: unknown code")
                if code.expires_at < time.time():
                    return 400, _error("expired_token", "AADSTS70020: code expired")
                if code.declined:
                    return 400, _error("authorization_declined", "AADSTS70000: declined")
                if code.user is None:
                    return 400, _error("authorization_pending",
                                       "AADSTS70016: OAuth 2.0 device flow error. "
                                       "Authorization is pending.")
                del self.device_codes[code.device_code]
                return 200, self._tokens(code.user, client_id, code.scopes)
            if grant_type == "refresh_token":
                old = self.refresh.get(form.get("refresh_token", ""))
                if old is None or old.client_id != client_id:
                    return 400, _error("invalid_grant", "AADSTS70008: The provided "
                                       "authorization code or refresh token has expired "
                                       "or was revoked.")
                wanted = {s.lower() for s in scopes} - OIDC_SCOPES
                if audience(scopes) is None:
                    return 400, _error("invalid_scope", "AADSTS28000: Provided value for the "
                                       "input parameter scope is not valid because it "
                                       "contains more than one resource.")
                if not wanted <= {s.lower() for s in old.scopes}:
                    return 400, _error("invalid_grant", "AADSTS65001: The user or "
                                       "administrator has not consented to use the application")
                del self.refresh[form["refresh_token"]]  # rolled over: the old one is spent
                return 200, self._tokens(old.user, client_id, old.scopes)
        return 400, _error("unsupported_grant_type", f"AADSTS70003: {grant_type}")

    def device_request(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The device authorization endpoint."""
        if form.get("client_id") != self.client_id:
            return 400, _error("unauthorized_client", "AADSTS700016: unknown application")
        scopes = set(form.get("scope", "").split())
        with self.lock:
            self.scope_requests.append(form.get("scope", "").split())
        bad = {s for s in scopes if s.lower() not in OIDC_SCOPES and
               split_scope(s)[1].lower() not in RESOURCE_SCOPES}
        if bad:
            return 400, _error("invalid_scope", f"AADSTS70011: unknown scope {sorted(bad)}")
        if audience(scopes) is None:
            return 400, _error("invalid_scope", "AADSTS28000: Provided value for the input "
                               "parameter scope is not valid because it contains more than "
                               "one resource.")
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        code = DeviceCode(secrets.token_urlsafe(32), user_code, form["client_id"], scopes,
                          time.time() + 900)
        with self.lock:
            self.device_codes[code.device_code] = code
            self.handed_out.add(code.device_code)
        uri = f"{self.base}/devicelogin"
        return 200, {
            "user_code": user_code, "device_code": code.device_code,
            "verification_uri": uri, "expires_in": 900, "interval": 1,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the "
                       f"code {user_code} to authenticate.",
        }

    def openid_configuration(self, tenant: str) -> dict[str, Any]:
        """OIDC discovery for a tenant path segment."""
        root = f"{self.base}/{tenant}"
        return {
            "issuer": f"{self.base}/{{tenantid}}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": None,
        }


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description,
            "error_codes": [int(m) for m in re.findall(r"^AADSTS(\d+)", description)],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}


def _handler(fake: FakeAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            with fake.lock:
                fake.log.append(("GET", path, ""))
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._send(200, fake.openid_configuration(parts[0]))
            else:
                self._send(404, _error("not_found", f"no such endpoint {path}"))

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with fake.lock:
                fake.log.append(("POST", path, form.get("grant_type", "")))
            if path.endswith("/oauth2/v2.0/token"):
                self._send(*fake.token_request(form))
            elif path.endswith("/oauth2/v2.0/devicecode"):
                self._send(*fake.device_request(form))
            else:
                self._send(404, _error("not_found", f"no such endpoint {path}"))

    return Handler
