"""A tiny PKI for the certificate tests, written with python3-cryptography.

One ECDSA CA issues every certificate: RSA and ECDSA server certificates,
certificates for SNI names, an expired one, one that expires in 5 days, and
a client certificate.  Each server file contains the leaf and then the CA, so
subtls can check the chain and OCSP responses.  OpenSSL 3.0's command line
cannot date a certificate or an OCSP response in the past, which is why
this is Python; the good OCSP response is still made with `openssl ocsp`,
as an operator's tooling would.
"""

import datetime
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
DAY = datetime.timedelta(days=1)


@dataclass
class Pair:
    """A certificate file (leaf, then the CA) and its key file."""
    certificate: Path
    key: Path
    subject: str          # the common name

    def lines(self) -> str:
        """Return the [tls] or [sni NAME] lines for this pair."""
        return f"certificate = {self.certificate}\nkey = {self.key}\n"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class TinyPki:
    """The CA and everything it issued, as files under directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("subtls test CA")).issuer_name(_name("subtls test CA"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY).not_valid_after(NOW + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False),
                critical=True)
            .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(self.ca_certificate.public_bytes(serialization.Encoding.PEM))
        self.ca_key_file = directory / "ca.key"
        self.ca_key_file.write_bytes(_pem_key(self.ca_key))
        self.issued = {}

    def issue(self, name: str, key_type: str = "ecdsa", days: int = 30,
              expired: bool = False, client: bool = False) -> Pair:
        """Issue a certificate for the DNS name (or client) name and write its files.

        Each name is issued once: fingerprint() and the OCSP responses look
        the certificate up by name.
        """
        key = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
               if key_type == "rsa" else ec.generate_private_key(ec.SECP256R1()))
        not_before, not_after = NOW - DAY, NOW + days * DAY
        if expired:
            not_before, not_after = NOW - 30 * DAY, NOW - DAY
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(self.ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if not client:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        certificate = builder.sign(self.ca_key, hashes.SHA256())
        self.issued[name] = certificate

        stem = f"{name}-{key_type}"
        pair = Pair(self.directory / f"{stem}.pem", self.directory / f"{stem}.key", name)
        chain = certificate.public_bytes(serialization.Encoding.PEM)
        if not client:
            chain += self.ca_certificate.public_bytes(serialization.Encoding.PEM)
        pair.certificate.write_bytes(chain)
        pair.key.write_bytes(_pem_key(key))
        return pair

    def fingerprint(self, name: str) -> str:
        """Return the SHA-256 fingerprint of the certificate issued for name, in hex."""
        return self.issued[name].fingerprint(hashes.SHA256()).hex()

    def openssl_ocsp_response(self, pair: Pair, output: Path) -> Path:
        """Write a good response for pair, valid for 2 days, made by `openssl ocsp`."""
        certificate = self.issued[pair.subject]
        index = self.directory / f"{pair.subject}.index"
        expiry = (NOW + 30 * DAY).strftime("%y%m%d%H%M%SZ")
        index.write_text(f"V\t{expiry}\t\t{certificate.serial_number:X}\tunknown\t"
                         f"/CN={pair.subject}\n")
        leaf = self.directory / f"{pair.subject}.leaf.pem"
        leaf.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        subprocess.run(
            ["openssl", "ocsp", "-index", str(index), "-rsigner", str(self.ca_file),
             "-rkey", str(self.ca_key_file), "-CA", str(self.ca_file),
             "-issuer", str(self.ca_file), "-cert", str(leaf), "-ndays", "2",
             "-respout", str(output)],
            check=True, capture_output=True, timeout=30)
        return output

    def stale_ocsp_response(self, pair: Pair, output: Path) -> Path:
        """Write a good response for pair whose nextUpdate passed yesterday."""
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(cert=self.issued[pair.subject], issuer=self.ca_certificate,
                          algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
                          this_update=NOW - 3 * DAY, next_update=NOW - DAY,
                          revocation_time=None, revocation_reason=None)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ca_certificate)
            .sign(self.ca_key, hashes.SHA256()))
        output.write_bytes(response.public_bytes(serialization.Encoding.DER))
        return output
