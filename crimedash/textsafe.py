"""One escaping rule per medium, for every text that comes from data, a link or a form.

Group names, area codes, reviewer names, justifications and file names are written by
someone else: a shared link can name a group `<img src=x onerror=...>`, a CSV can hold
`=cmd|' /C calc'!A0`, a reviewer's name can hold an ESC sequence that retitles the
terminal. Each medium that shows such text gets one function here, and every writer of
that medium calls it, so the rules cannot drift apart (tests/test_hostile.py runs one
payload list through all of them):

- `html_text`: HTML text and attribute values (the report, the deck's tooltips, any
  markdown the app renders with HTML allowed);
- `markdown_text`: Markdown (report.md, text the app shows through st.markdown);
- `terminal_text`: a terminal (control characters, ESC included, shown escaped);
- `csv_cell` / `csv_bytes`: spreadsheet cells (formula neutralisation), for every CSV
  the project writes.

Pure functions with no project imports, so any layer may use them.
"""

from __future__ import annotations

import csv
import html
import re

import pandas as pd

__all__ = [
    "FORMULA_START",
    "csv_bytes",
    "csv_cell",
    "html_text",
    "markdown_text",
    "terminal_text",
]

# A text cell starting with one of these is run as a formula by Excel, LibreOffice and
# Google Sheets (CSV injection, OWASP); a leading quote makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A cell that is only a number ("-5", "+1.5e3") is read as that number, never run.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Markdown punctuation that starts a link, an image, code, emphasis or a table cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|~])")
# Line starts that turn a line into a heading, a quote, a list item or a code fence.
_MARKDOWN_LINE_START = re.compile(r"(?m)^(\s*)([#>+\-=]|\d+(?=[.)]))")
# Control characters (ESC and the other C0/C1 codes but tab and line breaks): no
# document needs them, and a terminal showing the file would act on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_text(value: object) -> str:
    """Text safe inside HTML element content and quoted attribute values: & < > " '
    become entities, so no tag, attribute or script can start; control characters are
    dropped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def markdown_text(value: object, *, inline: bool = False) -> str:
    """Text safe inside Markdown: raw HTML cannot start (< > & become entities), and
    link, image, code and emphasis syntax is backslash-escaped, so `[x](javascript:..)`
    and `![](http://tracker)` show as written instead of becoming a link or an image.
    A line that would become a heading, quote or list is escaped too; `inline=True`
    (a table cell) puts everything on one line instead, where no line can start.
    Underscores are left alone: inside a word (file_name) they never emphasise."""
    text = html.escape(_CONTROL.sub("", str(value)), quote=False)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if inline:
        return " ".join(text.splitlines())
    return _MARKDOWN_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    lead, mark = m.group(1), m.group(2)
    if mark[0].isdigit():  # "1." or "1)": escape the dot or bracket that follows
        return f"{lead}{mark}\\"
    return f"{lead}\\{mark}"


def terminal_text(value: object) -> str:
    """Text safe to print in a terminal: every character that is not printable (ESC,
    the other C0/C1 controls, line breaks, bidi overrides) is shown as its escape
    (`\\x1b`, `\\n`, `\\u202e`), so data can never move the cursor, retitle the window
    or hide what follows."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def csv_cell(value: str) -> str:
    """A text cell a spreadsheet would run as a formula (starting with = + - @, a tab or
    a carriage return) gets a leading single quote, so it shows as text. A cell that is
    a plain number ("-5", "+1.5") is left as it is: it is read as that number."""
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV that is safe to open in a spreadsheet and byte-stable: every
    text cell through `csv_cell` and quoted (so a stray line break cannot split a row),
    integers bare, '\\n' line ends, no index. Every CSV crimedash writes goes through
    here: the public table, the review's rejected rows and `crimedash load
    --rejected-out`."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype(str).map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).encode(
        "utf-8"
    )
