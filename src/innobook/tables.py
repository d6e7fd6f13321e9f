"""Tables for reading: numbers formatted for people, no index, nothing cut off.

A notebook ends a cell with ``tables.show(df)`` instead of ``df``: the page then shows a
table without the pandas index, with readable numbers (years as years, thousands
separated, a sensible number of decimals per column, "yes"/"no" for booleans and a dash
for a missing value) instead of ``48.922441``, ``2024.0``, ``True`` and ``NaN``.

    from innobook import tables
    tables.show(df, formats={"growth_pct": "{:.1f}", "start_value": "{:,.1f}"},
                labels={"growth_pct": "Growth (%)"})

``formats`` maps a column to a format string (``"{:.2f}"``), a d3-style spec as used in
chart tooltips (``".2f"``, ``",.0f"``) or a function; other columns get a format chosen
from their values (:func:`auto_format`). The result renders as an HTML table in the page
and as aligned plain text in a terminal or notebook viewer; ``.styler`` is the pandas
Styler behind it, ``.frame`` the formatted text.

``regression(result)`` turns a statsmodels result into the same kind of table (estimate,
standard error, statistic, p-value, interval) with the fit statistics as its caption, so
a summary wraps on a phone instead of running off the right edge.

``html_table(df, ...)`` is the plain HTML the charts' *Table* tab uses (no styles, no ids).
"""

from __future__ import annotations

import hashlib
import html
import math
import numbers
import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

NA = "–"  # an en dash: "no value", never a made-up zero
YEAR_NAMES = re.compile(r"(^|_)(year|yr|batch)s?($|_)", re.I)
Formatter = Callable[[Any], str]


# --------------------------------------------------------------------------- single values
def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def d3_to_python(spec: str) -> str | None:
    """A Python format spec for the d3 number formats charts use (``.2f``, ``,.1f``, ``.0%``, ``d``)."""
    m = re.fullmatch(r"(,?)(?:\.(\d+))?([fd%e])", spec.strip())
    if not m:
        return None
    comma, digits, kind = m.groups()
    if kind == "d":
        return f"{comma},.0f" if comma else ".0f"
    return f"{comma}.{digits or 0}{kind}"


def formatter(spec: str | Formatter | None) -> Formatter | None:
    """A function from a value to text, from a format string, a d3 spec or a function."""
    if spec is None:
        return None
    if callable(spec):
        return spec
    if "{" in spec:
        return lambda v, s=spec: s.format(v)
    py = d3_to_python(spec)
    if py is None:
        return None  # not a number format this module knows: the column gets its automatic format
    return lambda v, s=py: format(v, s)


def _all_integral(values: pd.Series) -> bool:
    vals = values.dropna()
    if vals.empty:
        return False
    try:
        return bool(((vals.astype(float) % 1) == 0).all())
    except (TypeError, ValueError):
        return False


def decimals_for(values: pd.Series, significant: int = 3, most: int = 2) -> int:
    """Decimals for a column: those the values were published with, if at most ``most``;
    otherwise enough to show ``significant`` digits of a typical value, at most ``most``."""
    vals = pd.to_numeric(values, errors="coerce").dropna().abs()
    vals = vals[vals > 0]
    if vals.empty:
        return 0
    for places in range(most + 1):
        if bool(((vals * 10 ** places).round(6) % 1 == 0).all()):
            return places
    typical = float(vals.median())
    digits_before = max(1, math.floor(math.log10(typical)) + 1)
    return int(min(most, max(0, significant - digits_before)))


def is_year_column(name: str, values: pd.Series) -> bool:
    """Years print as 2024, never 2,024 or 2024.0."""
    if not _all_integral(values):
        return False
    vals = pd.to_numeric(values, errors="coerce").dropna()
    if YEAR_NAMES.search(str(name)):
        return True
    return bool(len(vals)) and bool(vals.between(1800, 2100).all())


