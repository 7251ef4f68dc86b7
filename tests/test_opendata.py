"""Open data: each public record's ``du-lieu.json`` beside its page and the DCAT-AP catalogue
(``danh-muc-thong-tin/dcat.json``), read back from a published site and compared with the
record files, the attachments on disk and the publication log as written."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from bs4 import BeautifulSoup

from generator.core.errors import CongkhaiError
from generator.website import pipeline
from tests.conftest import run_cli
from tests.servers import nginx
from tests.test_properties import settings_for

EXTRA = {
    # a category of the office's own with two private fields
    "disclosures/gop-y/_category.yml": """\
        title: Góp ý dự thảo
        order: "9"
        fields:
          author_contact: {type: email, label: Liên hệ người góp ý, private: true}
          note: {type: text, label: Ghi chú nội bộ, private: true}
          topic: {type: text, label: Chủ đề}
        """,
    "disclosures/gop-y/2026/gop-y-1.yml": """\
        title: Tổng hợp góp ý dự thảo quy chế
        topic: Quy chế tiếp công dân
        document: {date: 2026-03-02}
        author_contact: khong-hien.9921@example.org
        note: GHI-CHU-RIENG-9922
        """,
    "disclosures/tai-chinh-ngan-sach/2026/du-toan.yml": """\
        title: Công khai dự toán ngân sách năm 2026
        kind: du-toan
        fiscal_year: "2026"
        document: {number: 12/QĐ-BQLKKT, date: 15/01/2026}
        approved: {number: 10/QĐ-UBND, date: 2026-01-10}
        amounts:
          - {item: Chi thường xuyên, amount: "1.250.000.000"}
          - {item: Chi đầu tư, amount: "500000000"}
        """,
}
INTERNAL_MARKS = (
    "MẬT-NỘI-BỘ-7731",
    "99/BB-NOIBO-7731",
    "KHONG-CONG-KHAI-4412",
    "TOMTAT-NOIBO-5521",
    "niem-yet-ke-khai",
)
PRIVATE_MARKS = ("9921", "GHI-CHU-RIENG-9922", "Liên hệ người góp ý", "Ghi chú nội bộ", "author_contact")


@pytest.fixture
def published(make_project):
    """A small project published once; returns (project, deployed site)."""
    root = make_project(EXTRA)
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    return root, (root / "www").resolve()


def logged(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "publication-log.jsonl").read_text("utf-8").splitlines()]


def record_file(root: Path, key: str) -> tuple[dict, str | None]:
    """A record file's keys (front matter for ``.md``) and body, read with PyYAML."""
    category, _, rid = key.partition("/")
    folder = root / "disclosures" / category
    path = next(p for p in (folder / f"{rid}.yml", folder / f"{rid}.md") if p.is_file())
    text = path.read_text("utf-8")
    if path.suffix == ".md":
        _, head, body = text.split("---\n", 2)
        return yaml.safe_load(head), body
    return yaml.safe_load(text), None


def public_keys(root: Path) -> set[str]:
    return {r.key for r in pipeline.load(settings_for(root)).public_records}


def all_data(site: Path) -> dict[str, dict]:
    return {
        p.parent.relative_to(site).as_posix(): json.loads(p.read_text("utf-8"))
        for p in sorted(site.rglob("du-lieu.json"))
    }


def test_each_public_record_has_its_data_beside_its_page(published):
    root, site = published
    data = all_data(site)
    assert set(data) == public_keys(root)
    assert len(data) == 6  # BASE_FILES' four public records and the two above
    events = logged(root)
    for key, item in data.items():
        assert (site / key / "index.html").is_file()
        assert item["format"] == "congkhai-du-lieu/1"
        assert item["id"] == key
        assert item["url"] == f"https://congkhai.example.gov.vn/{key}/"
        assert item["data_url"] == f"https://congkhai.example.gov.vn/{key}/du-lieu.json"
        written, body = record_file(root, key)
        # every key of the file is there but the attachments, visibility and private fields
        shown = set(written) - {"attachments", "visibility", "author_contact", "note"}
        assert set(item["fields"]) == shown, key
        assert item["title"] == written["title"]
        assert item["body"] == (body.strip() if body else None)
        # the attachments: as on disk
        listed = written.get("attachments") or []
        assert [a["file"] for a in item["attachments"]] == [a["file"] for a in listed]
        for a in item["attachments"]:
            on_disk = (root / "disclosures" / key.rpartition("/")[0] / a["file"]).read_bytes()
            assert a["size"] == len(on_disk)
            assert a["sha256"] == hashlib.sha256(on_disk).hexdigest()
            assert (site / key / a["file"]).read_bytes() == on_disk
            assert a["url"] == f"https://congkhai.example.gov.vn/{key}/{a['file']}"
        # the log: the record's events, with their proofs and checkpoints on the site
        mine = [e for e in events if e["id"] == key]
        assert [(e["seq"], e["event"], e["at"], e["version"], e["content_sha256"], e["hash"]) for e in mine] == [
            (e["seq"], e["event"], e["at"], e["version"], e["content_sha256"], e["hash"])
            for e in item["publication"]["events"]
        ]
        publication = item["publication"]
        assert (publication["first_published"], publication["version"]) == (mine[0]["at"], mine[-1]["version"])
        for event in publication["events"]:
            for link in (event["proof"], event["checkpoint"]):
                rel = link.removeprefix("https://congkhai.example.gov.vn/")
                assert (site / rel).is_file(), link
            proof = (site / event["proof"].removeprefix("https://congkhai.example.gov.vn/")).read_text("ascii")
            assert proof.startswith("c2sp.org/tlog-proof@v1\n") and f"index {event['seq'] - 1}\n" in proof
        assert item["content_sha256"] == mine[-1]["content_sha256"]
        assert item["withdrawn"] is None


