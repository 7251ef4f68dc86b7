#!/usr/bin/env python3
"""Build benchmark for congkhai: how check and build scale with the number of records.

For each size N it creates a fresh synthetic project (a minimal ``mkdocs.yml`` with the
same theme and plugins as the real one, ``content/index.md`` and N valid records spread
over the six categories and several years), then runs, each in its own subprocess::

    python -m generator -f <project>/mkdocs.yml check
    python -m generator -f <project>/mkdocs.yml build --site-dir <project>/site

and reports wall time, the child's peak resident memory, the size of the site, of one
record page (raw and gzip-compressed) and of the largest category index page.

Peak memory belongs to exactly one run: the sum, over the build process and every
process it starts (workers of a parallel build), of each one's peak resident memory
(``VmHWM``, read from ``/proc`` every 0.1 s while the run lasts), and never less than the
``ru_maxrss`` that ``os.wait4`` returns for that run (the largest single process).

With ``--publish``, each build is followed by a publish of a fresh copy of the project
into a fresh log (``publish --allow-sample --deploy-to <copy>/www``), then by a build of
that published copy (the same site, log and all: its proofs, the records' histories, the
log's pages), and two ratios are printed: publish / build (of the sources without a log,
so the publish also pays for the bigger site a log makes) and publish / the build of the
published copy (what publish adds to building the site it deploys); with ``--verify``, the last published copy is then verified,
``--repeat`` times each: ``verify --site <copy>/www`` and ``verify``.

Usage::

    python bench/build_bench.py --sizes 100,1000,5000 [--repeat 3] [--json out.json]
                                [--workdir DIR] [--keep] [--profile] [--publish] [--verify]

Standard library plus the project's own dependencies (PyYAML) only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE_URL = "https://congkhai.example.gov.vn/"
AGENCY = "Ban Quản lý Khu kinh tế tỉnh An Giang"
SHORT = "BQLKKT"
CATEGORIES = [
    "thu-tuc-hanh-chinh",
    "tai-chinh-ngan-sach",
    "tuyen-dung",
    "duong-day-nong",
    "tiep-cong-dan",
    "phong-chong-tham-nhung",
]
#: Share of the (N - 1) non-hotline records per category.
WEIGHTS = {
    "tiep-cong-dan": 0.30,
    "thu-tuc-hanh-chinh": 0.20,
    "tai-chinh-ngan-sach": 0.20,
    "tuyen-dung": 0.15,
    "phong-chong-tham-nhung": 0.15,
}
YEARS = list(range(2021, 2027))  # index pages group records by year
TODAY = dt.date.today()

MKDOCS_YML = f"""\
# Synthetic project written by bench/build_bench.py (same theme and plugins as the real site).
site_name: Công khai thông tin – {AGENCY}
site_url: {SITE_URL}
docs_dir: content
use_directory_urls: true
theme:
  name: material
  language: vi
  font: false
  palette:
    primary: indigo
  features:
    - navigation.top
plugins:
  - congkhai:
      disclosures_dir: disclosures
      log: publication-log.jsonl
      agency: {AGENCY}
      privacy_allow: ["0296 3800 000", "0296 3800 001", duongdaynong.bqlkkt@example.gov.vn]
markdown_extensions:
  - toc:
      permalink: false
  - tables
  - attr_list
  - admonition
"""

INDEX_MD = f"""\
# Công khai thông tin

Trang công khai thông tin của {AGENCY} (dữ liệu tổng hợp dùng để đo hiệu năng).

