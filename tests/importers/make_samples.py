"""Write the sample bank statements under tests/importers/samples/ (run to regenerate them).

    .venv/bin/python -m tests.importers.make_samples [DIRECTORY]

Each sample copies one bank's real corporate (对公) layout from docs/rules.md §6: its
preamble, header, cell quirks and trailer. All figures are invented; the ICBC and CCB demand
accounts are the demo registry's, so statements of the demo books can be matched. The expected
parse of each sample sits beside it as `<sample>.expected.json`, and its golden import as
`<sample>.beancount` (both written by the golden tests with XT_REGEN_GOLDEN=1 and reviewed by
hand). The other statements in samples/ (`tests.helpers.GOLDEN_INPUTS`) are test_import.py's.

The large-statement writers (`write_large_icbc_csv`, `write_large_ccb_xls`) serve the speed
measurement and the multi-sheet test; they write to a path given by the caller.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"

CENTRE = "湘潭市物业专项维修资金管理中心"
ICBC_ACCOUNT = "1904021109200088821"  # demo registry: ICBC demand account
CCB_ACCOUNT = "43050163620800001234"  # demo registry: CCB demand account
ICBC_OTHER_ACCOUNT = "1904021129000123456"  # invented, like every account below
BOC_ACCOUNT = "601357924680"
ABC_ACCOUNT = "18545601040001234"
ABC_SPLIT_ACCOUNT = "18545601040005678"
RCB_ACCOUNT = "82010000000345678901"
BOCOM_ACCOUNT = "431899991010003012345"

DEVELOPER = (
    "湘潭某房地产开发有限公司",
    "43001550061052512345",
    "中国建设银行湘潭分行",
    "105553000017",
)
DEVELOPER2 = (
    "湘潭九华某置业有限公司",
    "1904020309024567890",
    "中国工商银行湘潭九华支行",
    "102553000321",
)
OWNER = ("张䶮", "6222021904001234567", "中国工商银行湘潭分行", "102553000010")  # 䶮: GB18030 only
OWNER2 = ("李𠮷", "6217002940001234567", "中国建设银行湘潭分行", "105553000017")  # 𠮷: 4-byte
INSURER = (
    "湘潭某财产保险股份有限公司",
    "43001510061052500999",
    "中国建设银行湘潭岳塘支行",
    "105553000544",
)
TIME_DEPOSIT = (CENTRE, "1904021114000012345", "中国工商银行湘潭分行", "102553000010")


@dataclass(frozen=True)
class Event:
    when: dt.datetime
    amount: Decimal  # + in, − out
    party: tuple[str, str, str, str] | None  # name, account, bank name, bank code
    summary: str  # 摘要
    purpose: str  # 用途 / 附言
    serial: str


@dataclass(frozen=True)
class Line:
    event: Event
    balance: Decimal


def run(opening: str, events: Sequence[Event]) -> list[Line]:
    balance = Decimal(opening)
    lines = []
    for event in events:
        balance += event.amount
        lines.append(Line(event, balance))
    return lines


def ev(
    when: str,
    amount: str,
    party: tuple[str, str, str, str] | None,
    summary: str,
    purpose: str,
    serial: str,
) -> Event:
    return Event(dt.datetime.fromisoformat(when), Decimal(amount), party, summary, purpose, serial)


def money(value: Decimal, *, grouped: bool = True, sign: bool = False) -> str:
    text = f"{abs(value):,.2f}" if grouped else f"{abs(value):.2f}"
    if value < 0:
        return "-" + text
    return ("+" + text) if sign else text


def pad(text: str, width: int = 20) -> str:
    """ICBC's text padding: spaces to a width, then a tab."""
    return f"{text:<{width}}\t"


def csv_line(cells: Iterable[str], delimiter: str = ",") -> str:
    out = []
    for cell in cells:
        if any(ch in cell for ch in ',"\n\t') and delimiter == ",":
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return delimiter.join(out)


# --- ICBC: [HISTORYDETAIL] CSV, GB18030, tab-padded cells, 人民币合计 --------------------------