def test_typed_values_are_iso_text_and_amounts_are_numbers(published):
    _, site = published
    schedule = json.loads((site / "tiep-cong-dan/2026/lich-thang-05/du-lieu.json").read_text("utf-8"))
    fields = schedule["fields"]
    assert fields["document"] == {"number": "45/TB-BQLKKT", "date": "2026-05-05", "signer": "Trưởng ban"}
    assert fields["month"] == "2026-05"
    assert fields["sessions"] == [
        {"date": "2026-05-15", "start": "07:30", "end": "11:00", "place": "Trụ sở Ban", "host": "Trưởng ban"}
    ]
    assert schedule["kind"] == {"slug": "lich", "title": "Thông báo lịch tiếp công dân"}
    assert schedule["labels"]["sessions"] and schedule["sample"] is True
    [attachment] = schedule["attachments"]
    assert (attachment["media_type"], attachment["kind"], attachment["title"]) == (
        "application/pdf",
        "quyet-dinh",
        "Thông báo lịch (bản chụp)",
    )
    minutes = json.loads((site / "tiep-cong-dan/2026/bien-ban-thang-04/du-lieu.json").read_text("utf-8"))
    assert (minutes["fields"]["visitors"], minutes["fields"]["no_visitors"]) == (0, True)
    budget = json.loads((site / "tai-chinh-ngan-sach/2026/du-toan/du-lieu.json").read_text("utf-8"))
    assert budget["fields"]["amounts"] == [
        {"item": "Chi thường xuyên", "amount": 1250000000},
        {"item": "Chi đầu tư", "amount": 500000000},
    ]
    assert budget["fields"]["fiscal_year"] == 2026
    assert budget["fields"]["document"]["date"] == "2026-01-15"  # written 15/01/2026


def test_internal_records_and_private_fields_are_in_no_data_file(published):
    _, site = published
    for path in [*site.rglob("du-lieu.json"), site / "danh-muc-thong-tin/dcat.json"]:
        text = path.read_text("utf-8")
        for mark in (*INTERNAL_MARKS, *PRIVATE_MARKS):
            assert mark not in text, (mark, path)
    assert not (site / "phong-chong-tham-nhung/2026/niem-yet-ke-khai").exists()
    opinion = json.loads((site / "gop-y/2026/gop-y-1/du-lieu.json").read_text("utf-8"))
    assert opinion["fields"]["topic"] == "Quy chế tiếp công dân"


CONTEXT_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}


def jsonld_keys(node, context: dict) -> list[str]:
    """Keys of a JSON-LD node tree that are neither keywords nor compact IRIs of a prefix
    the context defines (they would be dropped on expansion)."""
    bad = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            prefix = key.partition(":")[0]
            if not key.startswith("@") and (":" not in key or not isinstance(context.get(prefix), str)):
                bad.append(key)
            if key == "@type":
                for t in value if isinstance(value, list) else [value]:
                    if t.partition(":")[0] not in context:
                        bad.append(t)
            bad += jsonld_keys(value, context)
    elif isinstance(node, list):
        for item in node:
            bad += jsonld_keys(item, context)
    return bad