- Thủ tục hành chính, tài chính ngân sách, tuyển dụng.
- Tiếp công dân, đường dây nóng, phòng, chống tham nhũng.
"""

# --------------------------------------------------------------------------- data


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks (``|``), no anchors/aliases (records refuse them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)

UNITS = [
    "Văn phòng Ban",
    "Phòng Quản lý đầu tư",
    "Phòng Quản lý quy hoạch – xây dựng",
    "Phòng Quản lý lao động – môi trường",
    "Thanh tra Ban",
]
SIGNERS = ["Trưởng ban", "KT. Trưởng ban – Phó Trưởng ban", "Chánh Văn phòng"]
PLACES = [
    "Trụ sở Ban Quản lý Khu kinh tế, phòng tiếp công dân",
    "Văn phòng đại diện tại Khu kinh tế cửa khẩu Tịnh Biên",
]
CASES = [
    (
        "Kiến nghị về tiến độ cấp giấy phép xây dựng nhà xưởng trong khu công nghiệp",
        "Đã hướng dẫn bổ sung hồ sơ; chuyển Phòng Quản lý quy hoạch – xây dựng xem xét",
    ),
    (
        "Phản ánh việc chậm trả lương của một doanh nghiệp trong khu công nghiệp",
        "Chuyển Phòng Quản lý lao động kiểm tra, trả lời trong 15 ngày",
    ),
    ("Đề nghị giải thích quy định về giấy phép lao động cho người nước ngoài", "Đã giải thích trực tiếp tại buổi tiếp"),
    ("Khiếu nại về tiếng ồn của nhà máy gần khu dân cư", "Chuyển Phòng Quản lý môi trường phối hợp kiểm tra"),
]
TTHC = {
    "dau-tu": [
        "Cấp Giấy chứng nhận đăng ký đầu tư",
        "Điều chỉnh Giấy chứng nhận đăng ký đầu tư",
        "Chấm dứt hoạt động dự án đầu tư",
    ],
    "quy-hoach-xay-dung": [
        "Cấp giấy phép xây dựng công trình trong khu công nghiệp",
        "Thẩm định điều chỉnh quy hoạch chi tiết",
    ],
    "lao-dong": ["Cấp giấy phép lao động cho người lao động nước ngoài", "Đăng ký nội quy lao động"],
    "moi-truong": ["Cấp giấy phép môi trường", "Thẩm định báo cáo đánh giá tác động môi trường"],
    "doanh-nghiep": [
        "Cấp giấy chứng nhận xuất xứ hàng hóa ưu đãi",
        "Xác nhận hợp đồng thuê lại đất trong khu công nghiệp",
    ],
}
FIELDS_TTHC = {
    "dau-tu": "Đầu tư",
    "quy-hoach-xay-dung": "Quy hoạch, xây dựng",
    "lao-dong": "Lao động",
    "moi-truong": "Môi trường",
    "doanh-nghiep": "Doanh nghiệp",
}
TAI_CHINH = {
    "du-toan": "Công khai dự toán ngân sách năm {fy}",
    "thuc-hien": "Công khai tình hình thực hiện dự toán ngân sách {period} năm {fy}",
    "quyet-toan": "Công khai quyết toán ngân sách năm {fy}",
    "mua-sam": "Công khai kết quả mua sắm tài sản công năm {fy}",
}
PERIODS = {"Q1": "quý I", "Q2": "quý II", "Q3": "quý III", "Q4": "quý IV", "6T": "6 tháng", "nam": "cả năm"}
TUYEN_DUNG = {
    "thong-bao": "Thông báo tuyển dụng viên chức năm {y}",
    "ket-qua": "Thông báo kết quả tuyển dụng công chức năm {y}",
    "quy-hoach": "Quyết định phê duyệt quy hoạch cán bộ giai đoạn {y}–{y5}",
    "bo-nhiem": "Quyết định bổ nhiệm Phó Trưởng phòng Quản lý đầu tư năm {y}",
    "chuyen-doi-vi-tri": "Kế hoạch chuyển đổi vị trí công tác năm {y}",
}
PCTN = {
    "ke-hoach": ("Kế hoạch công tác phòng, chống tham nhũng năm {y}", "B1"),
    "bao-cao": ("Báo cáo kết quả công tác phòng, chống tham nhũng 6 tháng năm {y}", "B2"),
    "xung-dot-loi-ich": ("Báo cáo kiểm soát xung đột lợi ích năm {y}", "C1.2"),
    "huong-dan-doanh-nghiep": ("Hướng dẫn doanh nghiệp xây dựng văn hóa kinh doanh liêm chính năm {y}", "D3"),
}
DOC_CODE = {
    "thu-tuc-hanh-chinh": "QĐ",
    "tai-chinh-ngan-sach": "QĐ",
    "tuyen-dung": "TB",
    "duong-day-nong": "TB",
    "tiep-cong-dan": "TB",
    "phong-chong-tham-nhung": "KH",
}


def _body(rng: random.Random, title: str, index: int) -> str:
    paragraphs = [
        f"Thực hiện quy định về công khai thông tin, {AGENCY} công bố nội dung **{title.lower()}** "
        "để người dân, doanh nghiệp và cơ quan, tổ chức có liên quan theo dõi, giám sát.",
        "Nội dung chi tiết được niêm yết tại trụ sở Ban và đăng trên trang này trong thời hạn theo quy định. "
        "Mọi ý kiến góp ý, phản ánh xin gửi về Văn phòng Ban hoặc qua đường dây nóng.",
    ]
    if rng.random() < 0.5:
        paragraphs.append(
            "## Ghi chú\n\n"
            f"- Đây là bản ghi tổng hợp số {index}, dùng để đo hiệu năng dựng trang.\n"
            "- Số liệu và tên đơn vị chỉ mang tính minh họa."
        )
    return "\n\n".join(paragraphs) + "\n"


def _date_in(rng: random.Random, year: int, month: int | None = None) -> dt.date:
    last = dt.date(year, 12, 31) if year < TODAY.year else TODAY - dt.timedelta(days=1)
    if month is not None:
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        end = min(end, last)
    else:
        start, end = dt.date(year, 1, 1), last
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _document(number: int, category: str, date: dt.date, rng: random.Random) -> dict[str, Any]:
    return {
        "number": f"{number}/{DOC_CODE[category]}-{SHORT}",
        "date": date,
        "issuer": AGENCY,
        "signer": rng.choice(SIGNERS),
    }


def make_record(category: str, index: int, rng: random.Random) -> tuple[int, str, dict[str, Any]]:
    """One valid record: (year folder, file stem, data)."""
    year = YEARS[index % len(YEARS)]
    date = _date_in(rng, year)
    data: dict[str, Any] = {}
    if category == "thu-tuc-hanh-chinh":
        kind = rng.choice(list(TTHC))
        title = f"{rng.choice(TTHC[kind])} (bản {index})"
        data = {
            "title": title,
            "kind": kind,
            "summary": f"Trình tự, hồ sơ, thời hạn giải quyết thủ tục thuộc lĩnh vực {FIELDS_TTHC[kind].lower()}.",
            "document": _document(index, category, date, rng),
            "unit": rng.choice(UNITS),
            "code": f"1.{rng.randrange(1000, 9999):04d}{rng.randrange(10):d}",
            "field": FIELDS_TTHC[kind],
            "processing_time": f"{rng.choice([5, 10, 15, 30])} ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ",
            "fee": rng.choice(["Không", "500.000 đồng/hồ sơ", "Theo quy định của Bộ Tài chính"]),
            "dossier": [
                "Văn bản đề nghị theo mẫu",
                "Bản sao giấy tờ pháp lý của nhà đầu tư",
                "Báo cáo năng lực tài chính",
            ],
            "steps": ["Nộp hồ sơ tại Bộ phận một cửa hoặc trực tuyến", "Ban thẩm định hồ sơ", "Trả kết quả"],
            "legal_basis": ["Luật Đầu tư số 61/2020/QH14", "Nghị định số 31/2021/NĐ-CP"],
            "portal_url": "https://dichvucong.gov.vn/",
        }
    elif category == "tai-chinh-ngan-sach":
        kind = rng.choice(list(TAI_CHINH))
        period = rng.choice(list(PERIODS))
        title = TAI_CHINH[kind].format(fy=year, period=PERIODS[period]) + f" (bản {index})"
        data = {
            "title": title,
            "kind": kind,
            "summary": f"Số liệu ngân sách năm {year} của Ban, đơn vị tính: đồng.",
            "document": _document(index, category, date, rng),
            "unit": "Văn phòng Ban",
            "fiscal_year": year,
        }
        if kind == "thuc-hien":
            data["period"] = period
        data["approved"] = {"number": f"{rng.randrange(100, 3999)}/QĐ-UBND", "date": dt.date(year - 1, 12, 20)}
        data["amounts"] = [
            {"item": "Kinh phí thực hiện chế độ tự chủ", "amount": rng.randrange(1, 5000) * 1_000_000},
            {"item": "Kinh phí không thực hiện chế độ tự chủ", "amount": rng.randrange(1, 900) * 1_000_000},
            {"item": "Chi sự nghiệp kinh tế", "amount": rng.randrange(1, 2000) * 1_000_000},
            {"item": "Chi xúc tiến đầu tư", "amount": rng.randrange(1, 300) * 1_000_000},
        ]
    elif category == "tuyen-dung":
        kind = rng.choice(list(TUYEN_DUNG))
        title = TUYEN_DUNG[kind].format(y=year, y5=year + 5) + f" (bản {index})"
        data = {
            "title": title,
            "kind": kind,
            "summary": "Thông tin về công tác tổ chức cán bộ của Ban.",
            "document": _document(index, category, date, rng),
            "unit": "Văn phòng Ban",
        }
        if kind in ("thong-bao", "ket-qua"):
            data["positions"] = [
                {"title": "Chuyên viên quản lý đầu tư", "quota": rng.randrange(1, 4)},
                {"title": "Chuyên viên quản lý môi trường", "quota": rng.randrange(1, 3)},
            ]
            data["apply_from"] = date
            data["apply_until"] = date + dt.timedelta(days=30)
    elif category == "phong-chong-tham-nhung":
        kind = rng.choice(list(PCTN))
        pattern, criterion = PCTN[kind]
        title = pattern.format(y=year) + f" (bản {index})"
        data = {
            "title": title,
            "kind": kind,
            "summary": "Thông tin về công tác phòng, chống tham nhũng, tiêu cực của Ban.",
            "document": _document(index, category, date, rng),
            "unit": "Thanh tra Ban",
            "criterion": criterion,
        }
        if kind == "bao-cao":
            data["nil_report"] = rng.random() < 0.3
    elif category == "tiep-cong-dan":
        kind = "lich" if index % 2 == 0 else "bien-ban"
        month = rng.randrange(1, 13 if year < TODAY.year else TODAY.month + 1)
        if kind == "lich":
            title = f"Thông báo lịch tiếp công dân tháng {month}/{year} (bản {index})"
            days = sorted({_date_in(rng, year, month) for _ in range(2)})
            data = {
                "title": title,
                "kind": kind,
                "summary": f"Lịch tiếp công dân định kỳ của Trưởng ban trong tháng {month}/{year}.",
                "document": _document(index, category, dt.date(year, month, 1), rng),
                "unit": "Văn phòng Ban",
                "month": f"{year}-{month:02d}",
                "sessions": [
                    {"date": d, "start": "07:30", "end": "11:00", "place": rng.choice(PLACES), "host": "Trưởng ban"}
                    for d in days
                ],
            }
        else:
            session = _date_in(rng, year, month)
            title = f"Biên bản tiếp công dân ngày {session:%d/%m/%Y} (bản {index})"
            data = {
                "title": title,
                "kind": kind,
                "summary": "Kết quả buổi tiếp công dân định kỳ của Trưởng ban.",
                "document": _document(index, category, session, rng),
                "unit": "Văn phòng Ban",
                "session_date": session,
                "host": "Trưởng ban",
            }
            if rng.random() < 0.2:
                data["visitors"] = 0
                data["no_visitors"] = True
            else:
                cases = rng.sample(CASES, rng.randrange(1, 3))
                data["visitors"] = len(cases) + rng.randrange(0, 3)
                data["cases"] = [{"summary": s, "handling": h} for s, h in cases]
    else:
        raise ValueError(category)
    data["sample"] = True
    data["tags"] = ["dữ liệu tổng hợp", category.replace("-", " ")]
    data["body"] = _body(rng, data["title"], index)
    return year, f"{data['kind']}-{index:05d}", data


def hotline_record() -> dict[str, Any]:
    start = dt.date(TODAY.year, 1, 20)
    return {
        "title": "Đường dây nóng tiếp nhận phản ánh nhũng nhiễu, tham nhũng",
        "summary": "Số điện thoại, thư điện tử và địa chỉ tiếp nhận phản ánh về nhũng nhiễu, phiền hà, tham nhũng.",
        "document": {"number": f"05/TB-{SHORT}", "date": start, "issuer": AGENCY, "signer": SIGNERS[1]},
        "unit": "Văn phòng Ban",
        "valid_from": start,
        "phones": [
            {"number": "0296 3800 000", "label": "Đường dây nóng của Trưởng ban"},
            {"number": "0296 3800 001", "label": "Văn phòng Ban"},
        ],
        "emails": ["duongdaynong.bqlkkt@example.gov.vn"],
        "address": "Văn phòng Ban, trụ sở Ban Quản lý Khu kinh tế tỉnh An Giang",
        "hours": "Giờ hành chính, từ thứ Hai đến thứ Sáu",
        "sample": True,
        "body": "Người dân, doanh nghiệp phản ánh hành vi nhũng nhiễu qua các số điện thoại trên.\n\n"
        "Thông tin của người phản ánh được giữ bí mật.\n",
    }


def category_counts(n: int) -> dict[str, int]:
    """N records: one hotline, the rest by WEIGHTS (largest remainder)."""
    rest = max(n - 1, 0)
    raw = {c: rest * w for c, w in WEIGHTS.items()}
    counts = {c: int(v) for c, v in raw.items()}
    for c in sorted(raw, key=lambda c: raw[c] - counts[c], reverse=True)[: rest - sum(counts.values())]:
        counts[c] += 1
    counts["duong-day-nong"] = 1 if n else 0
    return counts


def make_project(project: Path, n: int, seed: int = 20260505) -> dict[str, Any]:
    """Write mkdocs.yml, content/index.md and N records; return facts about them."""
    if project.exists():
        shutil.rmtree(project)
    (project / "content").mkdir(parents=True)
    (project / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (project / "content" / "index.md").write_text(INDEX_MD, encoding="utf-8")
    counts = category_counts(n)
    disclosures = project / "disclosures"
    first: dict[str, str] = {}
    written = 0
    if counts["duong-day-nong"]:
        folder = disclosures / "duong-day-nong" / str(TODAY.year)
        folder.mkdir(parents=True)
        text = yaml.dump(hotline_record(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
        (folder / "duong-day-nong.yml").write_text(text, encoding="utf-8")
        first["duong-day-nong"] = f"duong-day-nong/{TODAY.year}/duong-day-nong/"
        written += 1
    for category in CATEGORIES:
        if category == "duong-day-nong":
            continue
        for index in range(1, counts[category] + 1):
            # one generator per record: record k of a category is the same for every N
            rng = random.Random(f"{seed}/{category}/{index}")
            year, stem, data = make_record(category, index, rng)
            folder = disclosures / category / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
            (folder / f"{stem}.yml").write_text(text, encoding="utf-8")
            first.setdefault(category, f"{category}/{year}/{stem}/")
            written += 1
    return {"records": written, "per_category": counts, "first_record_url": first}


# --------------------------------------------------------------------------- running


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (Linux ``/proc``; just ``pid`` elsewhere)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except OSError:
            continue
    return out


def _status_kib(pid: int, path: str, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/{path}") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class TreeMemory:
    """Every process of a run's tree seen so far, with the highest ``VmHWM`` read for each
    (sampled every 0.1 s from a thread): their sum is the run's peak memory, counted as if
    every process had its peak at the same moment (an upper bound of the real peak)."""

    def __init__(self, pid: int):
        self.pid, self.peaks, self._stop = pid, {}, threading.Event()
        self.enabled = os.path.isdir(f"/proc/{pid}")
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.enabled:
            self._thread.start()

    pss_kib = 0
    """The highest sum of the processes' proportional set sizes (``Pss``: a page shared by
    forked workers counted once in all) seen at one sample."""

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = 0
            for p in _tree(self.pid):
                kib = _status_kib(p, "status", "VmHWM:")
                if kib is not None and kib > self.peaks.get(p, 0):
                    self.peaks[p] = kib
                pss += _status_kib(p, "smaps_rollup", "Pss:") or 0
            self.pss_kib = max(self.pss_kib, pss)
            self._stop.wait(0.1)

    def stop(self) -> tuple[float | None, int]:
        """(sum of the peaks in MB, processes seen)."""
        self._stop.set()
        if self.enabled:
            self._thread.join()
        return (sum(self.peaks.values()) / 1024 if self.peaks else None), len(self.peaks)


def run_measured(argv: list[str], log: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``argv``; return wall time, exit code and the run's peak memory (MB): the sum
    over its processes (see :class:`TreeMemory`), at least the ``ru_maxrss`` of ``os.wait4``.

    Where ``os.wait4`` and ``/proc`` are missing, peak memory is reported as ``None``.
    """
    with log.open("wb") as out:
        start = time.perf_counter()
        # cwd: the project, not the caller's folder (``python -m`` puts the current folder
        # first on sys.path, which would shadow the generator snapshot when run from the repo)
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=CHILD_ENV, cwd=cwd or log.parent)
        tree = TreeMemory(proc.pid)
        peak_mb: float | None = None
        single_mb: float | None = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            summed, processes = tree.stop()
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss is KiB on Linux, bytes on macOS
            scale = 1 if sys.platform == "darwin" else 1024
            single_mb = usage.ru_maxrss * scale / 2**20
            peak_mb = max(single_mb, summed or 0)
        else:  # pragma: no cover
            proc.wait()
            wall = time.perf_counter() - start
            summed, processes = tree.stop()
            peak_mb = summed
    return {
        "seconds": wall,
        "peak_mb": peak_mb,
        "largest_process_mb": single_mb,
        "processes": processes,
        "peak_pss_mb": tree.pss_kib / 1024 if tree.pss_kib else None,
        "returncode": proc.returncode,
        "output": log.read_text("utf-8", "replace"),
    }


