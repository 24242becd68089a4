"""`povguard import` progress bars: per file on a terminal, nothing when piped."""

from __future__ import annotations

import io

from rich.console import Console

from povguard.cli.imports import _progress_bars


def test_a_terminal_gets_a_bar_per_phase_naming_the_file() -> None:
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=120)
    with _progress_bars(console) as progress:
        assert progress is not None
        progress("validate", "households", 1, 2)
        progress("validate", "feeds/medical", 2, 2)
        progress("load", "feeds/medical", 1, 1)
        progress("store", "households", 1, 1)
    text = output.getvalue()
    assert "validating feeds/medical" in text and "2/2" in text
    assert "writing the lake feeds/medical" in text and "storing households" in text


def test_piped_output_stays_quiet() -> None:
    output = io.StringIO()
    with _progress_bars(Console(file=output, force_terminal=False)) as progress:
        assert progress is None
    assert output.getvalue() == ""