def auto_format(name: str, values: pd.Series) -> Formatter:
    """The format a reader expects for one column, chosen from its name and values."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (len(present) and present.map(
            lambda v: isinstance(v, (bool, np.bool_))).all()):
        return lambda v: "yes" if bool(v) else "no"
    if pd.api.types.is_datetime64_any_dtype(values):
        return lambda v: pd.Timestamp(v).strftime("%Y-%m-%d") if pd.Timestamp(v).time() == pd.Timestamp(0).time() \
            else pd.Timestamp(v).isoformat(sep=" ")
    numeric = pd.to_numeric(values, errors="coerce")
    if values.notna().any() and numeric[values.notna()].notna().all() and not values.dropna().map(
            lambda v: isinstance(v, str)).any():
        if is_year_column(name, values):
            return lambda v: str(int(v))
        if _all_integral(values):
            return lambda v: f"{int(v):,}"
        places = decimals_for(values)
        big = numeric.abs().max() >= 10_000
        return (lambda v, p=places: f"{float(v):,.{p}f}") if big else (lambda v, p=places: f"{float(v):.{p}f}")
    return _text


def _text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return f"{value:.4g}"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00(\.0+)?(Z|[+-]00:00)?", value):
        return value[:10]
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def column_formatters(df: pd.DataFrame, formats: Mapping[str, Any] | None = None) -> dict[str, Formatter]:
    """One formatter per column: the one given, else :func:`auto_format`."""
    formats = dict(formats or {})
    out = {}
    for col in df.columns:
        given = formatter(formats.get(col))
        out[col] = given or auto_format(str(col), df[col])
    return out


def format_frame(df: pd.DataFrame, formats: Mapping[str, Any] | None = None, na: str = NA) -> pd.DataFrame:
    """The table as text, cell by cell (what the reader sees)."""
    fmts = column_formatters(df, formats)
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        f = fmts[col]
        out[col] = [na if _is_missing(v) and not isinstance(v, (list, tuple)) else f(v) for v in df[col]]
    return out


def _label(col: Any, labels: Mapping[str, str] | None) -> str:
    if labels and col in labels:
        return str(labels[col])
    text = str(col)
    if text == text.lower() and re.fullmatch(r"[a-z0-9_ ]+", text):
        text = text.replace("_", " ")
        text = re.sub(r"\bpct\b", "(%)", text)
        text = re.sub(r"\bpp\b", "(points)", text)
        return text[:1].upper() + text[1:]
    return text


def _numeric_columns(df: pd.DataFrame) -> set:
    return {c for c in df.columns
            if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])}


# --------------------------------------------------------------------------- HTML
def html_table(df: pd.DataFrame, formats: Mapping[str, Any] | None = None, *,
               labels: Mapping[str, str] | None = None, caption: str | None = None,
               classes: str = "innobook-table", na: str = NA, max_rows: int | None = None,
               lang: str = "en", codes: Sequence[str] = ()) -> str:
    """A plain, accessible HTML table (header cells with ``scope``, numbers right-aligned).

    ``lang="zh"``: headings, caption and text cells in Chinese (:func:`zh_term`), the same
    formatted numbers; the cells of a code column (named in ``codes``, or holding an identifier
    such as ``year_industry``) are kept as written."""
    shown = df if max_rows is None else df.head(max_rows)
    text = format_frame(shown, formats, na)
    numeric = _numeric_columns(df)
    kept = set(codes) | {c for c in df.columns if c not in numeric and is_code_column(text[c])}
    heading = (lambda v: v) if lang == "en" else zh_term
    cell = (lambda v, c: v) if lang == "en" else (lambda v, c: v if c in kept else zh_term(v))
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if c in numeric else ""}>{html.escape(heading(_label(c, labels)))}</th>'
                   for c in df.columns)
    rows = []
    for _, row in text.iterrows():
        cells = "".join(f'<td{num if c in numeric else ""}>'
                        f'{html.escape(str(row[c]) if c in numeric else cell(str(row[c]), c))}</td>'
                        for c in df.columns)
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(heading(caption))}</caption>" if caption else ""
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = (f'<p class="innobook-table__more">First {max_rows} of {len(df):,} rows; '
                f"the CSV download holds them all.</p>" if lang == "en" else
                f'<p class="innobook-table__more">仅列出前{max_rows}行（共{len(df):,}行），'
                f"CSV下载文件包含全部数据。</p>")
    return (f'<div class="innobook-table-wrap"><table class="{html.escape(classes)}">{cap}'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>{more}')


# --------------------------------------------------------------------------- Chinese words
# innobook.i18n.zh leaves a lone lowercase word ("supported", "kept", "yes") as it is, because
# it cannot tell it from an identifier. In a table or a glued value such a word is read as a
# word, so it is looked up in the same catalog (and listed for translation when missing); an
# identifier with an underscore ("year_industry", "official_reprint") is a code and stays.
WORD = re.compile(r"[a-z]+")
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def zh_term(text: Any) -> Any:
    """The Chinese of a text shown to a reader (see :func:`innobook.i18n.zh_term`)."""
    from . import i18n

    return i18n.zh_term(text)


def is_code_column(cells: Sequence[Any]) -> bool:
    """Does a column hold codes (some cell an identifier, alone or in a list) rather than words?"""
    return any(isinstance(v, str) and any(CODE.fullmatch(part.strip()) for part in v.split(","))
               for v in cells)


class Table:
    """A formatted table: HTML in the page, aligned text in a terminal."""

    def __init__(self, df: pd.DataFrame, formats=None, *, labels=None, caption=None, na: str = NA,
                 codes: Sequence[str] = ()):
        self.data = df
        self.formats = dict(formats or {})
        self.labels = dict(labels or {})
        self.caption = caption
        self.na = na
        self.codes = tuple(codes)
        self.frame = format_frame(df, self.formats, na)

    @property
    def styler(self):
        """The pandas Styler of this table (formatted, index hidden, a stable id)."""
        fmts = column_formatters(self.data, self.formats)
        digest = hashlib.sha256(self.frame.to_csv().encode()).hexdigest()[:10]
        styler = (self.data.style
                  .format({c: (lambda v, f=f: self.na if _is_missing(v) else f(v)) for c, f in fmts.items()})
                  .hide(axis="index")
                  .relabel_index([_label(c, self.labels) for c in self.data.columns], axis="columns")
                  .set_uuid(digest)
                  .set_table_attributes('class="innobook-table"'))
        if self.caption:
            styler = styler.set_caption(self.caption)
        return styler

    def _repr_html_(self) -> str:
        return html_table(self.data, self.formats, labels=self.labels, caption=self.caption, na=self.na)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The English table, with the Chinese one in the output's metadata (one run, two
        editions: see :mod:`innobook.i18n`)."""
        from .i18n import bundle_metadata

        chinese = html_table(self.data, self.formats, labels=self.labels, caption=self.caption,
                             na=self.na, lang="zh", codes=self.codes)
        text = self.to_text()
        return ({"text/html": self._repr_html_(), "text/plain": text},
                bundle_metadata({"text/html": chinese, "text/plain": text}))

    def to_text(self) -> str:
        shown = self.frame.copy()
        shown.columns = [_label(c, self.labels) for c in self.data.columns]
        text = shown.to_string(index=False)
        return f"{self.caption}\n{text}" if self.caption else text

    def __repr__(self) -> str:
        return self.to_text()


