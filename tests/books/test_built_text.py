"""The fast path given the entries the writer formatted equals the fast path given their text:
`built_text.as_parsed` gives the text `number_text` gives and the entries Beancount's parser
reads from it, or None (the text is parsed) for an entry it cannot vouch for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data
from beancount.parser import parser

from importers import read_statement_file
from tests.helpers import ICBC_NO, build_base
from xtaccounts.books import fast_check
from xtaccounts.books.built_text import PARSED_FILE, BuiltChunk, as_parsed
from xtaccounts.books.load import load_books
from xtaccounts.books.voucher_numbers import number_text
from xtaccounts.books.writer import format_entry
from xtaccounts.core.entries import fen_exact_balance, posting
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_flag_text
from xtaccounts.ops.bank_statement_import import import_statements

D = Decimal
day = dt.date.fromisoformat
BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
SUSPENSE = "Liabilities:Suspense-待查明款项"


def _txn(meta: dict[str, Any], *postings: data.Posting, **fields: Any) -> data.Transaction:
    values: dict[str, Any] = {
        "date": day("2026-03-04"),
        "flag": "*",
        "payee": "某*",
        "narration": "交存 维修资金",
        "tags": frozenset(),
        "links": frozenset({"8821-S1"}),
    }
    values.update(fields)
    return data.Transaction(
        data.new_metadata("txns/2026/x.beancount", 0) | meta,
        values["date"],
        values["flag"],
        values["payee"],
        values["narration"],
        values["tags"],
        values["links"],
        list(postings) or [posting(BANK, D("12.50")), posting(SUSPENSE, D("-12.50"))],
    )


def _chunk(entries: list[data.Directive], blank: bool) -> tuple[str, BuiltChunk]:
    texts = [format_entry(entry) for entry in entries]
    text = ("\n" if blank else "") + "\n".join(texts)
    return text, BuiltChunk(blank, tuple(entries), tuple(map(len, texts)))


def _both(chunks: list[tuple[str, BuiltChunk]], highest: dict) -> tuple[Any, Any]:
    texts = [text for text, _built in chunks]
    by_parse = dict(highest)
    text = "".join(number_text(chunk, by_parse) for chunk in texts)
    parsed, errors, _ = parser.parse_string(text)
    assert errors == []
    by_entries = dict(highest)
    read = as_parsed(texts, [built for _text, built in chunks], by_entries)
    return (text, parsed, by_parse), (read, by_entries)


def test_entries_read_back_as_the_parser_reads_their_text() -> None:
    first = [
        _txn({"kind": "deposit", "serial": "S1", "row": D(3), "statement": "a.csv"}),
        fen_exact_balance(day("2026-03-05"), BANK, D("1012.50"), {"row": D(4)}),
        _txn(
            {
                "voucher": "记-2026-03-0040",
                "kind": "suspense",
                "ok": True,
                "when": day("2026-01-02"),
            },
            posting(BANK, D("7.00")),
            posting(SUSPENSE, D("-7.00"), unit="U1", households="H1=7.00"),
            payee=None,
            flag="!",
            tags=frozenset({"t1"}),
        ),
    ]
    second = [
        _txn({"kind": "deposit"}, date=day("2026-04-30"), narration="转账 ＂引号＂"),
        _txn({"kind": "deposit", "rate": D("0.0135")}, date=day("2026-03-31")),
    ]
    (text, parsed, by_parse), (read, by_entries) = _both(
        [_chunk(first, False), _chunk(second, True)], {(2026, 3): 7}
    )
    assert read is not None
    assert "".join(read[0]) == text
    assert len(read[0]) == 2  # one piece a chunk
    assert read[1] == parsed
    assert by_entries == by_parse == {(2026, 3): 41, (2026, 4): 1}


def test_the_writers_chunks_let_each_entry_go_once_read_back() -> None:
    """`release`: the chunks' entries (the writer's lists) are let go as they are read back and
    the chunks' texts give way to the numbered text, the result the same; chunks of tuples, or
    a change not read back, are left as they are."""
    entries = [
        _txn({"kind": "deposit", "serial": f"S{n}"}, date=day(f"2026-03-{n:02d}"))
        for n in range(1, 6)
    ]
    chunks = [_chunk(entries[:2], False), _chunk(entries[2:], True)]
    texts = [text for text, _built in chunks]
    kept = as_parsed(texts, [built for _text, built in chunks], {})
    owned = [BuiltChunk(b.blank, list(b.entries), b.lengths) for _text, b in chunks]
    assert kept is not None and len(texts) == 2
    assert as_parsed(texts, owned, {}, release=True) == kept
    assert [b.entries for b in owned] == [[], []]
    assert texts == kept[0]  # each chunk's text given up for its numbered one
    assert all(len(b.entries) for _text, b in chunks)  # tuples: as they were
    odd = [_txn({"kind": "deposit"}, narration='say "hi"')]
    text, built = _chunk(odd, False)
    mine = BuiltChunk(built.blank, list(built.entries), built.lengths)
    assert as_parsed([text], [mine], {}, release=True) is None and mine.entries == odd


@pytest.mark.parametrize(
    "odd",
    [
        {"narration": 'say "hi"'},
        {"narration": "back\\slash"},
        {"narration": "two\nlines"},
        {"narration": ""},
        {"payee": ""},
        {"flag": "P"},
        {"links": frozenset({"not a link"})},
        {"meta": {"note": None}},
        {"meta": {"rate": D("1E+2")}},
        {"meta": {"rate": D("-1.5")}},
        {"meta": {"Bad": "x"}},
        {"meta": {"at": dt.datetime(2026, 1, 1, 9, 30)}},
        {"postings": [posting(BANK, D("1E+2")), posting(SUSPENSE, D("-100"))]},
        {"postings": [posting(BANK, D("-0.00")), posting(SUSPENSE, D("0.00"))]},
        {
            "postings": [
                data.Posting(BANK, data.Amount(D("1.00"), "c ny"), None, None, None, None),
                data.Posting(SUSPENSE, data.Amount(D("-1.00"), "c ny"), None, None, None, None),
            ]
        },
    ],
)
def test_an_entry_it_cannot_vouch_for_is_parsed(odd: dict[str, Any]) -> None:
    meta = odd.pop("meta", {})
    postings = odd.pop("postings", [])
    entries: list[data.Directive] = [_txn({"kind": "x"}), _txn(meta, *postings, **odd)]
    highest = {(2026, 3): 7}
    assert as_parsed(*map(list, zip(_chunk(entries, False), strict=True)), highest) is None
    assert highest == {(2026, 3): 7}


def test_an_import_reads_its_entries_back_as_the_parser_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import's real entries, through the writer's fast path: every file read back from
    its entries, each time equal to the parse of its text."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    main = build_base(tmp_path / "ledger")
    calls: list[bool] = []
    real = fast_check.as_parsed

    def checked(
        chunks: list[str],
        built: list[BuiltChunk],
        highest: dict,
        filename: str = PARSED_FILE,
        *,
        release: bool = False,
    ) -> Any:
        by_parse = dict(highest)
        text = "".join(number_text(chunk, by_parse) for chunk in chunks)
        read = real(chunks, built, highest, filename, release=release)
        calls.append(read is not None)
        if read is not None and release:  # the writer's chunks, let go once read back
            assert all(not chunk.entries for chunk in built)
        if read is not None:
            assert "".join(read[0]) == text
            # (named by the file appended to, as the parse's entries are renamed)
            assert read[1] == fast_check._named(parser.parse_string(text)[0], filename)
            assert highest == by_parse
        return read

    monkeypatch.setattr(fast_check, "as_parsed", checked)

    def statement(name: str, start: str, end: str, lines: list[BankLine]) -> Path:
        opening = sum(
            (
                p.units.number
                for e in load_books(main).entries
                if isinstance(e, data.Transaction)
                for p in e.postings
                if p.account == BANK
            ),
            D("0.00"),
        )
        path = tmp_path / name
        file = StatementFile(ICBC_NO, "中心", day(start), day(end), opening, tuple(lines))
        path.write_bytes(icbc_flag_text(file))
        return path

    first = [
        BankLine(day("2023-06-03"), D("88.00"), "转账 王小明 13812345678", counterparty="王小明"),
        BankLine(day("2023-06-03"), D("-3.00"), "手续费", serial="S2"),
    ]
    second = [
        BankLine(day("2023-06-05"), D("5.00"), "维修资金补交 N2099-9999", serial="S3"),
        BankLine(day("2023-06-06"), D("12.34"), '<b>"转账"</b>', serial="S4"),
    ]
    for name, start, end, lines in (
        ("a.xls", "2023-06-02", "2023-06-03", first),
        ("b.xls", "2023-06-04", "2023-06-06", second),
    ):
        path = statement(name, start, end, lines)
        report = import_statements(main, [path], read=read_statement_file)
        assert report.ok, report.files[0].error
    assert True in calls