def test_the_catalogue_is_dcat_json_ld_of_exactly_the_public_records(published):
    root, site = published
    catalogue = json.loads((site / "danh-muc-thong-tin/dcat.json").read_text("utf-8"))
    context = catalogue["@context"]
    for prefix, iri in CONTEXT_PREFIXES.items():
        assert context[prefix] == iri
    assert jsonld_keys(catalogue, context) == []
    assert catalogue["@type"] == "dcat:Catalog"
    assert catalogue["dct:publisher"]["foaf:name"] == "Ban Quản lý Khu kinh tế tỉnh An Giang"  # mkdocs.yml's agency
    assert catalogue["dct:language"].endswith("/vi")
    assert catalogue["dcat:contactPoint"]["@type"] == "vcard:Organization"
    datasets = catalogue["dcat:dataset"]
    log_set, records = datasets[0], datasets[1:]
    assert {d["dct:identifier"] for d in records} == public_keys(root)
    assert len(records) == len(public_keys(root))
    events = logged(root)
    instant = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
    themes = {c["@id"] for c in catalogue["dcat:themeTaxonomy"]["skos:hasTopConcept"]}
    for dataset in records:
        key = dataset["dct:identifier"]
        written, _ = record_file(root, key)
        mine = [e for e in events if e["id"] == key]
        assert dataset["@type"] == "dcat:Dataset"
        assert dataset["dct:title"] == written["title"]
        assert dataset["dct:description"]
        assert instant.match(dataset["dct:issued"]) and instant.match(dataset["dct:modified"])
        assert dataset["dct:issued"] == mine[0]["at"]  # the log's own times are the office's (+07:00)
        assert dataset["dcat:theme"] in themes
        assert dataset["dcat:theme"] == f"https://congkhai.example.gov.vn/{key.partition('/')[0]}/"
        assert dataset["dcat:keyword"]
        page, data, *files = dataset["dcat:distribution"]
        assert (page["dcat:accessURL"], page["dcat:mediaType"]) == (
            f"https://congkhai.example.gov.vn/{key}/",
            "https://www.iana.org/assignments/media-types/text/html",
        )
        assert (data["dcat:accessURL"], data["dcat:mediaType"]) == (
            f"https://congkhai.example.gov.vn/{key}/du-lieu.json",
            "https://www.iana.org/assignments/media-types/application/json",
        )
        assert len(files) == len(written.get("attachments") or [])
        for item in files:
            rel = item["dcat:downloadURL"].removeprefix("https://congkhai.example.gov.vn/")
            assert item["spdx:checksum"]["spdx:checksumValue"] == hashlib.sha256((site / rel).read_bytes()).hexdigest()
            assert item["dcat:byteSize"] == (site / rel).stat().st_size
    # the log, the feeds and the calendar: distributions of "Nhật ký công bố"
    assert log_set["dct:title"] == "Nhật ký công bố"
    assert (log_set["dct:issued"], log_set["dct:modified"]) == (events[0]["at"], events[-1]["at"])
    urls = {d["dcat:accessURL"].removeprefix("https://congkhai.example.gov.vn/") for d in log_set["dcat:distribution"]}
    for rel in (
        "nhat-ky-cong-khai/publication-log.jsonl",
        "nhat-ky-cong-khai/publication-log.csv",
        "nhat-ky-cong-khai/checkpoint",
        "atom.xml",
        "tiep-cong-dan/atom.xml",
        "tiep-cong-dan/lich.ics",
    ):
        assert rel in urls
    for rel in urls:
        assert (site / rel).is_file() or (site / rel / "index.html").is_file(), rel


def test_pages_link_their_data(published):
    _, site = published
    page = BeautifulSoup((site / "tiep-cong-dan/2026/lich-thang-05/index.html").read_text("utf-8"), "html.parser")
    [head] = page.select('head link[rel~="alternate"][type="application/json"]')
    assert head["href"] == "du-lieu.json"
    [link] = [a for a in page.select("article a") if a.get_text() == "Dữ liệu của bản ghi (JSON)"]
    assert link["href"] == "du-lieu.json"
    catalogue = BeautifulSoup((site / "danh-muc-thong-tin/index.html").read_text("utf-8"), "html.parser")
    [head] = catalogue.select('head link[rel~="alternate"][type="application/ld+json"]')
    assert head["href"] == "dcat.json"
    assert catalogue.select('article a[href="dcat.json"]')
    # never a bare rel="alternate": the theme would fetch a sitemap.xml beside the data
    assert not page.select('link[rel="alternate"]') and not catalogue.select('link[rel="alternate"]')


def test_a_withdrawn_record_keeps_its_data_with_the_withdrawal(published):
    root, _ = published
    path = root / "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
    path.write_text(
        path.read_text("utf-8") + "withdrawn:\n  date: 2026-06-01\n  reason: Lịch bị hủy do trùng lịch họp\n", "utf-8"
    )
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    site = (root / "www").resolve()
    item = json.loads((site / "tiep-cong-dan/2026/lich-thang-05/du-lieu.json").read_text("utf-8"))
    assert item["withdrawn"] == {"date": "2026-06-01", "reason": "Lịch bị hủy do trùng lịch họp"}
    assert [e["event"] for e in item["publication"]["events"]] == ["published", "withdrawn"]
    assert item["publication"]["events"][-1]["reason"] == "Lịch bị hủy do trùng lịch họp"
    catalogue = json.loads((site / "danh-muc-thong-tin/dcat.json").read_text("utf-8"))
    [dataset] = [d for d in catalogue["dcat:dataset"] if d["dct:identifier"] == "tiep-cong-dan/2026/lich-thang-05"]
    assert dataset["adms:status"] == "http://purl.org/adms/status/Withdrawn"
    assert dataset["dct:description"].startswith("Đã thu hồi: Lịch bị hủy do trùng lịch họp")
    assert dataset["dct:modified"] == item["publication"]["last_updated"]