def icbc_events() -> list[Event]:
    return [
        ev(
            "2025-01-03 09:15:22",
            "1200000.00",
            DEVELOPER,
            "转账",
            "交存维修资金 缴款通知书编号N2025-0001",
            "0010100001",
        ),
        ev(
            "2025-01-03 14:02:10",
            "3240.28",
            OWNER,
            "个人交存",
            "缴款通知书编号N2025-0002",
            "0010100002",
        ),
        ev(
            "2025-01-10 10:00:00",
            "-500000.00",
            TIME_DEPOSIT,
            "转定期",
            "一年期定期存款",
            "0010100003",
        ),
        ev(
            "2025-02-14 16:30:05",
            "-86400.00",
            INSURER,
            "网银转账",
            "电梯保险保费 T2024-01",
            "0010100004",
        ),
        ev("2025-02-14 16:45:00", "-12.50", None, "手续费", "", "0010100005"),
        ev(
            "2025-03-05 11:11:11",
            "500.00",
            OWNER2,
            "个人交存",
            "缴款通知书编号N2025-0003",
            "0010100006",
        ),
        ev("2025-03-21 02:00:00", "12345.67", None, "结息", "2025年一季度活期利息", "0010100007"),
    ]


def write_icbc_csv(path: Path) -> None:
    lines = run("8765432.10", icbc_events())
    text: list[str] = ["[HISTORYDETAIL]"]
    text.append(csv_line(["账号：", pad(ICBC_ACCOUNT)]))
    text.append(csv_line(["户名：", pad(CENTRE)]))
    text.append(csv_line(["币种：", pad("人民币")]))
    text.append(csv_line(["起止日期：", pad("20250101-20250331")]))
    text.append("")
    header = [
        "凭证号",
        "本方账号",
        "对方账号",
        "交易时间",
        "借贷标识",
        "借方发生额",
        "贷方发生额",
        "对方行号",
        "摘要",
        "用途",
        "对方单位名称",
        "余额",
        "个性化信息",
    ]
    text.append(",".join(header))
    total_in = total_out = Decimal(0)
    for line in lines:
        e = line.event
        name, account, _bank, code = e.party or ("", "", "", "")
        debit = money(-e.amount) if e.amount < 0 else ""
        credit = money(e.amount) if e.amount > 0 else ""
        total_in += max(e.amount, Decimal(0))
        total_out += max(-e.amount, Decimal(0))
        cells = [
            pad(e.serial, 12),
            pad(ICBC_ACCOUNT),
            pad(account) if account else "",
            pad(e.when.strftime("%Y-%m-%d %H:%M:%S")),
            "借" if e.amount < 0 else "贷",
            pad(debit) if debit else "",
            ("\t" + credit) if credit else "",  # a leading tab, as some exports write
            code,
            pad(e.summary),
            pad(e.purpose) if e.purpose else "",
            pad(name) if name else "",
            pad(money(line.balance)),
            "",
        ]
        text.append(csv_line(cells))
    text.append(" ")
    text.append(
        csv_line(["人民币合计", "", "", "", "", pad(money(total_out)), pad(money(total_in))])
    )
    text.append(csv_line(["笔数", str(len(lines))]))
    text.append("以上数据仅供参考")
    path.write_bytes(("\r\n".join(text) + "\r\n").encode("gb18030"))


# --- ICBC variant ②: 借贷标志 + 发生额, an OLE workbook named .CSV -------------------------------


def icbc_flag_events() -> list[Event]:
    return [
        ev(
            "2025-01-06 08:30:00",
            "250000.00",
            DEVELOPER2,
            "转账",
            "交存维修资金 缴款通知书编号N2025-0101",
            "A0000001",
        ),
        ev("2025-01-06 15:20:45", "-250000.00", TIME_DEPOSIT, "转定期", "三个月定期", "A0000002"),
        ev(
            "2025-02-03 09:00:00",
            "18000.00",
            OWNER,
            "个人交存",
            "缴款通知书编号N2025-0102",
            "A0000003",
        ),
        ev("2025-03-21 01:30:00", "321.09", None, "结息", "活期结息", "A0000004"),
    ]


