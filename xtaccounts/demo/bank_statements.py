"""Bank statement files for the demo, written in the banks' own layouts and imported like real ones.

The demo's bank events (owner deposits, quarterly interest, time-deposit repayments) are not
booked by calling the library directly: they are written as lines of statement files, in the
layouts the reader knows (`importers.profiles`), and imported with
`xtaccounts.ops.bank_statement_import.import_statements`, which archives each file under documents/.
Movements booked by commands (time-deposit placements, a rollover, a refund) are lines of the same
statements too; the import recognises them as already booked.

Three file kinds: ICBC's 企业网银 [HISTORYDETAIL] CSV (GB18030), ICBC's 借贷标志 export as
tab-separated GB18030 text saved with an ``.xls`` name (a fake xls), and CCB's 单位账户交易明细 as
a real BIFF8 ``.xls`` written newest first. The same events give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import ZERO

__all__ = [
    "LAYOUTS",
    "BankLine",
    "DemoStatements",
    "StatementFile",
    "ccb_xls",
    "icbc_csv",
    "icbc_flag_text",
]

# The centre's account name as the banks print it on every statement.
ACCOUNT_NAME = "湘潭市物业专项维修资金管理中心住宅专项维修资金专户"
CENTRE = "湘潭市物业专项维修资金管理中心"


@dataclass(frozen=True)
class BankLine:
    """One line as the bank prints it: signed amount (+ into the account), memo, other side."""

    date: dt.date
    amount: Decimal
    memo: str
    counterparty: str = ""
    counterparty_account: str = ""
    counterparty_bank: str = ""
    time: str = "09:30:00"
    serial: str = ""


@dataclass(frozen=True)
class StatementFile:
    """A statement to write: the account, its period, the balance before, the lines."""

    account_no: str
    account_name: str
    start: dt.date
    end: dt.date
    opening: Decimal
    lines: tuple[BankLine, ...]

    def running(self) -> list[tuple[BankLine, Decimal]]:
        """Each line with the balance after it, oldest first."""
        balance = self.opening
        result = []
        for line in self.lines:
            balance += line.amount
            result.append((line, balance))
        return result


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _plain(value: Decimal) -> str:
    return f"{value:.2f}"


def icbc_csv(statement: StatementFile) -> bytes:
    """ICBC 企业网银 明细 [HISTORYDETAIL]: 13 columns, 凭证号 as the only key, GB18030 CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["[HISTORYDETAIL]"])
    writer.writerow(
        [
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
    )
    debits = credits = ZERO
    for line, balance in statement.running():
        out_side = line.amount < 0
        debits += -line.amount if out_side else ZERO
        credits += ZERO if out_side else line.amount
        writer.writerow(
            [
                line.serial,
                statement.account_no,
                line.counterparty_account,
                f"{line.date:%Y-%m-%d} {line.time}",
                "借" if out_side else "贷",
                _money(-line.amount) if out_side else "",
                "" if out_side else _money(line.amount),
                line.counterparty_bank,
                line.memo,
                "",
                line.counterparty,
                _money(balance),
                "",
            ]
        )
    writer.writerow(["人民币合计", "", "", "", "", _money(debits), _money(credits)])
    writer.writerow(["以上数据仅供参考，具体内容请以柜台为准"])
    return out.getvalue().encode("gb18030")


def icbc_flag_text(statement: StatementFile) -> bytes:
    """ICBC's 借贷标志 export: preamble (户名, 账号, 币种, 起止日期), one unsigned 发生额 with
    借/贷, dates as ``YYYYMMDD HH:MM:SS``, no serial; tab-separated GB18030 text that the bank
    names ``.xls``."""
    rows: list[list[str]] = [
        ["户　　名：", statement.account_name],
        ["账　　号：", statement.account_no],
        ["币　　种：", "人民币"],
        ["起止日期：", f"{statement.start:%Y-%m-%d} 至 {statement.end:%Y-%m-%d}"],
        [],
        [
            "对方账号",
            "交易时间",
            "借贷标志",
            "对方单位",
            "对方行名",
            "用途",
            "摘要",
            "附言",
            "发生额",
            "余额",
            "币种",
        ],
    ]
    for line, balance in statement.running():
        rows.append(
            [
                line.counterparty_account,
                f"{line.date:%Y%m%d} {line.time}",
                "借" if line.amount < 0 else "贷",
                line.counterparty,
                line.counterparty_bank,
                "",
                line.memo,
                "",
                _plain(abs(line.amount)),
                _plain(balance),
                "人民币",
            ]
        )
    rows.append(["合计", "", "", "", "", "", "", "", "", "", ""])
    return "".join("\t".join(row) + "\r\n" for row in rows).encode("gb18030")


def ccb_xls(statement: StatementFile) -> bytes:
    """CCB 单位账户交易明细 as BIFF8 ``.xls`` (xlwt): preamble, the full header with
    full-width brackets, amounts and balances as number cells, rows newest first.

    `账户明细编号-交易流水号` is ``<n>-<serial>`` as the bank writes it: n numbers the lines of
    this file (oldest 1), so another export of the same lines numbers them otherwise; the reader
    keys a line on the serial after the dash (the profile's `serial_parts`), the line's own."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("交易明细")
    preamble = [
        ["中国建设银行单位账户交易明细"],
        ["账　　号：", statement.account_no],
        ["账户名称：", statement.account_name],
        ["币　　种：", "人民币"],
        ["起止日期：", f"{statement.start:%Y%m%d}-{statement.end:%Y%m%d}"],
    ]
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
        "企业流水号",
        "凭证种类",
        "凭证号",
    ]
    rows: list[Sequence[object]] = [*preamble, header]
    running = statement.running()
    for number, (line, balance) in reversed(list(enumerate(running, start=1))):
        out_side = line.amount < 0
        rows.append(
            [
                statement.account_no,
                statement.account_name,
                f"{line.date:%Y%m%d} {line.time}",
                # numeric cells, as the bank's .xls has them; the reader converts them via repr
                float(-line.amount) if out_side else 0.0,
                0.0 if out_side else float(line.amount),
                float(balance),
                "人民币元",
                line.counterparty,
                line.counterparty_account,
                line.counterparty_bank,
                f"{line.date:%Y%m%d}",
                line.memo,
                "",
                f"{number}-{line.serial}" if line.serial else "",
                "",
                "",
                "",
            ]
        )
    rows.append(["合计", "", "", float(sum(-x.amount for x in statement.lines if x.amount < 0))])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# layout name -> (writer, file name suffix)
LAYOUTS: dict[str, tuple[Callable[[StatementFile], bytes], str]] = {
    "icbc-csv": (icbc_csv, ".csv"),
    "icbc-text-xls": (icbc_flag_text, ".xls"),
    "ccb-xls": (ccb_xls, ".xls"),
}


# --- the demo's statements ------------------------------------------------------------------


@dataclass
class _Account:
    account: str
    account_no: str
    name: str
    layouts: tuple[str, ...]
    cursor: dt.date  # the last day covered by a statement written so far
    pending: list[BankLine] = field(default_factory=list)
    written: int = 0


class DemoStatements:
    """Lines queued per bank account, written as statement files and imported in order.

    `line` queues a line; `flush(day)` writes, for each account, one statement from the day
    after its last one through `day` (none when it has no line) and imports them all; the
    balance before is the books' (every earlier line is imported by then). The layouts of an
    account are used in turn.
    """

    def __init__(
        self,
        main: Path,
        directory: Path,
        accounts: Sequence[tuple[str, str, str, tuple[str, ...]]],
        start: dt.date,
    ) -> None:
        self.main = main
        self.directory = directory
        self.accounts = {
            account: _Account(account, number, name, layouts, start - dt.timedelta(days=1))
            for account, number, name, layouts in accounts
        }
        self.imported: list[Path] = []

    def line(self, account: str, line: BankLine) -> None:
        state = self.accounts[account]
        if line.date <= state.cursor:
            raise XtError(
                f"demo: a line dated {line.date} after the statement through {state.cursor}"
            )
        state.pending.append(line)

    def _balance(self, account: str, day: dt.date) -> Decimal:
        from xtaccounts.books.load import load_books
        from xtaccounts.books.positions import read_positions

        positions = read_positions(load_books(self.main).entries)
        return positions.balance(account, day) + ZERO

    def flush(self, day: dt.date) -> list[Path]:
        """Write and import each account's statement through `day`; raise if one fails."""
        from importers import read_statement_file
        from xtaccounts.ops.bank_statement_import import import_statements

        files: list[Path] = []
        for state in self.accounts.values():
            if day <= state.cursor:
                continue
            lines = sorted((x for x in state.pending if x.date <= day), key=lambda x: x.date)
            state.pending = [x for x in state.pending if x.date > day]
            start = state.cursor + dt.timedelta(days=1)
            state.cursor = day
            if not lines:
                continue
            statement = StatementFile(
                state.account_no,
                state.name,
                start,
                day,
                self._balance(state.account, start - dt.timedelta(days=1)),
                tuple(lines),
            )
            layout = state.layouts[state.written % len(state.layouts)]
            state.written += 1
            write, suffix = LAYOUTS[layout]
            path = self.directory / (f"{state.account_no[-4:]}_{start:%Y%m%d}_{day:%Y%m%d}{suffix}")
            path.write_bytes(write(statement))
            files.append(path)
        if files:
            from xtaccounts.books.change_note import recording_as

            with recording_as("demo build：import", *(f.name for f in files)):
                report = import_statements(self.main, files, read=read_statement_file)
            failed = [f.error for f in report.files if f.error]
            if failed:
                raise XtError("demo: a statement did not import: " + "; ".join(failed))
            self.imported.extend(files)
        return files
