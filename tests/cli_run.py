"""Running the ``ecerp`` command inside a test: ``code, out, err = run(capsys, "orders", "review")``."""

from __future__ import annotations

from ecerp_core.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``ecerp ARGS`` in this process; its exit code and what it printed."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err
