"""Client credentials with a certificate: PEM (certificate and key) or PFX (with a password).

The certificate is loaded with `cryptography` and checked here, so an expired certificate, a
wrong password or a key that does not match fail with a message that says which, instead of an
opaque AADSTS700027 from Entra.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from entra_crosstenant.auth._base import CredentialError
from entra_crosstenant.auth._confidential import ConfidentialCredential
from entra_crosstenant.settings import names_for

__all__ = ["CertificateCredential"]

_PATH = names_for("client_certificate_path")
EXPIRED_KEY_CODE = "AADSTS700027"
_PASSWORD = names_for("client_certificate_password")


class CertificateCredential(ConfidentialCredential):
    """An app authenticating with a certificate registered on it.

    Give `certificate_path` (PEM or PFX file) or `certificate_data` (the same content), and
    `password` for an encrypted key or a PFX.
    """

    kind = "certificate"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        certificate_path: str | None = None,
        certificate_data: bytes | str | None = None,
        password: str | None = None,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        if (certificate_path is None) == (certificate_data is None):
            raise ValueError("give exactly one of certificate_path and certificate_data")
        super().__init__(tenant_id, client_id, authority_host=authority_host, ca_bundle=ca_bundle)
        self.certificate_path = certificate_path
        self._data = (
            certificate_data.encode() if isinstance(certificate_data, str) else certificate_data
        )
        self._password = password

    def _secrets(self) -> tuple[str | None, ...]:
        return (self._password,)

    def _client_credential(self) -> dict[str, str]:
        key, cert = load_certificate(self._read(), self._password)
        check_validity(cert, self.client_id)
        # The public_certificate form makes msal sign PS256 with an x5t#S256 header (SHA-256),
        # which Entra accepts; the SHA-1 thumbprint form is deprecated.
        return {
            "private_key": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
            "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        }

    def _read(self) -> bytes:
        if self._data is not None:
            return self._data
        assert self.certificate_path is not None
        try:
            return Path(self.certificate_path).read_bytes()
        except OSError as exc:
            raise CredentialError(
                f"cannot read the client certificate file ({exc.strerror}); check {_PATH}"
            ) from None


def load_certificate(
    data: bytes, password: str | None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The RSA key and the certificate that belongs to it, from PEM or PFX bytes."""
    secret = password.encode() if password else None
    if b"-----BEGIN" in data:
        key = _rsa(_pem_key(data, secret))
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise CredentialError(
                f"the PEM file has a private key but no certificate; it must hold both ({_PATH})"
            ) from None
    else:
        try:
            pfx_key, pfx_cert, extra = pkcs12.load_key_and_certificates(data, secret)
        except ValueError:
            raise CredentialError(
                f"cannot open the certificate: not PEM, and not a PFX that opens with the given "
                f"password; check {_PATH} and {_PASSWORD}"
            ) from None
        if pfx_key is None:
            raise CredentialError(f"the PFX holds no private key; export it with the key ({_PATH})")
        key = _rsa(pfx_key)
        certs = [c for c in [pfx_cert, *extra] if c is not None]
    public = key.public_key().public_numbers()
    for cert in certs:
        cert_key = cert.public_key()
        if isinstance(cert_key, rsa.RSAPublicKey) and cert_key.public_numbers() == public:
            return key, cert
    raise CredentialError(f"no certificate in the file matches its private key ({_PATH})")


def _rsa(key: PrivateKeyTypes) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError(
            f"the certificate's key is {type(key).__name__.lstrip('_')}, but Entra client "
            f"assertions need an RSA key ({_PATH})"
        )
    return key


def _pem_key(data: bytes, secret: bytes | None) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(data, secret)
    except TypeError:
        # cryptography: "Password was not given but private key is encrypted", or the reverse.
        if secret is None:
            raise CredentialError(f"the private key is encrypted: set {_PASSWORD}") from None
        raise CredentialError(f"the private key is not encrypted: unset {_PASSWORD}") from None
    except ValueError:
        raise CredentialError(
            f"the PEM file holds no private key that opens (a certificate alone is not enough, "
            f"or the password is wrong); check {_PATH} and {_PASSWORD}"
        ) from None


def check_validity(cert: x509.Certificate, client_id: str, now: dt.datetime | None = None) -> None:
    """Refuse a certificate outside its validity period, naming which one it is."""
    now = now or dt.datetime.now(dt.UTC)
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - what the portal shows
    which = f"the client certificate {cert.subject.rfc4514_string()} (thumbprint {thumbprint})"
    # Entra refuses such a key with AADSTS700027; say so, but without sending anything.
    if cert.not_valid_after_utc <= now:
        raise CredentialError(
            f"{which} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC (refused here; "
            f"Entra would answer AADSTS700027): upload a new certificate to app {client_id} and "
            f"point {_PATH} at it",
            code=EXPIRED_KEY_CODE,
        )
    if cert.not_valid_before_utc > now:
        raise CredentialError(
            f"{which} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC "
            f"(refused here; Entra would answer AADSTS700027): check the clock, or use a "
            f"certificate that is valid now ({_PATH})",
            code=EXPIRED_KEY_CODE,
        )