def write_icbc_flag_ole_csv(path: Path) -> None:
    import xlwt

    lines = run("1000000.00", icbc_flag_events())
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("明细")
    stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    number = xlwt.easyxf(num_format_str="#,##0.00")
    sheet.write(0, 0, "中国工商银行 企业网上银行 账户明细")
    sheet.write(1, 0, "账号：")
    sheet.write(1, 1, ICBC_OTHER_ACCOUNT)
    sheet.write(2, 0, "户名：")
    sheet.write(2, 1, CENTRE)
    sheet.write(3, 0, "起止日期：")
    sheet.write(3, 1, "2025-01-01")
    sheet.write(3, 2, "至")
    sheet.write(3, 3, "2025-03-31")
    header = [
        "凭证号",
        "对方账号",
        "交易时间",
        "借贷标志",
        "对方单位",
        "对方行号",
        "用途",
        "摘要",
        "附言",
        "发生额",
        "余额",
        "币种",
    ]
    for c, title in enumerate(header):
        sheet.write(5, c, title)
    r = 6
    for line in lines:
        e = line.event
        name, account, _bank, code = e.party or ("", "", "", "")
        sheet.write(r, 0, e.serial)
        sheet.write(r, 1, account)
        sheet.write(r, 2, e.when, stamp)
        sheet.write(r, 3, "借" if e.amount < 0 else "贷")
        sheet.write(r, 4, name)
        sheet.write(r, 5, code)
        sheet.write(r, 6, e.purpose)
        sheet.write(r, 7, e.summary)
        sheet.write(r, 8, "")
        sheet.write(r, 9, float(abs(e.amount)), number)
        sheet.write(r, 10, float(line.balance), number)
        sheet.write(r, 11, "人民币")
        r += 1
    sheet.write(r, 0, "合计金额")
    sheet.write(r, 9, float(sum(abs(line.event.amount) for line in lines)), number)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


# --- CCB: BIFF8 .xls, float amount cells, 币　　种： ----------------------------------------------


def ccb_events() -> list[Event]:
    return [
        ev(
            "2025-01-06 10:22:41",
            "407812.09",
            DEVELOPER,
            "电子转账",
            "交存维修资金 缴款通知书编号N2025-0201",
            "81-3519818014YGCW3WL7L",
        ),
        ev(
            "2025-01-06 17:07:09",
            "40737.33",
            DEVELOPER2,
            "电子转账",
            "缴款通知书编号N2025-0202",
            "81-3519818015HQKD2MX4P",
        ),
        ev(
            "2025-01-15 09:45:00",
            "-300000.00",
            INSURER,
            "网银转账",
            "电梯保险保费",
            "81-3519818016ZZTR7NB2Q",
        ),
        ev(
            "2025-02-20 11:30:30",
            "2176.91",
            ("王五", "601357924680", "中国银行湘潭分行", ""),
            "转账存入",
            "缴款通知书编号N2025-0203",
            "81-3519818017PLMN8KJ5W",
        ),
        ev("2025-03-21 03:10:00", "1.23", None, "结息", "", "81-3519818018XXYY9CC3R"),
    ]


