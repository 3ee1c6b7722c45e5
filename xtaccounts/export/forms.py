"""The statutory forms' layout (forms.toml, which a ledger's registry may override)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xtaccounts.core.errors import XtError
from xtaccounts.registry import Registry

OVERRIDE_FILE = "export_forms.toml"
ROW_KINDS = (
    "prior_close",
    "adjustment",
    "opening",
    "surplus",
    "distributed",
    "transfer",
    "closing",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormLine(_Model):
    """One line (行次) of 01表 or 02表: a sum of statutory codes, or a total of other lines."""

    line: int = Field(gt=0)
    name: str
    section: str = ""
    code: str = ""
    sums: tuple[str, ...] = ()
    sign: int = Field(default=1)
    total: tuple[int, ...] = ()
    subtract: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _one_kind(self) -> FormLine:
        if self.sign not in (1, -1):
            raise ValueError(f"line {self.line}: sign must be 1 or -1")
        if bool(self.sums) == bool(self.total or self.subtract):
            raise ValueError(f"line {self.line}: give either sums or total/subtract")
        return self


class LineForm(_Model):
    form: str
    title: str
    columns: tuple[str, str]
    lines: tuple[FormLine, ...]

    @model_validator(mode="after")
    def _references(self) -> LineForm:
        seen: set[int] = set()
        for line in self.lines:
            for ref in (*line.total, *line.subtract):
                if ref not in seen:
                    raise ValueError(f"{self.form} line {line.line}: total of unknown line {ref}")
            seen.add(line.line)
        return self


class NetAssetColumn(_Model):
    name: str
    code: str = ""
    sums: tuple[str, ...]


class NetAssetRow(_Model):
    line: int = Field(gt=0)
    name: str
    kind: str

    @model_validator(mode="after")
    def _kind(self) -> NetAssetRow:
        if self.kind not in ROW_KINDS:
            raise ValueError(f"row {self.line}: kind must be one of {', '.join(ROW_KINDS)}")
        return self


class NetAssetForm(_Model):
    form: str
    title: str
    columns: tuple[NetAssetColumn, ...] = Field(min_length=1)
    rows: tuple[NetAssetRow, ...]


class Forms(_Model):
    """The three statements; `confirmed_codes` are the codes confirmed from the published text."""

    confirmed_codes: tuple[str, ...] = ()
    balance_sheet: LineForm
    income_statement: LineForm
    net_assets: NetAssetForm
    source: str = ""

    def codes_used(self) -> set[str]:
        codes: set[str] = set()
        for form in (self.balance_sheet, self.income_statement):
            for line in form.lines:
                codes.update(line.sums)
        for column in self.net_assets.columns:
            codes.update(column.sums)
        return codes


def load_forms(registry: Registry) -> Forms:
    """`registry/export_forms.toml` if the ledger has one, else the packaged forms.toml.

    Raises XtError when the file is invalid or names a code pilot.toml's mof_accounts lacks.
    """
    override = Path(registry.directory) / OVERRIDE_FILE
    if override.is_file():
        text, source = override.read_text(encoding="utf-8"), str(override)
    else:
        text = resources.files("xtaccounts.export").joinpath("forms.toml").read_text("utf-8")
        source = "xtaccounts/export/forms.toml"
    try:
        forms = Forms.model_validate({**tomllib.loads(text), "source": source})
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise XtError(f"{source}: " + " ".join(str(exc).split())) from exc
    known = {account.code for account in registry.pilot.mof_accounts}
    missing = sorted(forms.codes_used() - known)
    if missing:
        raise XtError(
            f"{source} sums code(s) {', '.join(missing)} that pilot.toml's [[mof_accounts]] "
            "does not define（2901 待查明款项、2902 应付保险机构保险费 已从 2001 分出，"
            "见 xtaccounts/registry/pilot.default.toml）"
        )
    return forms