def test_the_data_is_the_same_on_every_rebuild(published):
    root, site = published
    for n in (1, 2):
        result = run_cli(root, "build", "--site-dir", str(root / f"again-{n}"))
        assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(site) for p in [*site.rglob("du-lieu.json"), site / "danh-muc-thong-tin/dcat.json"])
    assert len(names) == 7
    for name in names:
        assert (
            (root / "again-1" / name).read_bytes()
            == (root / "again-2" / name).read_bytes()
            == (site / name).read_bytes()
        )


def test_the_privacy_scan_reads_the_data_as_it_reads_the_page(published):
    """A personal ID number in a public field (as a record that slipped past the check, or
    an edit on the server would leave it) is found in the JSON as in the HTML."""
    root, site = published
    summary = "Trưởng ban tiếp công dân ngày 15/5/2026."
    for rel in ("tiep-cong-dan/2026/lich-thang-05/index.html", "tiep-cong-dan/2026/lich-thang-05/du-lieu.json"):
        path = site / rel
        text = path.read_text("utf-8")
        assert summary in text
        path.write_text(text.replace(summary, summary + " Người liên hệ CCCD 079203001234."), "utf-8")
    with pytest.raises(CongkhaiError) as caught:
        pipeline.scan(site, settings_for(root), delete=False)
    where = {p.path.rpartition("/")[2] for p in caught.value.problems}
    assert where == {"index.html", "du-lieu.json"}
    assert all("079203001234" not in str(p) for p in caught.value.problems)  # shown masked


def test_nginx_serves_the_data_as_json_with_the_pages_headers(published, tmp_path):
    _, site = published
    with nginx(site, tmp_path / "nginx") as base, httpx.Client(base_url=base) as client:
        page = client.get("tiep-cong-dan/2026/lich-thang-05/")
        assert page.status_code == 200
        for rel in ("tiep-cong-dan/2026/lich-thang-05/du-lieu.json", "danh-muc-thong-tin/dcat.json"):
            response = client.get(rel, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            assert response.headers["content-encoding"] == "gzip"
            assert response.json() == json.loads((site / rel).read_text("utf-8"))
            for header in (
                "content-security-policy",
                "x-content-type-options",
                "referrer-policy",
                "x-frame-options",
                "cross-origin-resource-policy",
                "cache-control",
            ):
                assert response.headers[header] == page.headers[header], header
            assert "content-disposition" not in response.headers


def test_the_catalogue_expands_as_json_ld_with_a_processor_nobody_here_wrote(published):
    """PyLD (the JSON-LD 1.1 processor of the W3C's Digital Bazaar implementation) expands the
    catalogue offline: every term resolves to the DCAT, DCTERMS, FOAF and vCard IRIs, so the
    catalogue says what a DCAT-AP harvester will read."""
    from pyld import jsonld

    def offline(url, options=None):
        raise jsonld.JsonLdError(f"no network in this test: {url}", "loading document failed")

    _, site = published
    catalogue = json.loads((site / "danh-muc-thong-tin/dcat.json").read_text("utf-8"))
    expanded = jsonld.expand(catalogue, {"documentLoader": offline})
    (top,) = expanded
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    assert top["@type"] == [f"{dcat}Catalog"]
    datasets = top[f"{dcat}dataset"]
    assert len(datasets) == len(catalogue["dcat:dataset"])
    for node in datasets:
        assert node["@type"] == [f"{dcat}Dataset"]
        assert node[f"{dct}title"][0]["@value"]
        assert node[f"{dct}title"][0].get("@language") == "vi"
        for distribution in node[f"{dcat}distribution"]:
            assert distribution["@type"] == [f"{dcat}Distribution"]
            urls = distribution.get(f"{dcat}accessURL", []) + distribution.get(f"{dcat}downloadURL", [])
            assert urls and all(u["@id"].startswith("https://congkhai.example.gov.vn/") for u in urls)
    issued = datasets[1][f"{dct}issued"][0]
    assert issued["@type"] == "http://www.w3.org/2001/XMLSchema#dateTime"

    # nothing was left unexpanded: no compact IRI or bare term survives as a key
    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert all(k.startswith(("@", "http://", "https://")) for k in keys(expanded))