def write_ccb_xls(path: Path) -> None:
    import xlwt

    lines = run("2500000.00", ccb_events())
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("交易明细")
    preamble = [
        ["中国建设银行单位账户交易明细 China Construction Bank"],
        ["开户机构：", "中国建设银行股份有限公司湘潭分行"],
        ["币\u3000\u3000种：", "人民币"],
        ["账\u3000\u3000号：", CCB_ACCOUNT],
        ["户\u3000\u3000名：", CENTRE],
        ["起止日期：", "20250101 至 20250331"],
    ]
    for r, row in enumerate(preamble):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    header = [
        "账号          ",
        "账户名称    ",
        "交易时间                ",
        "借方发生额（支取）  ",
        "贷方发生额（收入）  ",
        "余额          ",
        "币种    ",
        "对方户名          ",
        "对方账号          ",
        "对方开户机构      ",
        "记账日期    ",
        "摘要            ",
        "备注            ",
        "账户明细编号-交易流水号",
        "企业流水号",
        "凭证种类",
        "凭证号",
    ]
    for c, title in enumerate(header):
        sheet.write(7, c, title)
    r = 8
    for n, line in enumerate(lines):
        e = line.event
        name, account, bank, _code = e.party or ("", "", "", "")
        sheet.write(r, 0, CCB_ACCOUNT)
        sheet.write(r, 1, CENTRE)
        sheet.write(r, 2, e.when.strftime("%Y%m%d %H:%M:%S"))
        sheet.write(r, 3, float(-e.amount) if e.amount < 0 else 0.0)
        sheet.write(r, 4, float(e.amount) if e.amount > 0 else 0.0)
        sheet.write(r, 5, float(line.balance))
        sheet.write(r, 6, "人民币元")
        sheet.write(r, 7, name)
        if account == "601357924680":
            sheet.write(r, 8, float(account))  # a short account number as a float cell
        else:
            sheet.write(r, 8, account)
        sheet.write(r, 9, bank)
        sheet.write(r, 10, e.when.strftime("%Y%m%d"))
        sheet.write(r, 11, e.summary)
        sheet.write(r, 12, e.purpose)
        sheet.write(r, 13, e.serial)
        sheet.write(r, 14, f"QY{n + 1:06d}")
        sheet.write(r, 15, "")
        sheet.write(r, 16, "")
        r += 1
    r += 1
    sheet.write(r, 0, "以上数据仅供参考|具体内容请以柜台为准")
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


# --- BOC: UTF-8 BOM CSV, bilingual header, signed amount, newest first ------------------------


def boc_events() -> list[Event]:
    return [
        ev(
            "2025-01-08 10:00:00",
            "10000.00",
            OWNER,
            "跨行转账",
            "缴款通知书编号N2025-0301",
            "TRN202501080001",
        ),
        ev(
            "2025-01-08 15:30:00",
            "-2600.00",
            (
                "湘潭某电梯工程有限公司",
                "43001510061052577777",
                "中国建设银行湘潭分行",
                "105553000017",
            ),
            "网上支付",
            "电梯维修工程款 首付",
            "TRN202501080002",
        ),
        ev(
            "2025-02-11 09:12:00",
            "1500000.00",
            DEVELOPER,
            "网上支付",
            "交存维修资金 缴款通知书编号N2025-0302",
            "TRN202502110001",
        ),
        ev("2025-03-21 00:30:00", "88.88", None, "利息", "结息", "TRN202503210001"),
    ]


def write_boc_csv(path: Path) -> None:
    lines = run("3973.11", boc_events())
    header = [
        "交易类型[ Transaction type ]",
        "业务类型[ Business type ]",
        "付款人开户行号[ Payer account bank ]",
        "付款人开户行名[ Payer's bank name ]",
        "付款人账号[ Debit Account No. ]",
        "付款人名称[ Payer's Name ]",
        "收款人开户行行号[ Payee account bank ]",
        "收款人开户行名[ Payee's Bank Name ]",
        "收款人账号[ Payee's Account Number ]",
        "收款人名称[ Payee's Name ]",
        "交易日期[ Transaction Date ]",
        "交易时间[ Transaction time ]",
        "交易货币[ Trade Currency ]",
        "交易金额[ Trade Amount ]",
        "交易后余额[ After-transaction balance ]",
        "起息日期[ Value Date ]",
        "汇率[ Exchange rate ]",
        "交易流水号[ Transaction reference number ]",
        "客户申请号[ Customer Transaction Number ]",
        "摘要[ Reference ]",
        "用途[ Purpose ]",
        "交易附言[ Remark ]",
    ]
    own = ("中国银行湘潭分行", BOC_ACCOUNT, CENTRE, "104553000010")
    text = [
        csv_line(["查询账号[ Inquirer account number ]", BOC_ACCOUNT + "\t"]),
        csv_line(["账户名称[ Account name ]", CENTRE]),
        csv_line(["币种[ Currency ]", "人民币"]),
        csv_line(["起始日期[ Start date ]", "20250101"]),
        csv_line(["截止日期[ End date ]", "20250331"]),
        csv_line(["查询时间[ Query time ]", "2025-04-01 09:30:00"]),
        "",
        ",".join(header),
    ]
    for line in reversed(lines):  # newest first
        e = line.event
        other = e.party or ("", "", "", "")
        other_side = (other[2], other[1], other[0], other[3])  # bank name, account, name, code
        payer, payee = (other_side, own) if e.amount > 0 else (own, other_side)
        cells = [
            "来账" if e.amount > 0 else "往账",
            e.summary,
            payer[3] + "\t",
            payer[0] + "\t",
            payer[1] + "\t",
            payer[2] + "\t",
            payee[3] + "\t",
            payee[0] + "\t",
            payee[1] + "\t",
            payee[2] + "\t",
            e.when.strftime("%Y%m%d") + "\t",
            e.when.strftime("%H:%M:%S") + "\t",
            "CNY\t",
            money(e.amount, sign=e.amount > 0 and e.amount >= 10000),
            money(line.balance),
            e.when.strftime("%Y%m%d"),
            "",
            e.serial,
            "",
            e.summary,
            e.purpose,
            "",
        ]
        text.append(csv_line(cells))
    total = sum((line.event.amount for line in lines), Decimal(0))
    text.append(
        csv_line(["合计[ Total ]", "", "", "", "", "", "", "", "", "", "", "", "CNY", money(total)])
    )
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(text) + "\r\n").encode("utf-8"))


