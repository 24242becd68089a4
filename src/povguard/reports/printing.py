"""Printable documents: one style (A4, Noto Sans CJK SC from Debian, page numbers
"第 n 页 / 共 N 页"), HTML laid out and written to PDF by WeasyPrint."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

Progress = Callable[[float], None]
STYLE = """
@page { size: A4; margin: 16mm 14mm 18mm;
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                   font-size: 8pt; color: #666; } }
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 10pt; color: #222; }
h1 { font-size: 17pt; margin: 0 0 2mm; color: #b3261e; }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #b3261e; }
.muted { color: #666; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #999; padding: 1.2mm 1.5mm; }
th { background: #f3e5e4; font-weight: bold; }
td.num, th.num { text-align: right; }
.figures td { width: 25%; }
.figures .big { font-size: 14pt; font-weight: bold; }
.chart { margin: 2mm 0; }
.chart svg { width: 100%; height: auto; }
.list { font-size: 8.5pt; table-layout: fixed; border-collapse: separate; border-spacing: 0; }
.list td { white-space: nowrap; border: none; padding: 0.9mm 1.5mm; }
.list td.wrap { white-space: normal; }
.list th { border: none; border-bottom: 0.8pt solid #b3261e; }
.list tbody tr:nth-child(even) { background: #f4f4f4; }
.list thead { display: table-header-group; }
.list tr { page-break-inside: avoid; }
.new-page { page-break-before: always; }
"""


def document(title: str, subtitle: str, body: str) -> str:
    """A printable HTML document: the style, its title and a line under it, then `body`."""
    return (
        f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="muted">{escape(subtitle)}</p>{body}</body></html>'
    )


def render_pdf(html: str, out: Path, progress: Progress | None = None) -> int:
    """Lay `html` out and write it to `out` as PDF; returns the number of pages."""
    from weasyprint import HTML  # imported on use: loading Pango takes a moment

    rendered = HTML(string=html).render()
    if progress:
        progress(0.9)
    rendered.write_pdf(out)
    return len(rendered.pages)
