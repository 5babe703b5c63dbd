"""Key material for tests, made with `cryptography`: app certificates (PEM, encrypted PEM, PFX)
and a workload identity issuer that signs federated tokens."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


# ------------------------------------------------------------------------------ certificates
@dataclass
class Cert:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self, password: str | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def write_pem(self, path: Path, password: str | None = None) -> Path:
        path.write_bytes(self.key_pem(password) + self.cert_pem.encode())
        return path

    def write_pfx(self, path: Path, password: str) -> Path:
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"deployer",
                self.key,
                self.cert,
                None,
                serialization.BestAvailableEncryption(password.encode()),
            )
        )
        return path


def make_cert(valid_days: tuple[int, int] = (-1, 30)) -> Cert:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-crosstenant deployer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=valid_days[0]))
        .not_valid_after(now + dt.timedelta(days=valid_days[1]))
        .sign(key, hashes.SHA256())
    )
    return Cert(key, cert)


# ---------------------------------------------------------------------- a federated issuer
@dataclass
class Issuer:
    """A workload identity issuer (think Kubernetes): its keys and the tokens it signs."""

    url: str
    key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def new(cls, url: str = "https://oidc.cluster.test") -> Issuer:
        return cls(url, rsa.generate_private_key(public_exponent=65537, key_size=2048), "k1")

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(
        self, subject: str, *, lifetime: int = 600, audience: str = "api://AzureADTokenExchange"
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now - (0 if lifetime > 0 else 1200),
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
