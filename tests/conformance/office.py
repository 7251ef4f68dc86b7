"""What a simulated office writes: records of a few categories and kinds with realistic
Vietnamese content (dates like 05/06/2026, amounts like 14.850.000.000 đồng, text pasted from
Word with U+00A0 in the prose), rendered as the YAML or Markdown files staff commit."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from hypothesis import strategies as st

NBSP = "\u00a0"

# (category, kind, file extension): the kinds the office publishes in the simulation
KINDS = [
    ("tai-chinh-ngan-sach", "thuc-hien", "yml"),
    ("tai-chinh-ngan-sach", "mua-sam", "yml"),
    ("phong-chong-tham-nhung", "bao-cao", "md"),
    ("tiep-cong-dan", "bien-ban", "md"),
]

TITLES = {
    "thuc-hien": "Công khai tình hình thực hiện dự toán ngân sách {period_text} năm 2026",
    "mua-sam": "Công khai kết quả mua sắm {thing}",
    "bao-cao": "Báo cáo công tác phòng, chống tham nhũng, tiêu cực {period_text} năm 2026",
    "bien-ban": "Biên bản tiếp công dân ngày {date}",
}
THINGS = ["thiết bị văn phòng", "máy vi tính và máy in", "xe ô tô chuyên dùng", "bàn ghế hội trường"]
PERIODS = [("Q1", "quý I"), ("Q2", "quý II"), ("Q3", "quý III"), ("6T", "6 tháng đầu năm")]
ITEMS = [
    "Kinh phí thực hiện chế độ tự chủ",
    "Kinh phí không thực hiện chế độ tự chủ",
    "Chi sự nghiệp kinh tế",
    "Chi xúc tiến đầu tư",
    "Máy vi tính để bàn (10 bộ)",
]
SENTENCES = [
    "Số liệu tính đến ngày {date}, theo số đã thanh toán qua Kho bạc Nhà nước.",
    "Tổng giá trị thực hiện là {amount} đồng, đã bao gồm thuế giá trị gia tăng.",
    "Kế hoạch được phê duyệt ngày {date}; tổng kinh phí {amount} đồng.",
    "Ban đã niêm yết công khai tại trụ sở từ ngày {date}, thời gian niêm yết 30 ngày.",
    "Chưa phát hiện hành vi tham nhũng, tiêu cực trong cơ quan, đơn vị.",
    "Các phòng, đơn vị trực thuộc đã quán triệt đến công chức, viên chức.",
]
REASONS = [
    "Văn bản đã được thay thế bằng văn bản mới.",
    "Công bố nhầm bản dự thảo; bản chính thức sẽ được đăng lại.",
    "Số liệu có sai sót, đang rà soát lại.",
]
NOTES = ["Cập nhật số liệu.", "Sửa lỗi chính tả.", "Bổ sung nội dung theo ý kiến của Thanh tra tỉnh."]


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def vn_amount(value: int) -> str:
    """14850000000 -> '14.850.000.000' (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


dates_2026 = st.dates(min_value=dt.date(2026, 1, 2), max_value=dt.date(2026, 11, 30))
amounts = st.integers(min_value=1, max_value=99_999).map(lambda n: n * 1_000_000)


@st.composite
def prose(draw, nbsp: bool) -> list[str]:
    """Two or three sentences with dates and amounts; with ``nbsp`` one of them pasted from
    Word (U+00A0 between a figure and its unit, or after "ngày")."""
    lines = []
    for template in draw(st.lists(st.sampled_from(SENTENCES), min_size=2, max_size=3, unique=True)):
        lines.append(template.format(date=vn_date(draw(dates_2026)), amount=vn_amount(draw(amounts))))
    if nbsp:
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        lines[at] = (
            line.replace(" đồng", NBSP + "đồng", 1) if " đồng" in line else line.replace("ngày ", "ngày" + NBSP, 1)
        )
        if NBSP not in lines[at]:
            lines[at] = lines[at].replace(", ", "," + NBSP, 1).replace(" ", NBSP, 1)
    return lines


@dataclass
class Record:
    """One record of the office, as the model knows it."""

    category: str
    kind: str
    ext: str
    slug: str
    title: str
    summary: str
    body: list[str]
    number: str
    date: dt.date
    amount: int
    attachments: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes
    withdrawn: tuple[dt.date, str] | None = None
    change_note: str | None = None
    sample: bool = True

    @property
    def id(self) -> str:
        return f"{self.category}/2026/{self.slug}"

    @property
    def path(self) -> str:
        return f"disclosures/{self.category}/2026/{self.slug}.{self.ext}"

    def attachment_path(self, name: str) -> str:
        return f"disclosures/{self.category}/2026/{name}"

    def text(self) -> str:
        q = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731 - a YAML double-quoted scalar
        head = [f"title: {q(self.title)}", f"kind: {self.kind}", f"summary: {q(self.summary)}"]
        head += ["document:", f"  number: {self.number}", f"  date: {vn_date(self.date)}", "  signer: Trưởng ban"]
        head.append("unit: Văn phòng Ban")
        if self.category == "tai-chinh-ngan-sach":
            head.append("fiscal_year: 2026")
            if self.kind == "thuc-hien":  # the period is a field of the execution reports only
                head.append(f"period: {PERIODS[self.date.month % 4][0]}")
            head += ["approved:", "  number: 3150/QĐ-UBND"]
            head += ["  date: 26/12/2025", "amounts:", f"  - item: {q(ITEMS[self.amount % len(ITEMS)])}"]
            head.append(f"    amount: {self.amount}")
        elif self.kind == "bao-cao":
            head += ["criterion: B1", "nil_report: false"]
        elif self.kind == "bien-ban":
            head += [f"session_date: {vn_date(self.date)}", "host: Trưởng ban", "visitors: 0", "no_visitors: true"]
        if self.attachments:
            head.append("attachments:")
            for name in self.attachments:
                head += [f"  - file: {name}", f"    title: {q('Văn bản kèm theo ' + name)}", "    kind: quyet-dinh"]
        if self.withdrawn:
            head.append(f"withdrawn: {{date: {vn_date(self.withdrawn[0])}, reason: {q(self.withdrawn[1])}}}")
        if self.change_note:
            head.append(f"change_note: {q(self.change_note)}")
        if self.sample:
            head.append("sample: true")
        if self.ext == "md":
            return "---\n" + "\n".join(head) + "\n---\n" + "\n\n".join(self.body) + "\n"
        return "\n".join(head) + "\nbody: |\n" + "\n\n".join("  " + line for line in self.body) + "\n"


@st.composite
def new_record(draw, serial: int, nbsp: bool, sample: bool) -> Record:
    category, kind, ext = draw(st.sampled_from(KINDS))
    day = draw(dates_2026)
    amount = draw(amounts)
    _code, period_text = draw(st.sampled_from(PERIODS))
    title = TITLES[kind].format(period_text=period_text, thing=draw(st.sampled_from(THINGS)), date=vn_date(day))
    summary = f"Ban công khai nội dung ban hành ngày {vn_date(day)}, tổng giá trị {vn_amount(amount)} đồng."
    if nbsp and draw(st.booleans()):
        summary = summary.replace(" đồng", NBSP + "đồng")
    attachments = {}
    if draw(st.booleans()):
        attachments[f"{kind}-{serial}-quyet-dinh.pdf"] = b"%PDF-1.4 ban chup " + str(serial).encode() + b"\n"
    return Record(
        category=category,
        kind=kind,
        ext=ext,
        slug=f"{kind}-{serial:03d}",
        title=title,
        summary=summary,
        body=draw(prose(nbsp)),
        number=f"{serial}/{'BC' if kind == 'bao-cao' else 'QĐ'}-BQLKKT",
        date=day,
        amount=amount,
        attachments=attachments,
        sample=sample,
    )
