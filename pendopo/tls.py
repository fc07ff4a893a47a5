"""``pendopo make-cert``: a self-signed TLS certificate for a LAN without a CA.

Browsers only allow camera and microphone on HTTPS (or localhost). For a regency LAN with no
certificate authority this writes a certificate naming every DNS name and IP address the server
is reached by, and prints how to trust it on the kecamatan PCs. Uses ``cryptography``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pendopo.cli_common import command
from pendopo.config import Settings

VALID_DAYS = 825
"""The longest validity Apple platforms accept for a server certificate."""


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path
    sha256: str


def make_self_signed(
    names: list[str], ips: list[str], out_dir: Path, *, days: int = VALID_DAYS
) -> CertFiles:
    """Write ``cert.pem`` and ``key.pem`` (mode 0600) into ``out_dir``."""
    if not names and not ips:
        raise ValueError("give at least one --name or --ip")
    addresses = [ipaddress.ip_address(ip) for ip in ips]
    key = ec.generate_private_key(ec.SECP256R1())
    common = names[0] if names else str(addresses[0])
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pendopo (self-signed)"),
        ]
    )
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    san += [x509.IPAddress(a) for a in addresses]
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        # An end-entity certificate (Firefox refuses a CA certificate used as a server's).
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = out_dir / "cert.pem", out_dir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.unlink(missing_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_bytes)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return CertFiles(cert_path, key_path, fingerprint)


def trust_instructions(files: CertFiles, url: str) -> str:
    return f"""\
Wrote {files.cert} and {files.key} (keep the key private).
SHA-256 fingerprint: {files.sha256}
(compare it with what the browser shows before trusting the certificate)

Serve it:
  PENDOPO_TLS_CERT={files.cert} PENDOPO_TLS_KEY={files.key} \\
  PENDOPO_SECURE_COOKIES=true pendopo run --host 0.0.0.0 --port 8443
  (or point nginx's ssl_certificate / ssl_certificate_key at them: docs/security.md)

Trust it on each PC (copy cert.pem there, never key.pem):
  Windows (Chrome, Edge):   certutil -addstore -f Root cert.pem      (as administrator)
  Debian/Ubuntu (Chromium): certutil -d sql:$HOME/.pki/nssdb -A -t "P,," -n pendopo -i cert.pem
                            (package libnss3-tools)
  Firefox (any system):     Settings > Privacy & Security > Certificates > View Certificates >
                            Servers > Import cert.pem; or open {url} once and accept it after
                            checking the fingerprint above
  Android:                  Settings > Security > Encryption & credentials > Install a certificate
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name", action="append", default=[], help="DNS name of the server (repeatable)"
    )
    parser.add_argument(
        "--ip", action="append", default=[], help="IP address of the server (repeatable)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: <data_dir>/tls)"
    )
    parser.add_argument("--days", type=int, default=VALID_DAYS, help="validity in days")


@command("make-cert", "write a self-signed TLS certificate for the LAN", _arguments)
def make_cert(settings: Settings, args: argparse.Namespace) -> int:
    out = args.out or settings.data_dir / "tls"
    try:
        files = make_self_signed(args.name, args.ip, out, days=args.days)
    except ValueError as exc:
        print(f"pendopo make-cert: {exc}")
        return 2
    first = args.name[0] if args.name else args.ip[0]
    host = f"[{first}]" if ":" in first else first
    print(trust_instructions(files, f"https://{host}:8443/"), end="")
    return 0
