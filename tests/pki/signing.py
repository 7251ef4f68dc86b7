"""A test PKI (certomancer, ``tests/pki/congkhai-pki.yml``) and PDFs signed with pyHanko's
signer, for the tests of :mod:`generator.records.signatures` and for the sample data
(``scripts/make_sample_signature``). Nothing here is mocked: the PDFs carry real PAdES
signatures (SubFilter ``ETSI.CAdES.detached``) over real certificates.

Certificates (labels of the config): ``root`` (the test root, "CHỈ ĐỂ THỬ"), ``signer`` and
``second`` (valid 2020-2100, issued by ``root``), ``expired`` (valid 2020 only, by
``root``), ``other-root`` and ``stranger`` (a root nobody configures, and a signer under it).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import warnings
from pathlib import Path

import pikepdf
from asn1crypto import pem
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # pyHanko imports DSA support
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

CONFIG = Path(__file__).with_name("congkhai-pki.yml")
KEYS = ("root", "signer", "second", "other-root")
ISSUER = {"signer": "root", "second": "root", "expired": "root", "stranger": "other-root"}


class TestPKI:
    """The architecture of ``congkhai-pki.yml`` with fresh keys written to ``directory``."""

    __test__ = False  # not a pytest class

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        for name in KEYS:
            key = ec.generate_private_key(ec.SECP256R1())
            (directory / f"{name}.key.pem").write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        config = CertomancerConfig.from_file(str(CONFIG), key_search_dir=str(directory))
        self.arch = config.get_pki_arch(ArchLabel("congkhai"))
        self.directory = directory

    def cert(self, label: str):
        return self.arch.get_cert(CertLabel(label))

    def pem(self, label: str) -> bytes:
        """The certificate ``label`` in PEM."""
        return pem.armor("CERTIFICATE", self.cert(label).dump())

    def write_root(self, path: Path, label: str = "root") -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.pem(label))
        return path

    def sign(self, pdf: bytes, label: str = "signer", field: str = "ChuKy1", timestamper=None) -> bytes:
        """``pdf`` signed (incremental update) with certificate ``label``, PAdES baseline."""
        key_label = {"expired": "signer", "stranger": "second"}.get(label, label)
        signer = signers.SimpleSigner(
            signing_cert=self.cert(label),
            signing_key=self.arch.key_set.get_private_key(KeyLabel(key_label)),
            cert_registry=SimpleCertificateStore.from_certs([self.cert(ISSUER[label])]),
        )
        meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
        out = io.BytesIO()

        def sign() -> None:
            signers.PdfSigner(meta, signer, timestamper=timestamper).sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
            )

        # pyHanko's sync API runs asyncio.run, refused inside the event loop a Playwright
        # session of an earlier test keeps in this thread: sign in a thread of its own
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(sign).result()
        return out.getvalue()


def make_pdf(text: str = "Quyet dinh cong khai (ban thu)") -> bytes:
    """A one-page PDF showing ``text`` (ASCII, Helvetica), written with pikepdf."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
    out = io.BytesIO()
    pdf.save(out, static_id=True, deterministic_id=True)
    return out.getvalue()


def modify_after_signing(signed: bytes, text: str = "Noi dung da bi sua sau khi ky") -> bytes:
    """``signed`` with an incremental update that replaces the page's content: the bytes the
    signature covers are unchanged, what a reader sees is not."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