#: Where the children import ``generator`` from (see ``snapshot_generator``).
SOURCE = ROOT
CHILD_ENV: dict[str, str] | None = None


def snapshot_generator(workdir: Path) -> None:
    """Copy ``generator/`` once and make every child import the copy.

    The package is installed editable and may be edited while the benchmark runs; with
    the copy first on ``PYTHONPATH`` (the editable finder comes after the path finder)
    every size is measured against the same code.
    """
    global SOURCE, CHILD_ENV
    target = workdir / "_generator_snapshot"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "generator", target / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    SOURCE = target
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    CHILD_ENV = env


def generator_fingerprint() -> str:
    """sha256 of the generator's files that the children import, to tell versions apart."""
    digest = hashlib.sha256()
    for path in sorted((SOURCE / "generator").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(SOURCE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _fmt_mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def tree_size(folder: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            total += os.path.getsize(os.path.join(dirpath, name))
            files += 1
    return total, files


def measure_site(site: Path, facts: dict[str, Any]) -> dict[str, Any]:
    total, files = tree_size(site)
    out: dict[str, Any] = {"site_bytes": total, "site_files": files}
    url = facts["first_record_url"].get("tiep-cong-dan") or next(iter(facts["first_record_url"].values()), None)
    if url:
        page = site / url / "index.html"
        data = page.read_bytes() if page.is_file() else b""
        out["record_page"] = url
        out["record_html_bytes"] = len(data)
        out["record_gzip_bytes"] = len(gzip.compress(data, compresslevel=6)) if data else 0
    biggest = max(
        ((site / c / "index.html").stat().st_size, c) for c in CATEGORIES if (site / c / "index.html").is_file()
    )
    out["largest_index_bytes"], out["largest_index_category"] = biggest
    # any page, e.g. pages the generator adds that list every record
    pages = ((p.stat().st_size, p.relative_to(site).as_posix()) for p in site.rglob("*.html"))
    out["largest_page_bytes"], out["largest_page"] = max(pages)
    # congkhai's own search index (tim-kiem/chi-muc/): its total; one query reads a few files
    out["search_index_bytes"] = tree_size(site / "tim-kiem" / "chi-muc")[0] if (site / "tim-kiem").is_dir() else 0
    sitemap = site / "sitemap.xml"
    out["sitemap_bytes"] = sitemap.stat().st_size if sitemap.is_file() else 0
    return out


def fresh_copy(project: Path, target: Path) -> Path:
    """The project's sources (no site, no log) copied to ``target``, for a publish into a
    fresh log."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("mkdocs.yml", "content", "disclosures"):
        source = project / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


def run_publish(n: int, project: Path, attempt: int, repeat: int) -> dict[str, Any]:
    """``publish`` of a fresh copy of the project into a fresh log, deployed to ``<copy>/www``."""
    copy = fresh_copy(project, project.parent / f"n{n}-publish-{attempt + 1}")
    argv = [sys.executable, "-m", "generator", "-f", str(copy / "mkdocs.yml"), "publish", "--allow-sample"]
    run = run_measured([*argv, "--deploy-to", str(copy / "www")], copy.parent / f"n{n}-publish.log", cwd=copy)
    run["copy"] = copy
    print(
        f"   publish {attempt + 1}/{repeat}: {run['seconds']:.2f}s, {_fmt_mb(run['peak_mb'])} MB, exit {run['returncode']}",
        flush=True,
    )
    return run


def run_verify(n: int, copy: Path, repeat: int, result: dict[str, Any]) -> None:
    """``verify --site <copy>/www`` then ``verify``, ``repeat`` times each (medians)."""
    base = [sys.executable, "-m", "generator", "-f", str(copy / "mkdocs.yml"), "verify"]
    for label, extra in (("verify_site", ["--site", str(copy / "www")]), ("verify", [])):
        times = []
        for attempt in range(repeat):
            run = run_measured([*base, *extra], copy.parent / f"n{n}-{label}.log", cwd=copy)
            print(
                f"   {' '.join(['verify', *extra[:1]])} {attempt + 1}/{repeat}: {run['seconds']:.2f}s, "
                f"{_fmt_mb(run['peak_mb'])} MB, exit {run['returncode']}",
                flush=True,
            )
            if run["returncode"] != 0:
                result["error"] = f"{label} failed:\n" + run["output"][-4000:]
                print(result["error"], file=sys.stderr)
                return
            times.append(run["seconds"])
            result[f"{label}_peak_mb"] = max(result.get(f"{label}_peak_mb") or 0, run["peak_mb"] or 0)
        result[f"{label}_seconds"] = statistics.median(times)
        result[f"{label}_seconds_all"] = times


def bench_one(
    n: int, project: Path, repeat: int, profile: bool, publish: bool = False, verify: bool = False
) -> dict[str, Any]:
    print(f"\n== N = {n}: {project}", flush=True)
    t0 = time.perf_counter()
    facts = make_project(project, n)
    gen_seconds = time.perf_counter() - t0
    print(f"   wrote {facts['records']} records in {gen_seconds:.1f}s {facts['per_category']}", flush=True)
    config = str(project / "mkdocs.yml")
    site = project / "site"
    base = [sys.executable, "-m", "generator", "-f", config]
    fingerprint = generator_fingerprint()
    result: dict[str, Any] = {
        "n": n,
        "generator": fingerprint,
        "records": facts["records"],
        "per_category": facts["per_category"],
        "project": str(project),
    }

    shutil.rmtree(project / ".congkhai-cache", ignore_errors=True)  # check and build from nothing
    check = run_measured([*base, "check"], project / "check.log")
    print(f"   check: {check['seconds']:.2f}s, {_fmt_mb(check['peak_mb'])} MB, exit {check['returncode']}", flush=True)
    result["check_seconds"] = check["seconds"]
    result["check_peak_mb"] = check["peak_mb"]
    if check["returncode"] != 0:
        result["error"] = "check failed:\n" + check["output"][-4000:]
        print(result["error"], file=sys.stderr)
        return result

    times, peaks, warnings = [], [], []
    published: list[dict[str, Any]] = []
    for old in [site, *project.glob("site-*"), *project.parent.glob(f"n{n}-publish-*")]:
        shutil.rmtree(old, ignore_errors=True)
    for attempt in range(repeat):
        # each run writes a folder of its own: on a disk mounted with ``discard`` (this kind of
        # virtual machine) deleting the last run's output slows the next run's writes, more and
        # more run after run; the older folders are removed after the last run
        site = project / f"site-{attempt + 1}"
        shutil.rmtree(project / ".congkhai-cache", ignore_errors=True)  # no record cache of the check
        build = run_measured([*base, "build", "--site-dir", str(site)], project / "build.log")
        print(
            f"   build {attempt + 1}/{repeat}: {build['seconds']:.2f}s, {_fmt_mb(build['peak_mb'])} MB "
            f"(PSS {_fmt_mb(build['peak_pss_mb'])} MB, {build['processes']} processes), exit {build['returncode']}",
            flush=True,
        )
        if build["returncode"] != 0:
            result["error"] = "build failed:\n" + build["output"][-4000:]
            print(result["error"], file=sys.stderr)
            return result
        times.append(build["seconds"])
        peaks.append(build["peak_mb"])
        result["build_peak_pss_mb"] = max(result.get("build_peak_pss_mb") or 0, build["peak_pss_mb"] or 0)
        result["build_processes"] = max(result.get("build_processes", 0), build["processes"])
        warnings = [line for line in build["output"].splitlines() if line.startswith(("WARNING", "ERROR", "INFO"))]
        if publish or verify:  # right after the build, under the same load
            run = run_publish(n, project, attempt, repeat)
            if run["returncode"] != 0:
                result["error"] = "publish failed:\n" + run["output"][-4000:]
                print(result["error"], file=sys.stderr)
                return result
            published.append(run)
            # the same site built again, log and all: what publish adds to a build of what it deploys
            copy = run["copy"]
            logged = run_measured(
                [
                    sys.executable,
                    "-m",
                    "generator",
                    "-f",
                    str(copy / "mkdocs.yml"),
                    "build",
                    "--site-dir",
                    str(copy / "site"),
                ],
                copy.parent / f"n{n}-logged-build.log",
                cwd=copy,
            )
            print(f"   build of the published copy {attempt + 1}/{repeat}: {logged['seconds']:.2f}s", flush=True)
            if logged["returncode"] != 0:
                result["error"] = "build of the published copy failed:\n" + logged["output"][-4000:]
                print(result["error"], file=sys.stderr)
                return result
            run["logged_build_seconds"] = logged["seconds"]
    if published:
        result["publish_seconds"] = statistics.median(r["seconds"] for r in published)
        result["publish_seconds_all"] = [r["seconds"] for r in published]
        result["publish_peak_mb"] = max((r["peak_mb"] or 0) for r in published)
        result["publish_over_build"] = result["publish_seconds"] / statistics.median(times)
        result["publish_over_build_pairs"] = [r["seconds"] / t for r, t in zip(published, times, strict=True)]
        print(
            f"   publish / build: {result['publish_over_build']:.3f} (medians); per pair "
            + ", ".join(f"{x:.3f}" for x in result["publish_over_build_pairs"]),
            flush=True,
        )
        logged = [r["logged_build_seconds"] for r in published]
        result["logged_build_seconds"] = statistics.median(logged)
        result["logged_build_seconds_all"] = logged
        result["publish_over_logged_build"] = result["publish_seconds"] / result["logged_build_seconds"]
        result["publish_over_logged_build_pairs"] = [r["seconds"] / r["logged_build_seconds"] for r in published]
        print(
            f"   publish / build of the same logged site: {result['publish_over_logged_build']:.3f} (medians); "
            "per pair " + ", ".join(f"{x:.3f}" for x in result["publish_over_logged_build_pairs"]),
            flush=True,
        )
    if verify and published:
        run_verify(n, published[-1]["copy"], repeat, result)
    result["build_seconds"] = statistics.median(times)
    result["build_seconds_all"] = times
    result["build_peak_mb"] = max(p for p in peaks if p is not None) if any(p is not None for p in peaks) else None
    result["build_log"] = warnings
    for line in warnings:
        print(f"   log: {line}", flush=True)
    result.update(measure_site(site, facts))
    for older in [*project.glob("site-*"), *(r["copy"] for r in published[:-1])]:
        if older != site:
            shutil.rmtree(older, ignore_errors=True)
    if hasattr(os, "getloadavg"):  # other work on the machine makes times noisy
        result["loadavg_1min_after"] = os.getloadavg()[0]
    if generator_fingerprint() != fingerprint:
        result["generator_changed"] = True
        print("   WARNING: generator/ changed during these runs; figures mix two versions", flush=True)

    if profile:
        prof = project / "build.prof"
        shutil.rmtree(site, ignore_errors=True)
        argv = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(prof),
            "-m",
            "generator",
            "-f",
            config,
            "build",
            "--site-dir",
            str(site),
        ]
        run = run_measured(argv, project / "profile.log")
        print(f"   profiled build: {run['seconds']:.2f}s -> {prof}", flush=True)
        if prof.is_file():
            stats = pstats.Stats(str(prof))
            stats.sort_stats("cumulative").print_stats(15)
            result["profile"] = str(prof)
    return result


# --------------------------------------------------------------------------- report


def _mb(b: float) -> str:
    return f"{b / 2**20:.1f}"


def _kb(b: float) -> str:
    return f"{b / 1024:.1f}"


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, numbers right-aligned."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def machine() -> str:
    """Platform, Python, CPUs and the load average now (other work makes times noisy)."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU, load average {load}"


def publish_table(results: list[dict[str, Any]]) -> str:
    head = [
        "N",
        "build (s)",
        "publish (s)",
        "publish / build",
        "build of the published copy (s)",
        "publish / that build",
        "peak RSS publish (MB)",
        "verify --site (s)",
        "verify (s)",
        "peak RSS verify --site (MB)",
    ]

    def seconds(r: dict[str, Any], key: str) -> str:
        return f"{r[key]:.2f}" if key in r else "-"

    rows = [
        [
            str(r["n"]),
            seconds(r, "build_seconds"),
            seconds(r, "publish_seconds"),
            f"{r['publish_over_build']:.3f}" if "publish_over_build" in r else "-",
            seconds(r, "logged_build_seconds"),
            f"{r['publish_over_logged_build']:.3f}" if "publish_over_logged_build" in r else "-",
            _fmt_mb(r.get("publish_peak_mb")),
            seconds(r, "verify_site_seconds"),
            seconds(r, "verify_seconds"),
            _fmt_mb(r.get("verify_site_peak_mb")),
        ]
        for r in results
    ]
    return markdown_table(head, rows)


def table(results: list[dict[str, Any]]) -> str:
    head = [
        "N",
        "check (s)",
        "build (s)",
        "peak RSS build (MB)",
        "site (MB)",
        "files",
        "record page (KB)",
        "record page gzip (KB)",
        "largest index (KB)",
        "largest page (KB)",
        "search index (MB)",
    ]
    rows: list[list[str]] = []
    for r in results:
        if "error" in r and "build_seconds" not in r:
            rows.append([str(r["n"]), f"{r.get('check_seconds', 0):.2f}", "failed"] + [""] * (len(head) - 3))
            continue
        peak = _fmt_mb(r.get("build_peak_mb"))
        rows.append(
            [
                str(r["n"]) + (" *" if r.get("generator_changed") else ""),
                f"{r['check_seconds']:.2f}",
                f"{r['build_seconds']:.2f}",
                peak,
                _mb(r["site_bytes"]),
                str(r["site_files"]),
                _kb(r["record_html_bytes"]),
                _kb(r["record_gzip_bytes"]),
                f"{_kb(r['largest_index_bytes'])} ({r['largest_index_category']})",
                f"{_kb(r['largest_page_bytes'])} ({r['largest_page'].removesuffix('/index.html')})",
                _mb(r["search_index_bytes"]),
            ]
        )
    return markdown_table(head, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100,1000,5000", help="comma-separated record counts (default 100,1000,5000)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="builds per size; the median time is reported")
    parser.add_argument("--json", dest="json_file", help="write the figures as JSON to this file")
    parser.add_argument("--workdir", help="create the projects here (kept); default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    parser.add_argument(
        "--live",
        action="store_true",
        help="import generator/ from the working tree at each run (default: a copy taken at start)",
    )
    parser.add_argument("--profile", action="store_true", help="also run one build per size under cProfile (top 15)")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="after each build, publish a fresh copy into a fresh log; print publish / build",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="then verify the last published copy (verify --site, and verify), --repeat times each",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.replace(" ", ",").split(",") if s]
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas, e.g. 100,1000")
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("sizes and --repeat must be at least 1")

    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="congkhai-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.live:
        snapshot_generator(workdir)
    print(f"máy: {machine()}")
    print(f"generator {generator_fingerprint()} from {SOURCE / 'generator'}", flush=True)
    results = []
    try:
        for n in sizes:
            results.append(bench_one(n, workdir / f"n{n}", args.repeat, args.profile, args.publish, args.verify))
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif results:
            print(f"\nprojects kept in {workdir}")

    print()
    print(table(results))
    if any("publish_seconds" in r or "verify_site_seconds" in r for r in results):
        print()
        print(publish_table(results))
    if any(r.get("generator_changed") for r in results):
        print("* generator/ was edited during this size's runs: its figures mix two versions")
    print(
        f"\nrepeat={args.repeat} (median times); peak RSS = sum of the peaks of the run's processes "
        "(at least ru_maxrss of the run); gzip level 6;"
    )
    print(f"record page = first tiep-cong-dan record; {machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    if args.json_file:
        meta = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "repeat": args.repeat,
            "gzip_level": 6,
            "generator": generator_fingerprint(),
            "generator_source": str(SOURCE / "generator"),
        }
        Path(args.json_file).write_text(
            json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
