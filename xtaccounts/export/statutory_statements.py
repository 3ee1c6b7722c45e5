"""The three statutory statements (会住维01表, 02表, 03表) computed from the books in one pass.

Every ledger account is mapped to a statutory code of pilot.toml's ``[[mof_accounts]]`` by its
longest matching prefix; the forms (forms.toml) say which codes each line sums. Balances are
Beancount's signed sums; a line's ``sign`` turns credit balances positive.

- 01表: 年初余额 at the end of the previous year, 期末余额 at the end of the period. Its 净资产
  lines include income and expenses not closed yet, as the close would move them, so the sheet
  balances on any day.
- 02表: the income and expense accounts' movements, the period close's own entries (kind
  ``close``) and the year books' carry entries left out: 本月数 over the period's last month,
  本年累计数 from 1 January to the period's end.
- 03表 (years only): per column, the balance at the end of the previous year, the year's
  收支差额 (income and expense postings), 分配累计收益 (allocations and the legacy transfer),
  划转 (any other movement of net assets) and the closing balance, which must equal 01表's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CARRY,
    KIND_CLOSE,
    KIND_LEGACY,
    META_KIND,
    ZERO,
)
from xtaccounts.export.forms import FormLine, Forms, LineForm
from xtaccounts.export.period import Period
from xtaccounts.export.table import INT, MONEY, TEXT, Column, Table
from xtaccounts.registry import Registry
from xtaccounts.reports.housing_types import PublicHousing
from xtaccounts.reports.statutory_accounts import AccountCodes


@dataclass(frozen=True)
class Check:
    """A tie-out the export verified: its name, whether it holds, and the figures."""

    name: str
    ok: bool
    detail: str


def _sums() -> defaultdict[str, Decimal]:
    return defaultdict(lambda: ZERO)


@dataclass
class StatementFigures:
    """Per statutory code: balances and movements (Beancount signs) the statements add up."""

    prior_close: defaultdict[str, Decimal] = field(default_factory=_sums)
    closing: defaultdict[str, Decimal] = field(default_factory=_sums)
    month: defaultdict[str, Decimal] = field(default_factory=_sums)
    year: defaultdict[str, Decimal] = field(default_factory=_sums)
    surplus: defaultdict[str, Decimal] = field(default_factory=_sums)
    distributed: defaultdict[str, Decimal] = field(default_factory=_sums)
    transfer: defaultdict[str, Decimal] = field(default_factory=_sums)
    closes: defaultdict[str, Decimal] = field(default_factory=_sums)
    unmapped: defaultdict[str, Decimal] = field(default_factory=_sums)


def read_figures(
    registry: Registry, entries: Sequence[data.Directive], period: Period
) -> StatementFigures:
    """One pass over the transactions up to the period's end."""
    code_of = AccountCodes(registry)
    fig = StatementFigures()
    year_start, month_start = period.year_start, period.month_start
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        day = entry.date
        if day > period.end:
            break
        kind = entry.meta.get(META_KIND)
        in_year = day >= year_start
        for posting in entry.postings:
            amount = number_of(posting)
            code = code_of(posting.account)
            if code is None:
                fig.unmapped[posting.account] += amount
                continue
            fig.closing[code] += amount
            if not in_year:
                fig.prior_close[code] += amount
                continue
            root = posting.account.split(":", 1)[0]
            if kind == KIND_CLOSE:
                fig.closes[code] += amount
            elif root in chart.FLOW_ROOTS:
                if kind != KIND_CARRY:
                    fig.year[code] += amount
                    if day >= month_start:
                        fig.month[code] += amount
                fig.surplus[code] += amount
            elif root == "Equity":
                if kind in (KIND_ALLOCATION, KIND_LEGACY):
                    fig.distributed[code] += amount
                else:
                    fig.transfer[code] += amount
    return fig


def _line_values(form: LineForm, columns: Sequence[dict[str, Decimal]]) -> dict[int, list[Decimal]]:
    values: dict[int, list[Decimal]] = {}
    for line in form.lines:
        if line.sums:
            values[line.line] = [
                line.sign * sum((col[c] for c in line.sums), ZERO) + ZERO for col in columns
            ]
        else:
            values[line.line] = [
                sum((values[t][i] for t in line.total), ZERO)
                - sum((values[s][i] for s in line.subtract), ZERO)
                for i in range(len(columns))
            ]
    return values