# --- ABC: xlsx, 借贷标志 flag column, 本页小计, `3 收 1,234.00` footer --------------------------


def abc_events() -> list[Event]:
    return [
        ev(
            "2025-01-09 09:00:00",
            "600000.00",
            DEVELOPER2,
            "转账",
            "交存维修资金 缴款通知书编号N2025-0401",
            "",
        ),
        ev(
            "2025-01-09 10:30:00",
            "-150000.00",
            (CENTRE, "18545601140009876", "中国农业银行湘潭分行", ""),
            "转定期",
            "一年期",
            "",
        ),
        ev("2025-02-17 14:00:00", "27500.50", OWNER, "转账", "缴款通知书编号N2025-0402", ""),
        ev("2025-03-21 02:15:00", "45.60", None, "结息", "", ""),
        ev("2025-03-21 02:15:00", "0.00", None, "利息税", "", ""),
    ]


def write_abc_xlsx(path: Path) -> None:
    import openpyxl

    lines = run("50000.00", abc_events())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "账户明细"
    sheet.append(["中国农业银行对公账户明细查询"])
    sheet.append([f"账户名称：{CENTRE}", None, None, "账号：18-545601040001234"])
    sheet.append(["币种：人民币", None, None, "起止日期：2025-01-01 至 2025-03-31"])
    sheet.append(
        [
            "交易时间",
            "借贷标志",
            "交易金额",
            "账户余额",
            "对方户名",
            "对方账号",
            "对方开户行",
            "摘要",
            "交易用途",
        ]
    )
    for n, line in enumerate(lines):
        e = line.event
        name, account, bank, _code = e.party or ("", "", "", "")
        sheet.append(
            [
                e.when,
                "借" if e.amount < 0 else "贷",
                float(abs(e.amount)),
                float(line.balance),
                name or None,
                account or None,
                bank or None,
                e.summary,
                e.purpose or None,
            ]
        )
        if n == 2:
            sheet.append(["本页小计", None, 777500.5, None])
    ins = [line.event.amount for line in lines if line.event.amount > 0]
    outs = [-line.event.amount for line in lines if line.event.amount < 0]
    sheet.append([f"{len(ins)} 收 {money(sum(ins, Decimal(0)))}"])
    sheet.append([f"{len(outs)} 付 {money(sum(outs, Decimal(0)))}"])
    sheet.append(["以上数据仅供参考"])
    save_xlsx(book, path)


