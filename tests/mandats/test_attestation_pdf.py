"""The attestation PDF read back as a person and a phone would: one A4 page even
with the ten démarches, its text selectable, tagged for assistive technology
(PDF/UA), and a QR code that a barcode reader decodes to the verification page.

The page is rendered to an image with poppler's pdftoppm (Debian poppler-utils,
installed by .ci/run) and decoded with zxing-cpp, as a phone's camera would."""

import io
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from aidants.demarches import Demarche
from tests.mandats.test_attestation import signed

A4_POINTS = (595, 842)


def rendered(pdf: bytes, dpi: int = 150) -> Image.Image:
    """The first page as pixels (pdftoppm, as a printer or a viewer draws it)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    png = subprocess.run(  # noqa: S603 - fixed command, our own PDF on stdin
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png))


@pytest.fixture
def pdf(aidant_client, aidant, settings):
    settings.SITE_URL = "https://relais.example"
    mandat = signed(aidant, demarches=[d.value for d in Demarche])
    response = aidant_client.get(f"/mandats/{mandat.uuid}/attestation.pdf")
    assert response.status_code == 200
    return mandat, response.content


def test_pdf_with_ten_demarches_fits_on_one_a4_page(pdf):
    _, content = pdf
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == A4_POINTS


def test_pdf_text_is_selectable(pdf):
    mandat, content = pdf
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "Attestation de mandat" in text
    assert "Angela" in text and "DUBOIS" in text.upper()
    for demarche in Demarche:
        assert str(demarche.label) in text
    assert str(mandat.uuid) in text


def test_pdf_is_tagged_for_assistive_technology(pdf):
    _, content = pdf
    reader = PdfReader(io.BytesIO(content))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "fr"
    # PDF/UA-1 identification in the XMP metadata.
    assert b"pdfuaid:part" in catalog["/Metadata"].get_object().get_data()


def test_pdf_qr_code_decodes_to_the_verification_page(pdf):
    mandat, content = pdf
    codes = zxingcpp.read_barcodes(rendered(content))
    assert [code.format for code in codes] == [zxingcpp.BarcodeFormat.QRCode]
    url = urlsplit(codes[0].text)
    assert (url.scheme, url.netloc) == ("https", "relais.example")
    assert url.path == f"/verifier/{mandat.public_id}"