def _line_rows(
    form: LineForm,
    values: dict[int, list[Decimal]],
    public_housing: dict[int, list[Decimal]] | None = None,
) -> tuple[list[tuple], set[int], dict[tuple[int, int], tuple[tuple[int, int, int], ...]]]:
    """The form's rows, the bold ones, and its 合计 lines' formulas (`Table.formulas`).

    `public_housing`: line -> the 已售公有住房 part of its figures; the line is then followed by
    其中 商品住宅维修资金 (the rest) and 已售公有住房维修资金, as the MoF formats split it."""
    rows: list[tuple] = []
    strong: set[int] = set()
    formulas: dict[tuple[int, int], tuple[tuple[int, int, int], ...]] = {}
    row_of: dict[int, int] = {}
    section = None
    for line in form.lines:
        if line.section and line.section != section:
            strong.add(len(rows))
            rows.append((f"{line.section}：", None, "", None, None))
        section = line.section
        if not line.sums:
            strong.add(len(rows))
            for column in (3, 4):
                formulas[len(rows), column] = tuple(
                    (1, row_of[t], column) for t in line.total
                ) + tuple((-1, row_of[t], column) for t in line.subtract)
        row_of[line.line] = len(rows)
        rows.append((line.name, line.line, line.code, *values[line.line]))
        public = (public_housing or {}).get(line.line)
        if public is not None:
            whole = row_of[line.line]
            rest = [v - p for v, p in zip(values[line.line], public, strict=True)]
            for column in (3, 4):
                formulas[len(rows), column] = ((1, whole, column), (-1, len(rows) + 1, column))
            rows.append(("其中：商品住宅维修资金", None, "", *rest))
            rows.append(("其中：已售公有住房维修资金", None, "", *public))
    return rows, strong, formulas


def _line_columns(form: LineForm) -> tuple[Column, ...]:
    return (
        Column("item", "项目", TEXT, 30),
        Column("line", "行次", INT, 6, align="center"),
        Column("code", "科目编码", TEXT, 10, align="center"),
        Column("amount_1", form.columns[0], MONEY, 20),
        Column("amount_2", form.columns[1], MONEY, 20),
    )


SIGNATURES = ("单位负责人", "财务负责人", "复核", "制表人")


def signature_lines(issued: dt.date) -> list[str]:
    """The lines a filed form carries under it: who signs it, and the day it is issued."""
    blank = "＿" * 6
    return [
        "    ".join(f"{role}：{blank}" for role in SIGNATURES),
        f"报出日期：{issued.year}年{issued.month}月{issued.day}日",
    ]


def _by_name(form: LineForm, name: str) -> FormLine | None:
    return next((line for line in form.lines if line.name == name), None)


@dataclass
class Statements:
    tables: list[Table]
    checks: list[Check]
    figures: StatementFigures


def build_statements(
    registry: Registry,
    forms: Forms,
    entries: Sequence[data.Directive],
    period: Period,
    issued: dt.date | None = None,
    public_housing: PublicHousing | None = None,
) -> Statements:
    """01表 and 02表 for any period, 03表 for a year, with their tie-out checks; `issued` is the
    报出日期 the forms carry (default: today); `public_housing`: the 已售公有住房 households'
    part of 维修资金, which 01表 and 03表 show apart when given."""
    fig = read_figures(registry, entries, period)
    footer = signature_lines(issued or dt.date.today())
    checks: list[Check] = []

    bs = forms.balance_sheet
    bs_values = _line_values(bs, [fig.prior_close, fig.closing])
    fund = _by_name(bs, "维修资金")
    split = None
    if fund and public_housing is not None:
        split = {fund.line: [public_housing.prior_close, public_housing.closing]}
    rows, strong, formulas = _line_rows(bs, bs_values, split)
    balance_sheet = Table(
        stem="01-balance-sheet",
        sheet=f"{bs.form} {bs.title}",
        title=bs.title,
        form=bs.form,
        columns=_line_columns(bs),
        rows=rows,
        with_totals=False,
        strong=strong,
        footer=footer,
        formulas=formulas,
        meta={
            "as_of": period.end,
            "opening_as_of": period.prior_year_end,
            "signatures": list(SIGNATURES),
            "issued": issued or dt.date.today(),
        },
    )
    assets = _by_name(bs, "资产合计")
    both = _by_name(bs, "负债和净资产合计")
    if assets and both:
        a, b = bs_values[assets.line], bs_values[both.line]
        checks.append(
            Check(
                "01表 资产合计 = 负债和净资产合计",
                a == b,
                f"年初 {a[0]} / {b[0]}; 期末 {a[1]} / {b[1]}",
            )
        )
    unmapped = {acc: amt for acc, amt in fig.unmapped.items() if amt}
    checks.append(
        Check(
            "every account with a balance maps to a statutory code",
            not unmapped,
            "; ".join(f"{acc} {amt}" for acc, amt in sorted(unmapped.items())) or "all mapped",
        )
    )

    ie = forms.income_statement
    ie_values = _line_values(ie, [fig.month, fig.year])
    rows, strong, formulas = _line_rows(ie, ie_values)
    income = Table(
        stem="02-income-expenditure",
        sheet=f"{ie.form} {ie.title}",
        title=ie.title,
        form=ie.form,
        columns=_line_columns(ie),
        rows=rows,
        with_totals=False,
        strong=strong,
        footer=footer,
        formulas=formulas,
        meta={
            "month": period.month_start.strftime("%Y-%m"),
            "year": period.end.year,
            "signatures": list(SIGNATURES),
            "issued": issued or dt.date.today(),
        },
    )
    tables = [balance_sheet, income]

    if period.is_year:
        table, na_checks = _net_assets(forms, fig, bs_values, footer, public_housing)
        tables.append(table)
        checks.extend(na_checks)
    return Statements(tables, checks, fig)