def abc_split_events() -> list[Event]:
    return [
        ev("2025-04-08 09:12:33", "3200.00", OWNER2, "转账", "缴款通知书编号N2025-0403", ""),
        ev("2025-04-08 15:40:02", "-10.00", None, "手续费", "网银转账手续费", ""),
        ev("2025-05-20 10:05:10", "120000.00", DEVELOPER, "转账", "交存维修资金N2025-0404", ""),
        ev("2025-06-21 02:10:00", "61.23", None, "结息", "", ""),
    ]


def write_abc_split_xlsx(path: Path) -> None:
    """ABC's other 企业网银 export: 收入金额 and 支出金额 apart, 本次余额, 交易时间 as text."""
    import openpyxl

    lines = run("80000.00", abc_split_events())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["中国农业银行账户明细"])
    sheet.append([f"账户名称：{CENTRE}", None, None, None, f"账号：{ABC_SPLIT_ACCOUNT}"])
    sheet.append(["币种：人民币", None, None, None, "起止日期：20250401-20250630"])
    sheet.append(
        [
            "交易时间",
            "收入金额",
            "支出金额",
            "本次余额",
            "手续费总额",
            "交易方式",
            "交易行名",
            "对方账号",
            "对方户名",
            "交易说明",
            "交易摘要",
            "交易附言",
        ]
    )
    for line in lines:
        e = line.event
        name, account, _bank, _code = e.party or ("", "", "", "")
        sheet.append(
            [
                e.when.strftime("%Y-%m-%d %H:%M:%S"),
                float(e.amount) if e.amount > 0 else None,
                float(-e.amount) if e.amount < 0 else None,
                float(line.balance),
                0,
                "网银" if e.party else "批量",
                "中国农业银行湘潭分行营业部",
                account or None,
                name or None,
                e.summary,
                e.summary,
                e.purpose or None,
            ]
        )
    ins = [line.event.amount for line in lines if line.event.amount > 0]
    outs = [-line.event.amount for line in lines if line.event.amount < 0]
    sheet.append([f"{len(ins)} 收 {money(sum(ins, Decimal(0)))}"])
    sheet.append([f"{len(outs)} 付 {money(sum(outs, Decimal(0)))}"])
    save_xlsx(book, path)


def save_xlsx(book, path: Path) -> None:
    """Save with fixed timestamps so that regenerating writes the same bytes."""
    fixed = dt.datetime(2025, 4, 1, 9, 0, 0)
    book.properties.created = fixed
    book.properties.modified = fixed
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fixed_core(data)
            clone = zipfile.ZipInfo(info.filename, date_time=(2025, 4, 1, 9, 0, 0))
            clone.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(clone, data)
    path.write_bytes(out.getvalue())


