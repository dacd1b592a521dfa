"""`callcenter credentials`: the TLS certificates and caller tokens of a deployment
(docs/security.md, "Issuing and rotating credentials").

    init DIR     a local CA, a server certificate per service, a token per caller and the
                 callers file the services read (CALLCENTER_GRPC_CALLERS_FILE)
    token        a new token for a caller, its hash appended to a callers file (rotation);
                 --queue/--channel limit a messaging caller to those queues and channels
    revoke       a caller's lines (or one of its tokens) removed from a callers file
    renew DIR    the certificates of DIR issued again by its CA: same names, new keys and dates

What `init` writes (folders 0700, keys, tokens and the callers file 0600):

    DIR/ca.crt, ca.key             the CA (keep ca.key offline: it issues certificates)
    DIR/callers                    `name role sha256:<hash>` per token, `name role cert` per client certificate
                                   (a messaging caller's line may end in `queues=a,b channels=x`)
    DIR/<service>/tls.crt, tls.key, ca.crt   the keys of a cert-manager Certificate's Secret
    DIR/tokens/<name>.token        each caller's bearer token
    DIR/clients/<name>/tls.crt, tls.key, ca.crt   client certificates (--client-cert)

The tokens are never printed, except by `token` without --out (once, on stdout).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import pathlib
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from callcenter.core import ids
from callcenter.core.auth import (
    CERTIFICATE,
    MESSAGING,
    ROLES,
    CallerTable,
    entry_line,
    hash_token,
    new_token,
    parse_scope,
)

if TYPE_CHECKING:  # imported where used: every `callcenter` command builds this parser
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_SERVICES = ("router", "stats", "recorder", "webhooks")
DEFAULT_CALLERS = (
    ("gateway", "gateway"),
    ("kamailio", "pbx"),
    ("simulator", "pbx"),
    ("crm", "crm"),
    ("webhooks", "crm"),  # the webhooks service applying CRM events in to the router and stats
    # a chat widget's backend or messaging gateway posting customers' messages to the router
    # (issue 21); it runs outside the platform: its token goes to it (docs/deploy.md)
    ("messaging", "messaging"),
    ("admin", "admin"),
)
DEFAULT_NAMESPACE = "callcenter"
DEFAULT_DAYS = 365
CA_DAYS = 3650  # the CA outlives many renewals of the certificates it issues
MAX_DAYS = 3650
CA_NAME = "callcenter local CA"
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_DNS = re.compile(
    r"(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_HASH = re.compile(r"sha256:[0-9a-f]{64}")


class CredentialsError(Exception):
    """A request the files do not allow (exit 2 with the message)."""


# ---- argument types: argparse turns their ArgumentTypeError into "argument --x: ..." and exit 2 ----


def _name(text: str) -> str:
    try:
        CallerTable().add(text, ROLES[0], CERTIFICATE)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _role(text: str) -> str:
    if text not in ROLES:
        raise argparse.ArgumentTypeError(f"unknown role {text!r} (one of {', '.join(ROLES)})")
    return text


def caller_spec(text: str) -> tuple[str, str]:
    """NAME:ROLE (the name may hold colons itself: the role is after the last one)."""
    name, sep, role = text.rpartition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:ROLE (e.g. kamailio:pbx)")
    return _name(name), _role(role)


def _client_spec(text: str) -> tuple[str, str]:
    name, role = caller_spec(text)
    if len(name) > 64:
        raise argparse.ArgumentTypeError(f"{name!r}: a certificate's common name has at most 64 characters")
    return name, role


def _service(text: str) -> str:
    if not _LABEL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kubernetes Service name (lower-case DNS label)")
    if text in ("tokens", "clients"):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder of its own in DIR")
    return text


def _namespace(text: str) -> str:
    if not _LABEL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kubernetes namespace (lower-case DNS label)")
    return text


def _dns_or_ip(text: str) -> str:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not _DNS.fullmatch(text):
            raise argparse.ArgumentTypeError(f"{text!r} is neither a DNS name nor an IP address") from None
    return text


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{days}: between 1 and {MAX_DAYS} days")
    return days


def _scope_name(text: str) -> str:
    if problem := ids.name_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def _token_hash(text: str) -> str:
    if not _HASH.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not sha256:<64 hex digits> (a line of the callers file)")
    return text


# ---- files ----------------------------------------------------------------------------------------


def _write(path: pathlib.Path, data: bytes, mode: int = 0o600) -> None:
    """Writes a file with exactly `mode`, atomically (a service re-reading it never sees half of it)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _folder(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


# ---- certificates ------------------------------------------------------------------------------------


def _validity(builder: x509.CertificateBuilder, days: int) -> x509.CertificateBuilder:
    from cryptography import x509

    now = datetime.datetime.now(datetime.UTC)
    return (
        builder.serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks a little behind
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def new_ca(days: int = CA_DAYS) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An ECDSA P-256 key and its self-signed CA certificate (CA:true, may sign certificates only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    builder = (
        _validity(x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return key, builder.sign(key, hashes.SHA256())


def issue(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    alt_names: Sequence[x509.GeneralName],
    usage: x509.ObjectIdentifier,
    days: int,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new key and its certificate signed by the CA, for TLS servers (serverAuth) or clients (clientAuth)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _validity(
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key()),
            days,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(alt_names)), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def service_names(service: str, namespace: str, extra: Iterable[str] = ()) -> list[str]:
    """The names a service's certificate holds: how clients in the cluster, on the pod itself
    and the headless Service (client-side balancing) reach it, plus `extra`."""
    names = []
    for host in (service, f"{service}-headless"):
        names += [host, f"{host}.{namespace}.svc", f"{host}.{namespace}.svc.cluster.local"]
    names += ["localhost", "127.0.0.1", "::1", *extra]
    return list(dict.fromkeys(names))


def _general_names(names: Iterable[str]) -> list[x509.GeneralName]:
    from cryptography import x509

    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def _client_names(name: str) -> list[x509.GeneralName]:
    """A client certificate's alternative name (verifiers require one): the caller's name as a
    DNS name when it is one, else as a URI (the services match the common name as well)."""
    from cryptography import x509

    if _DNS.fullmatch(name) and "*" not in name:
        return [x509.DNSName(name)]
    return [x509.UniformResourceIdentifier(f"urn:callcenter:caller:{name}")]


def _write_pair(folder: pathlib.Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, ca: bytes) -> None:
    _folder(folder)
    _write(folder / "tls.key", _pem_key(key))
    _write(folder / "tls.crt", _pem(cert), 0o644)
    _write(folder / "ca.crt", ca, 0o644)


# ---- the callers file ------------------------------------------------------------------------------


def _read_callers(path: pathlib.Path) -> str:
    try:
        text = path.read_text()
    except OSError as exc:
        raise CredentialsError(
            f"--callers {path}: {exc.strerror or exc} (`callcenter credentials init` writes one)"
        ) from None
    try:
        CallerTable.parse(text)
    except ValueError as exc:
        raise CredentialsError(f"--callers {path}: {exc}") from None
    return text


class Entry(NamedTuple):
    """A line of a callers file (one CallerTable.parse accepted)."""

    name: str
    role: str
    credential: str
    queues: frozenset[str]
    channels: frozenset[str]


def _entries(text: str) -> list[Entry | None]:
    """Per line: its entry, or None for a comment or blank line."""
    result: list[Entry | None] = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) < 3:
            result.append(None)
            continue
        scope = parse_scope(parts[3:])
        result.append(Entry(*parts[:3], scope.get("queues", frozenset()), scope.get("channels", frozenset())))
    return result


class Added(NamedTuple):
    token: str
    hash: str
    earlier: list[str]  # the hashes of the name's earlier tokens
    line: str  # what was appended (the token's hash, not the token)
    inherited: bool  # the scope is that of the name's earlier lines (none was given)
    scoped: bool  # the line has queues= or channels=


def add_token(
    callers: pathlib.Path, name: str, role: str, queues: Sequence[str] = (), channels: Sequence[str] = ()
) -> Added:
    """A new token for `name`, its hash appended to the callers file. A messaging caller given
    no queues or channels keeps the scope of its earlier lines (rotation never widens it)."""
    if (queues or channels) and role != MESSAGING:
        raise CredentialsError(f"--queue and --channel are for role {MESSAGING} only, not {role}")
    text = _read_callers(callers)
    own = [e for e in _entries(text) if e is not None and e.name == name]
    roles = {e.role for e in own}
    if roles - {role}:
        raise CredentialsError(
            f"caller {name} has role {', '.join(sorted(roles))} in {callers}, not {role}: revoke it first"
        )
    token = new_token()
    hashed = hash_token(token)
    inherited = False
    if not (queues or channels) and any(e.queues or e.channels for e in own):
        scopes = {(e.queues, e.channels) for e in own}
        if len(scopes) > 1:
            raise CredentialsError(
                f"caller {name} has lines of different scopes in {callers}: give --queue/--channel for the new token"
            )
        (queues, channels), inherited = scopes.pop(), True
    line = entry_line(name, role, hashed, queues, channels)
    if text and not text.endswith("\n"):
        text += "\n"
    text += line + "\n"
    CallerTable.parse(text)  # what the services will read
    _write(callers, text.encode(), _mode(callers))
    earlier = [e.credential for e in own if e.credential != CERTIFICATE]
    return Added(token, hashed, earlier, line, inherited, bool(queues or channels))


def revoke(callers: pathlib.Path, name: str, token_hash: str | None = None) -> int:
    """Removes the lines of `name` (only the one with `token_hash` when given); how many."""
    text = _read_callers(callers)
    kept, removed = [], 0
    for line, entry in zip(text.splitlines(keepends=True), _entries(text), strict=True):
        if entry is not None and entry.name == name and token_hash in (None, entry.credential):
            removed += 1
        else:
            kept.append(line)
    if removed:
        _write(callers, "".join(kept).encode(), _mode(callers))
    return removed


def _mode(path: pathlib.Path) -> int:
    return path.stat().st_mode & 0o777


# ---- init and renew -----------------------------------------------------------------------------------


def _remove_issued(folder: pathlib.Path) -> None:
    """What an earlier `init` wrote there (no other file): certificates of the old CA must not stay."""
    for name in ("ca.crt", "ca.key", "callers"):
        (folder / name).unlink(missing_ok=True)
    for sub in ("tokens", "clients"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    for cert in folder.glob("*/tls.crt"):
        if {p.name for p in cert.parent.iterdir()} <= {"tls.crt", "tls.key", "ca.crt"}:
            shutil.rmtree(cert.parent)


def init(
    folder: pathlib.Path,
    *,
    services: Sequence[str] = DEFAULT_SERVICES,
    callers: Sequence[tuple[str, str]] = DEFAULT_CALLERS,
    client_certs: Sequence[tuple[str, str]] = (),
    namespace: str = DEFAULT_NAMESPACE,
    dns: Sequence[str] = (),
    days: int = DEFAULT_DAYS,
    force: bool = False,
) -> list[str]:
    """Writes a deployment's credentials into `folder`; returns what it wrote, one line each."""
    from cryptography.x509.oid import ExtendedKeyUsageOID

    for option, specs in (("--caller", callers), ("--client-cert", client_certs)):
        names = [name for name, _ in specs]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise CredentialsError(f"{option}: {', '.join(twice)} given twice")
    if folder.exists() and not folder.is_dir():
        raise CredentialsError(f"{folder} is not a folder")
    if folder.exists() and any(folder.iterdir()):
        if not force:
            raise CredentialsError(f"{folder} exists: --force replaces what is in it (a new CA: every client needs it)")
        _remove_issued(folder)
    _folder(folder)
    wrote = []
    ca_key, ca_cert = new_ca(max(days, CA_DAYS))
    ca = _pem(ca_cert)
    _write(folder / "ca.key", _pem_key(ca_key))
    _write(folder / "ca.crt", ca, 0o644)
    wrote.append(f"{folder / 'ca.crt'}: the CA every client trusts (ca.key beside it: keep it offline)")
    for service in services:
        names = service_names(service, namespace, dns)
        key, cert = issue(ca_key, ca_cert, service, _general_names(names), ExtendedKeyUsageOID.SERVER_AUTH, days)
        _write_pair(folder / service, key, cert, ca)
        wrote.append(f"{folder / service}/tls.crt, tls.key, ca.crt: {service}'s certificate for {', '.join(names)}")
    lines = [
        "# Who may call the gRPC services: `name role credential` per line (docs/security.md);",
        "# a messaging line may end in `queues=a,b channels=x,y` (its scope; none: every queue).",
        "# `callcenter credentials token` adds a token, `callcenter credentials revoke` removes one.",
    ]
    tokens = _folder(folder / "tokens")
    for name, role in callers:
        token = new_token()
        _write(tokens / f"{name}.token", f"{token}\n".encode())
        lines.append(f"{name} {role} {hash_token(token)}")
        wrote.append(f"{tokens / name}.token: the token of {name} (role {role})")
    for name, role in client_certs:
        key, cert = issue(ca_key, ca_cert, name, _client_names(name), ExtendedKeyUsageOID.CLIENT_AUTH, days)
        _write_pair(_folder(folder / "clients") / name, key, cert, ca)
        lines.append(f"{name} {role} {CERTIFICATE}")
        wrote.append(
            f"{folder / 'clients' / name}/tls.crt, tls.key, ca.crt: client certificate of {name} (role {role})"
        )
    CallerTable.parse("\n".join(lines))  # what the services will read
    _write(folder / "callers", ("\n".join(lines) + "\n").encode())
    wrote.append(f"{folder / 'callers'}: {len(callers)} token(s) and {len(client_certs)} certificate(s), hashed")
    return wrote


def _load_ca(folder: pathlib.Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"{folder}: no CA to renew with ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CredentialsError(f"{folder / 'ca.key'}: not an ECDSA key")
    return key, cert


def renew(folder: pathlib.Path, days: int = DEFAULT_DAYS) -> list[str]:
    """Issues every certificate of `folder` again from its CA: the same names and usage, a new
    key and validity. The services re-read the files when they change."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    ca_key, ca_cert = _load_ca(folder)
    ca = _pem(ca_cert)
    wrote = []
    for path in sorted([*folder.glob("*/tls.crt"), *folder.glob("clients/*/tls.crt")]):
        old = x509.load_pem_x509_certificate(path.read_bytes())
        if old.issuer != ca_cert.subject:
            continue
        (common_name,) = old.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        (usage,) = old.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        try:
            alt_names = list(old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            alt_names = []
        name = common_name.value if isinstance(common_name.value, str) else common_name.value.decode()
        key, cert = issue(ca_key, ca_cert, name, alt_names, usage, days)
        _write_pair(path.parent, key, cert, ca)
        wrote.append(f"{path.parent}/tls.crt, tls.key: {name}, valid until {cert.not_valid_after_utc:%Y-%m-%d}")
    if not wrote:
        raise CredentialsError(f"{folder}: no certificate of its CA to renew")
    return wrote


def kubectl_commands(folder: pathlib.Path, services: Sequence[str], namespace: str) -> list[str]:
    """The Secrets deploy/ mounts (docs/deploy.md), made from the folder."""
    create = f"kubectl -n {namespace} create secret generic"
    commands = [
        *(f"{create} callcenter-{s}-tls --from-file={folder / s}" for s in services),
        f"{create} callcenter-grpc-callers --from-file=callers={folder / 'callers'}",
    ]
    if (folder / "tokens" / "gateway.token").exists():
        commands.append(
            f"{create} callcenter-gateway-grpc --from-file=token={folder / 'tokens' / 'gateway.token'}"
            f" --from-file=ca.crt={folder / 'ca.crt'}"
        )
    if (folder / "tokens" / "webhooks.token").exists():
        commands.append(f"{create} callcenter-webhooks-grpc --from-file=token={folder / 'tokens' / 'webhooks.token'}")
    return commands


# ---- the command ----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="credentials_command", required=True)
    init_cmd = sub.add_parser("init", help="a local CA, service certificates, caller tokens and the callers file")
    init_cmd.add_argument("dir", type=pathlib.Path, metavar="DIR", help="the folder to write (must not exist)")
    init_cmd.add_argument(
        "--service",
        action="append",
        type=_service,
        help=f"a service to issue a server certificate for (repeat; default: {', '.join(DEFAULT_SERVICES)})",
    )
    init_cmd.add_argument(
        "--namespace",
        default=DEFAULT_NAMESPACE,
        type=_namespace,
        help=f"the Kubernetes namespace the certificates name (default: {DEFAULT_NAMESPACE})",
    )
    init_cmd.add_argument(
        "--dns", action="append", default=[], type=_dns_or_ip, help="another name or address of every service (repeat)"
    )
    init_cmd.add_argument(
        "--caller",
        action="append",
        type=caller_spec,
        metavar="NAME:ROLE",
        help="a caller to make a token for (repeat; default: "
        + ", ".join(f"{n}:{r}" for n, r in DEFAULT_CALLERS)
        + f"; roles: {', '.join(ROLES)})",
    )
    init_cmd.add_argument(
        "--client-cert",
        action="append",
        default=[],
        type=_client_spec,
        metavar="NAME:ROLE",
        help="a caller to issue a client certificate for (mutual TLS; repeat)",
    )
    init_cmd.add_argument(
        "--days", type=_days, default=DEFAULT_DAYS, help=f"validity of the certificates (default: {DEFAULT_DAYS})"
    )
    init_cmd.add_argument("--force", action="store_true", help="replace the credentials in an existing DIR")
    token_cmd = sub.add_parser("token", help="a new token for a caller (rotation), its hash added to a callers file")
    token_cmd.add_argument("name", type=_name, metavar="NAME")
    token_cmd.add_argument("role", type=_role, metavar="ROLE", help=f"one of {', '.join(ROLES)}")
    token_cmd.add_argument("--callers", required=True, type=pathlib.Path, metavar="FILE", help="the callers file")
    token_cmd.add_argument(
        "--queue",
        action="append",
        default=[],
        type=_scope_name,
        help=f"role {MESSAGING}: a queue it may post into and read conversations of (repeat; none: every"
        " queue, or the scope of its earlier token)",
    )
    token_cmd.add_argument(
        "--channel",
        action="append",
        default=[],
        type=_scope_name,
        help=f"role {MESSAGING}: a channel it may open and read conversations on (repeat; none: every one)",
    )
    token_cmd.add_argument(
        "--out", type=pathlib.Path, metavar="TOKENFILE", help="write the token there (0600); else print it once"
    )
    revoke_cmd = sub.add_parser("revoke", help="remove a caller (or one of its tokens) from a callers file")
    revoke_cmd.add_argument("name", type=_name, metavar="NAME")
    revoke_cmd.add_argument("--callers", required=True, type=pathlib.Path, metavar="FILE", help="the callers file")
    revoke_cmd.add_argument(
        "--hash", type=_token_hash, metavar="sha256:HEX", help="only this token of the caller (else all its lines)"
    )
    renew_cmd = sub.add_parser("renew", help="issue DIR's certificates again from its CA (same names, new dates)")
    renew_cmd.add_argument("dir", type=pathlib.Path, metavar="DIR", help="a folder written by `credentials init`")
    renew_cmd.add_argument(
        "--days", type=_days, default=DEFAULT_DAYS, help=f"validity of the certificates (default: {DEFAULT_DAYS})"
    )


def run_from_args(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except CredentialsError as exc:
        print(f"callcenter credentials: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    command = args.credentials_command
    if command == "init":
        services = args.service or list(DEFAULT_SERVICES)
        wrote = init(
            args.dir,
            services=services,
            callers=args.caller or list(DEFAULT_CALLERS),
            client_certs=args.client_cert,
            namespace=args.namespace,
            dns=args.dns,
            days=args.days,
            force=args.force,
        )
        print("wrote:")
        print("\n".join(f"  {line}" for line in wrote))
        print(f"Secrets for deploy/ (docs/deploy.md), namespace {args.namespace}:")
        print("\n".join(f"  {line}" for line in kubectl_commands(args.dir, services, args.namespace)))
        return 0
    if command == "token":
        if args.out is not None and not args.out.parent.is_dir():
            raise CredentialsError(f"--out {args.out}: no folder {args.out.parent}")
        added = add_token(args.callers, args.name, args.role, args.queue, args.channel)
        if args.out is not None:
            _write(args.out, f"{added.token}\n".encode())
            where = f"the token is in {args.out}"
        else:
            print(added.token, flush=True)
            where = "the token is above, shown once"
        kept = " (the scope of its earlier token)" if added.inherited else ""
        print(
            f"added {added.line}{kept} to {args.callers} ({where}); the services re-read it within a second",
            file=sys.stderr,
        )
        if args.role == MESSAGING and not added.scoped:
            print(
                f"{args.name} serves every queue and channel: --queue and --channel limit a messaging caller",
                file=sys.stderr,
            )
        for old in added.earlier:
            print(
                f"once every client of {args.name} uses the new token, remove its earlier one:"
                f" callcenter credentials revoke {args.name} --callers {args.callers} --hash {old}",
                file=sys.stderr,
            )
        return 0
    if command == "revoke":
        removed = revoke(args.callers, args.name, args.hash)
        if not removed:
            what = f"no token {args.hash} of {args.name}" if args.hash else f"no caller {args.name}"
            print(f"callcenter credentials: {what} in {args.callers}: nothing removed", file=sys.stderr)
            return 1
        print(f"removed {removed} line(s) of {args.name} from {args.callers}; the services re-read it within a second")
        return 0
    wrote = renew(args.dir, args.days)
    print("renewed:")
    print("\n".join(f"  {line}" for line in wrote))
    return 0