def _net_assets(
    forms: Forms,
    fig: StatementFigures,
    bs_values: dict[int, list[Decimal]],
    footer: list[str],
    public_housing: PublicHousing | None = None,
) -> tuple[Table, list[Check]]:
    na = forms.net_assets

    def column(source: dict[str, Decimal]) -> list[Decimal]:
        return [-sum((source[c] for c in col.sums), ZERO) + ZERO for col in na.columns]

    prior = column(fig.prior_close)
    adjustment = [ZERO for _ in na.columns]
    opening = [p + a for p, a in zip(prior, adjustment, strict=True)]
    surplus, distributed, transfer = (
        column(fig.surplus),
        column(fig.distributed),
        column(fig.transfer),
    )
    closing = [
        o + s + d + t for o, s, d, t in zip(opening, surplus, distributed, transfer, strict=True)
    ]
    by_kind = {
        "prior_close": prior,
        "adjustment": adjustment,
        "opening": opening,
        "surplus": surplus,
        "distributed": distributed,
        "transfer": transfer,
        "closing": closing,
    }
    names = [c.name for c in na.columns]
    checks = []
    fund = names.index("维修资金") if "维修资金" in names else None
    if public_housing is not None and fund is not None:
        # As the MoF format: 维修资金 in two columns, 已售公有住房 from the 分户账,
        # 商品住宅 the rest.
        p = public_housing
        public = {
            "prior_close": p.prior_close,
            "adjustment": ZERO,
            "opening": p.prior_close,
            "surplus": p.surplus,
            "distributed": p.distributed,
            "transfer": p.transfer,
            "closing": p.closing,
        }
        for kind, values in by_kind.items():
            whole = values[fund]
            values[fund : fund + 1] = [whole - public[kind], public[kind]]
        names[fund : fund + 1] = ["商品住宅维修资金", "已售公有住房维修资金"]
        fund_01 = {line.name: bs_values[line.line][1] for line in forms.balance_sheet.lines}
        both = closing[fund] + closing[fund + 1]
        checks.append(
            Check(
                "03表 商品住宅维修资金 + 已售公有住房维修资金 本年年末余额 = 01表 维修资金",
                both == fund_01.get("维修资金"),
                f"{both} / {fund_01.get('维修资金')}",
            )
        )
    columns = [Column("item", "项目", TEXT, 22), Column("line", "行次", INT, 6, align="center")]
    columns += [Column(f"col_{i + 1}", name, MONEY, 20) for i, name in enumerate(names)]
    columns.append(Column("total", "合计", MONEY, 20))
    rows: list[tuple[Any, ...]] = []
    strong: set[int] = set()
    row_of: dict[str, int] = {}
    for row in na.rows:
        values = by_kind[row.kind]
        if row.kind in ("opening", "closing"):
            strong.add(len(rows))
        row_of.setdefault(row.kind, len(rows))
        rows.append((row.name, row.line, *values, sum(values, ZERO)))
    # How the sums are made, for the workbook: each row's 合计, the opening and closing rows.
    made = {
        "opening": ("prior_close", "adjustment"),
        "closing": ("opening", "surplus", "distributed", "transfer"),
    }
    width = len(names)
    formulas: dict[tuple[int, int], tuple[tuple[int, int, int], ...]] = {}
    for index in range(len(rows)):
        formulas[index, 2 + width] = tuple((1, index, c) for c in range(2, 2 + width))
    for kind, parts in made.items():
        if kind in row_of and all(p in row_of for p in parts):
            for at in range(2, 2 + width):
                formulas[row_of[kind], at] = tuple((1, row_of[p], at) for p in parts)
    table = Table(
        stem="03-net-assets",
        sheet=f"{na.form} {na.title}",
        title=na.title,
        form=na.form,
        columns=tuple(columns),
        rows=rows,
        with_totals=False,
        strong=strong,
        footer=footer,
        formulas=formulas,
        meta={"signatures": list(SIGNATURES), "issued": footer[-1].partition("：")[2]},
    )
    closes = column(fig.closes)
    checks.append(
        Check(
            "03表 the close entries move amounts within each column only",
            all(not c for c in closes),
            " / ".join(str(c) for c in closes),
        )
    )
    closing_01 = {line.name: bs_values[line.line][1] for line in forms.balance_sheet.lines}
    for i, name in enumerate(names):
        if name in closing_01:
            ok = closing_01[name] == closing[i]
            checks.append(
                Check(
                    f"03表 {name} 本年年末余额 = 01表 期末余额",
                    ok,
                    f"{closing[i]} / {closing_01[name]}",
                )
            )
    return table, checks