def _fixed_core(data: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-04-01T09:00:00Z", data)


# --- RCB (湘潭农商): a ".xls" that is GB18030 tab-separated text, ="..." cells ------------------


def rcb_events() -> list[Event]:
    return [
        ev(
            "2025-01-10 09:30:00",
            "1200.00",
            OWNER,
            "转账",
            "缴款通知书编号N2025-0501",
            "2025011000012",
        ),
        ev(
            "2025-01-10 11:00:00",
            "1200.00",
            OWNER2,
            "转账",
            "缴款通知书编号N2025-0502",
            "2025011000013",
        ),
        # 2025-02-18: posted in this order, but the file lists them 2nd, 1st, 3rd
        ev(
            "2025-02-18 09:01:00",
            "350000.00",
            DEVELOPER,
            "转账",
            "交存维修资金 缴款通知书编号N2025-0503",
            "2025021800101",
        ),
        ev("2025-02-18 09:01:00", "-120000.00", INSURER, "转账", "电梯保险保费", "2025021800102"),
        ev("2025-02-18 09:01:00", "-8.00", None, "手续费", "", "2025021800103"),
        # the interest due at 1.30% (the sample books' RCB agreement): booked as it is
        ev("2025-03-21 02:00:00", "328.53", None, "结息", "", "2025032100001"),
    ]


def write_rcb_fake_xls(path: Path) -> None:
    lines = run("20000.00", rcb_events())
    order = [0, 1, 3, 2, 4, 5]  # the file's order: 2025-02-18 out of posting order
    rows = [
        ["湘潭农村商业银行 账户交易明细"],
        ["户名：", CENTRE],
        ["账号：", f'="{RCB_ACCOUNT}"'],
        ["币种：", "人民币", "", "查询期间：", "2025/01/01-2025/03/31"],
        [
            "交易流水号",
            "交易日期",
            "交易时间",
            "对方户名",
            "对方账号",
            "对方开户行",
            "摘要",
            "支出金额",
            "收入金额",
            "账户余额",
            "用途",
        ],
    ]
    for i in order:
        line = lines[i]
        e = line.event
        name, account, bank, _code = e.party or ("", "", "", "")
        out = "¥" + money(-e.amount).replace(",", "，") if e.amount < 0 else "-"
        into = "¥" + money(e.amount).replace(",", "，") if e.amount > 0 else "-"
        rows.append(
            [
                f'="{e.serial}"',
                e.when.strftime("%Y/%m/%d"),
                e.when.strftime("%H:%M:%S"),
                name,
                f'="{account}"' if account else "",
                bank,
                e.summary,
                out,
                into,
                money(line.balance, grouped=False),
                e.purpose,
            ]
        )
    ins = sum((line.event.amount for line in lines if line.event.amount > 0), Decimal(0))
    outs = sum((-line.event.amount for line in lines if line.event.amount < 0), Decimal(0))
    rows.append(["合计", "", "", "", "", "", "", money(outs), money(ins), ""])
    rows.append(["笔数：", str(len(lines))])
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    path.write_bytes(text.encode("gb18030"))


# --- BOCOM: an xlsx named .xls, 借 Dr/贷 Cr, 户  名:, 期初余额 row -------------------------------


def bocom_events() -> list[Event]:
    return [
        ev("2025-01-15 10:11:12", "80000.00", DEVELOPER, "转账", "缴款通知书编号N2025-0601", ""),
        ev("2025-02-12 13:14:15", "-30000.00", INSURER, "转账", "电梯保险保费", ""),
        # 0.05 short of the interest due at 1.00% (the sample books'): booked, flagged
        ev("2025-03-21 01:02:03", "363.56", None, "结息", "", ""),
    ]


def write_bocom_xlsx_as_xls(path: Path) -> None:
    import openpyxl

    opening = Decimal("100000.00")
    lines = run(str(opening), bocom_events())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["交通银行对公账户明细"])
    sheet.append(["户  名:", CENTRE])
    sheet.append(["查询账号:", BOCOM_ACCOUNT])
    sheet.append(["币种:", "人民币", None, "查询期间:", "20250101-20250331"])
    sheet.append([])
    sheet.append(
        ["交易时间", "对方户名", "对方账号", "对方开户行", "摘要", "借贷标志", "发生额", "余额"]
    )
    sheet.append(["期初余额", None, None, None, None, None, None, money(opening)])
    for line in lines:
        e = line.event
        name, account, bank, _code = e.party or ("--", "--", "--", "")
        sheet.append(
            [
                e.when.strftime("%Y-%m-%d %H:%M:%S"),
                name,
                account,
                bank,
                e.summary + (" " + e.purpose if e.purpose else ""),
                "借 Dr" if e.amount < 0 else "贷 Cr",
                money(abs(e.amount)),
                money(line.balance),
            ]
        )
    outs = sum((-line.event.amount for line in lines if line.event.amount < 0), Decimal(0))
    ins = sum((line.event.amount for line in lines if line.event.amount > 0), Decimal(0))
    sheet.append(["借方合计", None, None, None, None, None, money(outs)])
    sheet.append(["贷方合计", None, None, None, None, None, money(ins)])
    save_xlsx(book, path)


# --- all samples -----------------------------------------------------------------------------

WRITERS = {
    "icbc-historydetail.csv": write_icbc_csv,
    "icbc-flag.CSV": write_icbc_flag_ole_csv,
    "ccb-corporate.xls": write_ccb_xls,
    "boc-corporate.csv": write_boc_csv,
    "abc-corporate.xlsx": write_abc_xlsx,
    "abc-split.xlsx": write_abc_split_xlsx,
    "rcb-xiangtan.xls": write_rcb_fake_xls,
    "bocom-corporate.xls": write_bocom_xlsx_as_xls,
}


