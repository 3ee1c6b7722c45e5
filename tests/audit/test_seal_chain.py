"""Seals that cannot be removed quietly: the chain, digests without their record, the head held
outside the centre (`--expect-seal`), and the head in every export's manifest."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import xt

ICBC_2024 = "txns/2024/bank-ICBC-8821.beancount"
PAYMENT = '2024-12-31 * "湘潭某财产保险股份有限公司" "支付电梯保险费 电梯保险保费"'


def audit(main: Path, *args: str) -> tuple[int, dict]:
    """Exit code and report; the findings after the history check's, which names the hand
    edits these tests make as changes outside the writer (always first)."""
    done = xt(main, "audit", "--format", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    history = [f for f in report["findings"] if f["check"] == "history"]
    assert report["findings"][: len(history)] == history
    report["findings"] = report["findings"][len(history) :]
    return done.returncode, report


def first_line(main: Path, rel: str, needle: str) -> int:
    lines = (main.parent / rel).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def pay_100_more(main: Path) -> int:
    """The sealed 2024-12-31 premium payment made 100.00 larger; its line."""
    path = main.parent / ICBC_2024
    text = path.read_text(encoding="utf-8")
    start = text.index(PAYMENT)
    end = text.find("\n\n", start) % (len(text) + 1)  # the block ends the file
    block = text[start:end].replace("   5600.00 CNY", "   5700.00 CNY")
    block = block.replace("-5600.00 CNY", "-5700.00 CNY")
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    return first_line(main, ICBC_2024, PAYMENT)


def record(main: Path, reason: str) -> None:
    """Record the hand edits in the books' history, as the writer asks before it writes."""
    done = xt(main, "history", "record", "--reason", reason)
    assert done.returncode == 0, done.stderr


def drop_seal_records(main: Path) -> None:
    (main.parent / "seals.beancount").write_text("", encoding="utf-8")


def test_the_demo_seal_records_its_link_and_the_export_carries_the_head(
    demo_copy: Path, tmp_path: Path
) -> None:
    seals = (demo_copy.parent / "seals.beancount").read_text(encoding="utf-8")
    assert 'previous: "none"' in seals and "chain: " in seals
    done = xt(demo_copy, "export", "--period", "2025", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    head = manifest["seal"]["chain_head"]
    assert manifest["seal"]["through"] == "2025-12-31" and len(head) == 64
    assert f'chain: "{head}"' in seals
    code, report = audit(demo_copy, "--expect-seal", head)
    assert code == 0, report["findings"]
    assert audit(demo_copy, "--expect-seal", head[:16])[0] == 0


def test_emptied_seal_records_and_a_changed_sealed_payment_are_named(demo_copy: Path) -> None:
    drop_seal_records(demo_copy)
    line = pay_100_more(demo_copy)
    code, report = audit(demo_copy)
    assert code == 1
    first, second = report["findings"][:2]
    assert (first["code"], first["entries"][0]["file"]) == (
        "seal-record-missing",
        "seals/2025-12-31.digests",
    )
    assert second["code"] == "sealed-changed"
    assert (second["entries"][0]["file"], second["entries"][0]["line"]) == (ICBC_2024, line)
    assert second["expected"] != second["booked"]


def test_a_rewritten_chain_no_longer_holds_the_head_the_bureau_was_given(
    demo_copy: Path,
) -> None:
    code, report = audit(demo_copy)
    seals = (demo_copy.parent / "seals.beancount").read_text(encoding="utf-8")
    given = seals.split('chain: "')[1].split('"')[0]
    # Covering tracks: the seal and its digests removed, a payment changed, sealed again.
    drop_seal_records(demo_copy)
    (demo_copy.parent / "seals" / "2025-12-31.digests").unlink()
    pay_100_more(demo_copy)
    record(demo_copy, "封存与付款被改动（测试）")
    resealed = xt(demo_copy, "seal", "--through", "2025-12-31", "--format", "json")
    assert resealed.returncode == 0, resealed.stderr
    assert json.loads(resealed.stdout)["chain"] != given
    code, report = audit(demo_copy, "--expect-seal", given)
    assert code == 1
    expected = [f for f in report["findings"] if f["code"] == "seal-expected"]
    assert expected and expected[0]["expected"] == given
    assert report["findings"][0]["check"] == "seal"


def test_a_seal_removed_from_the_middle_of_the_chain_is_named(demo_copy: Path) -> None:
    drop_seal_records(demo_copy)
    (demo_copy.parent / "seals" / "2025-12-31.digests").unlink()
    record(demo_copy, "重新逐年封存（测试）")
    for through in ("2024-12-31", "2025-12-31"):
        done = xt(demo_copy, "seal", "--through", through)
        assert done.returncode == 0, done.stderr
    assert audit(demo_copy)[0] == 0
    # The 2024 seal's record and digests removed: the 2025 seal still names it as previous.
    seals = demo_copy.parent / "seals.beancount"
    text = seals.read_text(encoding="utf-8")
    start = text.index('2024-12-31 custom "xt-seal"')
    end = text.index("\n\n", start) + 2
    seals.write_text(text[:start] + text[end:], encoding="utf-8")
    (demo_copy.parent / "seals" / "2024-12-31.digests").unlink()
    code, report = audit(demo_copy)
    assert code == 1
    assert report["findings"][0]["code"] == "seal-chain"
    assert "2025-12-31" in report["findings"][0]["message"]


def test_sealing_before_the_last_seal_and_a_bad_expected_head_are_refused(
    demo_copy: Path,
) -> None:
    done = xt(demo_copy, "seal", "--through", "2024-12-31")
    assert done.returncode == 1 and "封存链只能向后延伸" in done.stderr
    done = xt(demo_copy, "audit", "--expect-seal", "not-hex")
    assert done.returncode == 1 and "--expect-seal" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_registry_row_sealed_entries_depend_on_is_named_when_changed(demo_copy: Path) -> None:
    """The demand rate agreement's agreed rate edited after the seal (to match falsified
    receipt metadata, say), and an elevator's commissioning date moved."""
    kept = demo_copy.parent / "seals" / "2025-12-31.registry.json"
    assert "RA-ICBC-D-2023" in kept.read_text(encoding="utf-8")
    assert "owner" not in kept.read_text(encoding="utf-8")  # no personal data kept
    registry = demo_copy.parent / "registry"
    rates = registry / "rate_agreements.csv"
    rates.write_text(
        rates.read_text(encoding="utf-8").replace(
            "RA-ICBC-D-2023,ICBC,demand,0.35,pboc,1.15,",
            "RA-ICBC-D-2023,ICBC,demand,0.35,pboc,1.35,",
        ),
        encoding="utf-8",
    )
    code, report = audit(demo_copy)
    assert code == 1
    [changed] = [f for f in report["findings"] if f["code"] == "registry-changed"]
    assert (changed["entries"][0]["file"], changed["entries"][0]["line"]) == (
        "registry/rate_agreements.csv",
        2,
    )
    assert "agreed_rate" in changed["message"] and "1.15" in changed["message"]
    assert (changed["expected"], changed["booked"]) == ('"1.15"', '"1.35"')


def test_the_export_manifest_carries_every_registry_files_digest(
    demo_copy: Path, tmp_path: Path
) -> None:
    done = xt(demo_copy, "export", "--period", "2025", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["registry"]) >= {"rate_agreements.csv", "households.csv", "pilot.toml"}
    assert all(len(digest) == 64 for digest in manifest["registry"].values())