def show(df: pd.DataFrame | pd.Series, formats: Mapping[str, Any] | None = None, *,
         labels: Mapping[str, str] | None = None, caption: str | None = None, index: bool | None = None,
         na: str = NA, codes: Sequence[str] = ()) -> Table:
    """A table for reading: no index (unless it carries meaning), readable numbers.

    A named index (``year``, say) becomes the first column; a plain 0..n-1 index is dropped.
    A Series becomes a two-column table. ``codes`` names columns whose cells are codes, shown
    as written in both editions (a column holding an identifier is found without being named).
    """
    if isinstance(df, pd.Series):
        df = df.to_frame(df.name if df.name is not None else "value")
    keep_index = index if index is not None else any(n is not None for n in df.index.names)
    if keep_index:
        df = df.reset_index()
    else:
        df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    return Table(df, formats, labels=labels, caption=caption, na=na, codes=codes)


# --------------------------------------------------------------------------- regressions
def regression(result, *, names: Mapping[str, str] | None = None, digits: int = 3,
               caption: str | None = None, keep: Sequence[str] | None = None) -> Table:
    """A statsmodels result as a readable table, fit statistics in the caption.

    Columns: term, estimate, standard error, z or t statistic, p-value and the 95%
    interval. ``keep`` limits the rows to some terms (fixed effects can be many).
    """
    exog = getattr(getattr(result, "model", None), "exog_names", None)

    def named(values):
        if isinstance(values, (pd.Series, pd.DataFrame)):
            return values
        values = np.asarray(values)
        index = exog if exog is not None and len(exog) == len(values) else range(len(values))
        return pd.DataFrame(values, index=index) if values.ndim == 2 else pd.Series(values, index=index)

    params, bse, stat, pvalues = (named(result.params), named(result.bse), named(result.tvalues),
                                  named(result.pvalues))
    ci = named(result.conf_int())
    ci.columns = [0, 1]
    terms = list(params.index) if keep is None else [t for t in params.index if t in keep]
    kind = "z" if getattr(result, "use_t", False) is False else "t"
    df = pd.DataFrame({
        "Term": [(names or {}).get(t, t) for t in terms],
        "Estimate": [params[t] for t in terms],
        "Std. error": [bse[t] for t in terms],
        kind: [stat[t] for t in terms],
        "p-value": [pvalues[t] for t in terms],
        "95% interval": [f"{ci.loc[t, 0]:.{digits}f} to {ci.loc[t, 1]:.{digits}f}" for t in terms],
    })
    fits = []
    nobs = getattr(result, "nobs", None)
    if nobs is not None:
        fits.append(f"{int(nobs):,} observations")
    for attr, label in (("rsquared", "R²"), ("prsquared", "pseudo R²"), ("llf", "log-likelihood"),
                        ("aic", "AIC")):
        value = getattr(result, attr, None)
        try:
            if value is not None and not math.isnan(float(value)):
                fits.append(f"{label} {float(value):,.{digits}f}")
                if len(fits) >= 3:
                    break
        except (TypeError, ValueError):
            continue
    cov = getattr(result, "cov_type", None)
    if cov:
        fits.append(f"standard errors: {cov}")
    model = type(getattr(result, "model", None)).__name__ if getattr(result, "model", None) is not None else ""
    cap = caption or ((f"{model}: " if model else "") + "; ".join(fits))
    fmt = f"{{:.{digits}f}}"
    pfmt = (lambda p: "<0.001" if p < 0.001 else f"{p:.3f}")
    return Table(df, {"Estimate": fmt, "Std. error": fmt, kind: "{:.2f}", "p-value": pfmt},
                 caption=cap)
