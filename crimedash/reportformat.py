"""The review report's blocks and the two formats they are written in.

Why apart from what the report says (`crimedash.report`): the report is built once as a
list of plain blocks and written out twice, as Markdown and as one offline HTML page
(inline CSS, pictures embedded as base64 PNG, nothing fetched from a CDN), so the two
formats cannot drift apart; and every text passes through `crimedash.textsafe` here, in
one place, whatever the content.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from crimedash.textsafe import html_text, markdown_text

__all__ = [
    "CSS",
    "VERDICT_COLOURS",
    "Block",
    "Bullets",
    "Figure",
    "Heading",
    "Para",
    "Rendered",
    "SignOff",
    "Table",
    "to_html",
    "to_markdown",
]

# White bold text on these keeps WCAG AA contrast (4.5:1), on a screen and a projector.
VERDICT_COLOURS = {"green": "#1a7431", "amber": "#a35200", "red": "#b2182b"}


# --- blocks ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = ""  # "", "lead", "note", or a verdict for the banner


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    key_column: bool = False  # the first column holds names (settings, files)


@dataclass(frozen=True)
class Figure:
    key: str
    number: int
    caption: str


@dataclass(frozen=True)
class SignOff:
    rows: tuple[tuple[str, str], ...]  # (role, name)


Block = Heading | Para | Bullets | Table | Figure | SignOff


@dataclass(frozen=True)
class Rendered:
    markdown: str
    html: str
    warnings: tuple[str, ...] = ()


# --- Markdown ----------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return markdown_text(text, inline=True)


def to_markdown(blocks: list[Block]) -> str:
    """Every text goes through `textsafe.markdown_text`: a reviewer's name, a
    justification or a group name holding HTML or a Markdown link is shown as written,
    never run by a Markdown viewer."""
    md = markdown_text
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + md(b.text, inline=True), ""]
        elif isinstance(b, Para):
            text = md(b.text)
            text = f"**{text}**" if b.kind in VERDICT_COLOURS else text
            out += [f"*{text}*" if b.kind == "note" else text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {md(item, inline=True)}" for item in b.items] + [""]
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in b.header) + " |")
            out.append("|" + "|".join("---" for _ in b.header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("")
        elif isinstance(b, Figure):
            out += [
                f"*Figure {b.number}: {md(b.caption, inline=True)}* (picture in report.html)",
                "",
            ]
        elif isinstance(b, SignOff):
            for role, name in b.rows:
                out += [
                    f"**{md(role, inline=True)}**",
                    "",
                    f"Name: {md(name, inline=True) if name else '____________________'}",
                    "",
                    "Signature: ____________________  Date: ____________",
                    "",
                ]
    return "\n".join(out).rstrip() + "\n"


# --- HTML --------------------------------------------------------------------------------
CSS = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0; background: #fff; line-height: 1.5; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 36px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 24px 0 8px; }
p.lead { color: var(--muted); margin-top: 0; }
p.note { color: var(--muted); font-size: 0.9rem; }
p.banner { color: #fff; font-weight: 600; font-size: 1.1rem; padding: 12px 16px;
  border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--bg); white-space: nowrap; }
td.key { white-space: nowrap; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 0.85rem; }
figure { margin: 12px 0 20px; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 4px; }
ul { padding-left: 22px; }
li { margin: 4px 0; }
.signoff { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; margin-top: 12px; }
.signoff > div { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.signoff .line { border-bottom: 1px solid var(--ink); min-height: 30px; padding-top: 6px;
  margin: 2px 0 12px; }
.signoff .label { color: var(--muted); font-size: 0.85rem; }
@media print { main { padding: 0; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
"""


def to_html(blocks: list[Block], figures: dict[str, bytes], title: str) -> str:
    e = html_text  # the one HTML rule (crimedash.textsafe)
    body: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            if b.kind in VERDICT_COLOURS:
                body.append(
                    f'<p class="banner" style="background:{VERDICT_COLOURS[b.kind]}">'
                    f"{e(b.text)}</p>"
                )
            else:
                cls = f' class="{b.kind}"' if b.kind else ""
                body.append(f"<p{cls}>{e(b.text)}</p>")
        elif isinstance(b, Bullets):
            body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{e(h)}</th>" for h in b.header)
            first = '<td class="key">' if b.key_column else "<td>"
            rows = "".join(
                "<tr>"
                + "".join(f"{first if i == 0 else '<td>'}{e(c)}</td>" for i, c in enumerate(row))
                + "</tr>"
                for row in b.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(b, Figure):
            data = base64.b64encode(figures[b.key]).decode("ascii")
            body.append(
                f'<figure><img alt="{e(b.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>Figure {b.number}: {e(b.caption)}</figcaption></figure>"
            )
        elif isinstance(b, SignOff):
            cells = "".join(
                f'<div><strong>{e(role)}</strong><div class="label">Name:</div>'
                f'<div class="line">{e(name)}</div><div class="label">Signature:</div>'
                f'<div class="line"></div><div class="label">Date:</div>'
                f'<div class="line"></div></div>'
                for role, name in b.rows
            )
            body.append(f'<div class="signoff">{cells}</div>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        "<body><main>\n" + "\n".join(body) + "\n</main></body></html>\n"
    )
