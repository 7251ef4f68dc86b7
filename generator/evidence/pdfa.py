"""The dossier's printed PDFs made fit for an electronic archive: PDF/A-2b, tagged.

Thông tư 02/2019/TT-BNV asks electronic records kept in an archive to be PDF/A. Chromium
prints a tagged PDF (``page.pdf(tagged=True)``: a structure tree, MarkInfo) with every font
embedded as a subset, but with no XMP metadata, no output intent and no document language.
:func:`make_pdfa` adds those with pikepdf, and :func:`problems` checks the rules a reader of
the archive relies on (the checks the tests run on every PDF of a dossier).

What is checked here is a subset of ISO 19005-2, not a full validation (veraPDF is the
reference validator; it is not a Python or npm package). The files claim conformance level B
(visual appearance), the level these checks support; the structure tree and the Unicode
mapping of every font are there as well, but levels A and U are not claimed without a full
validator.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name, Pdf
from pikepdf.models.metadata import PdfMetadata, decode_pdf_date

from generator.core.errors import CongkhaiError

PART = "2"
CONFORMANCE = "B"
LANGUAGE = "vi"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
SRGB_PROFILE = Path(pikepdf.__file__).with_name("pdfa") / "data" / "sRGB.icc"
"""The sRGB ICC profile pikepdf ships (the output intent's destination profile)."""
FORBIDDEN_ACTIONS = ("/JavaScript", "/Launch", "/ImportData", "/ResetForm", "/SubmitForm", "/Sound", "/Movie")


def make_pdfa(path: Path, title: str, language: str = LANGUAGE) -> None:
    """Rewrite the PDF at ``path`` (as Chromium printed it) as PDF/A-2b: XMP metadata in step
    with the Info dictionary, an sRGB output intent, the document language, MarkInfo."""
    try:
        _rewrite(path, title, language)
    except pikepdf.PdfError as exc:
        raise CongkhaiError(f"{path.name}: không chuyển được sang PDF/A ({exc})") from None


def _rewrite(path: Path, title: str, language: str) -> None:
    with Pdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Lang = pikepdf.String(language)
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        preferences = pdf.Root.get("/ViewerPreferences", Dictionary())
        preferences.DisplayDocTitle = True
        pdf.Root.ViewerPreferences = preferences
        pdf.Root.OutputIntents = pikepdf.Array([_output_intent(pdf)])
        info = pdf.docinfo
        info.Title = pikepdf.String(title)
        now = _pdf_date(dt.datetime.now(dt.UTC))
        info.CreationDate = info.get("/CreationDate", pikepdf.String(now))
        info.ModDate = pikepdf.String(now)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(info)
            meta["pdfaid:part"] = PART
            meta["pdfaid:conformance"] = CONFORMANCE
            meta["dc:title"] = title
            meta["dc:language"] = [language]
        pdf.save(path, min_version="1.7", fix_metadata_version=False)


def _output_intent(pdf: Pdf) -> Dictionary:
    profile = pdf.make_stream(SRGB_PROFILE.read_bytes())
    profile.N = 3
    return Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION),
        Info=pikepdf.String(OUTPUT_CONDITION),
        DestOutputProfile=profile,
    )


def _pdf_date(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def problems(path: Path) -> list[str]:
    """What keeps the PDF at ``path`` from being the archive copy :func:`make_pdfa` makes
    (empty: none found). Checks: XMP ``pdfaid`` part and conformance, the XMP and Info dates
    and title agree, an output intent ``GTS_PDFA1`` with an ICC profile, ``/Lang``, a structure
    tree and MarkInfo, every font embedded (descendant fonts too), no encryption, no
    JavaScript or other forbidden action."""
    found: list[str] = []
    with Pdf.open(path) as pdf:
        if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
            found.append("mã hóa (/Encrypt)")
        root = pdf.Root
        meta = pdf.open_metadata()
        if meta.get("pdfaid:part") != PART or meta.get("pdfaid:conformance") != CONFORMANCE:
            found.append(f"XMP pdfaid: part {meta.get('pdfaid:part')}, conformance {meta.get('pdfaid:conformance')}")
        if "/Metadata" in root and "/Filter" in root.Metadata:
            found.append("luồng XMP bị nén")
        found += _info_agrees(pdf, meta)
        intents = [i for i in root.get("/OutputIntents", []) if i.get("/S") == Name.GTS_PDFA1]
        if not intents or "/DestOutputProfile" not in intents[0]:
            found.append("không có OutputIntent GTS_PDFA1 với hồ sơ màu ICC")
        if not str(root.get("/Lang", "")):
            found.append("không khai báo ngôn ngữ (/Lang)")
        if "/StructTreeRoot" not in root:
            found.append("không có cây cấu trúc (StructTreeRoot): PDF không được gắn thẻ")
        if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
            found.append("MarkInfo /Marked không phải true")
        if "/JavaScript" in root.get("/Names", {}) or ("/OpenAction" in root and _bad_action(root.OpenAction)):
            found.append("có JavaScript")
        for number, page in enumerate(pdf.pages, start=1):
            found += [f"trang {number}: {p}" for p in _page_problems(page)]
    return sorted(set(found))


def _info_agrees(pdf: Pdf, meta: PdfMetadata) -> list[str]:
    info = pdf.docinfo
    found = []
    if str(info.get("/Title", "")) != str(meta.get("dc:title", "")):
        found.append("tiêu đề trong Info và XMP khác nhau")
    for key, xmp in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        if key not in info or xmp not in meta:
            found.append(f"thiếu {key} hoặc {xmp}")
            continue
        said = decode_pdf_date(str(info[key]))
        if said != dt.datetime.fromisoformat(str(meta[xmp])):
            found.append(f"{key} ({said.isoformat()}) khác {xmp} ({meta[xmp]})")
    return found


def _page_problems(page: pikepdf.Page) -> list[str]:
    found = []
    fonts = page.obj.get("/Resources", {}).get("/Font", {})
    for name, font in fonts.items():
        for each in [font, *font.get("/DescendantFonts", [])]:
            if each.get("/Subtype") in (Name.Type0, Name.Type3):
                continue
            descriptor = each.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                found.append(f"phông {name} ({each.get('/BaseFont')}) không được nhúng")
    for annotation in page.obj.get("/Annots", []):
        if not int(annotation.get("/F", 0)) & 4:
            found.append(f"chú thích {annotation.get('/Subtype')} không có cờ Print")
        if _bad_action(annotation.get("/A")):
            found.append("chú thích có hành động bị cấm (JavaScript, Launch…)")
    return found


def _bad_action(action: object) -> bool:
    return isinstance(action, Dictionary) and str(action.get("/S", "")) in FORBIDDEN_ACTIONS