def build_all(directory: Path = SAMPLES) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, writer in WRITERS.items():
        path = directory / name
        writer(path)
        paths.append(path)
    return paths


# --- large statements ------------------------------------------------------------------------


def _large_events(count: int, start: dt.date = dt.date(2020, 1, 1)) -> Iterable[tuple]:
    """(when, amount, name, account, memo, serial) with up to 40 lines a day."""
    for n in range(count):
        day = start + dt.timedelta(days=n // 40)
        when = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(seconds=(n % 40) * 600)
        cents = (n * 7919) % 5_000_000 + 1
        amount = Decimal(cents).scaleb(-2)
        if n % 3 == 2:
            amount = -amount
        name, account = (OWNER[0], OWNER[1]) if n % 2 else (DEVELOPER[0], DEVELOPER[1])
        memo = f"缴款通知书编号N{day.year}-{n % 10000:04d}"
        yield when, amount, name, account, memo, f"{n + 1:010d}"


def write_large_icbc_csv(path: Path, count: int) -> None:
    """An ICBC [HISTORYDETAIL] GB18030 CSV of `count` lines (padded cells, grouped amounts)."""
    out = io.StringIO()
    out.write(f"[HISTORYDETAIL]\r\n账号：,{ICBC_ACCOUNT}\r\n户名：,{CENTRE}\r\n")
    out.write(
        "凭证号,本方账号,对方账号,交易时间,借贷标识,借方发生额,贷方发生额,对方行号,摘要,用途,"
        "对方单位名称,余额,个性化信息\r\n"
    )
    balance = Decimal("100000000.00")
    for when, amount, name, account, memo, serial in _large_events(count):
        balance += amount
        debit = f'"{-amount:,.2f}\t"' if amount < 0 else ""
        credit = f'"{amount:,.2f}\t"' if amount > 0 else ""
        out.write(
            f"{serial}\t,{ICBC_ACCOUNT}\t,{account}\t,{when:%Y-%m-%d %H:%M:%S},"
            f"{'借' if amount < 0 else '贷'},{debit},{credit},102553000010,转账,{memo},{name},"
            f'"{balance:,.2f}\t",\r\n'
        )
    out.write('人民币合计,,,,,"0.00","0.00",\r\n')
    path.write_bytes(out.getvalue().encode("gb18030"))


def write_large_ccb_xls(path: Path, count: int, rows_per_sheet: int = 60000) -> None:
    """A CCB .xls of `count` lines over as many sheets as BIFF8 needs, each with its header."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    header = [
        "账号",
        "账户名称",
        "交易时间",
        "借方发生额（支取）",
        "贷方发生额（收入）",
        "余额",
        "币种",
        "对方户名",
        "对方账号",
        "对方开户机构",
        "记账日期",
        "摘要",
        "备注",
        "账户明细编号-交易流水号",
    ]
    balance = Decimal("100000000.00")
    sheet = None
    r = 0
    for n, (when, amount, name, account, memo, serial) in enumerate(_large_events(count)):
        if n % rows_per_sheet == 0:
            sheet = book.add_sheet(f"Sheet{n // rows_per_sheet + 1}")
            sheet.write(0, 0, "账\u3000\u3000号：")
            sheet.write(0, 1, CCB_ACCOUNT)
            for c, title in enumerate(header):
                sheet.write(1, c, title)
            r = 2
        balance += amount
        assert sheet is not None
        for c, value in enumerate(
            (
                CCB_ACCOUNT,
                CENTRE,
                f"{when:%Y%m%d %H:%M:%S}",
                float(-amount) if amount < 0 else 0.0,
                float(amount) if amount > 0 else 0.0,
                float(balance),
                "人民币元",
                name,
                account,
                "",
                f"{when:%Y%m%d}",
                "转账",
                memo,
                f"81-{serial}",
            )
        ):
            sheet.write(r, c, value)
        r += 1
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES
    for written in build_all(target):
        print(written)
