"""``ecerp bench``: throughput beside a raw-database baseline measured in the same run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from ecerp_core.cli.output import echo_json


@click.command()
@click.argument("names", nargs=-1)
@click.option("--repeat", default=3, show_default=True, help="Timed runs per side; medians are reported.")
@click.option("--scale", default=1.0, show_default=True, help="1.0 is the documented size.")
@click.option(
    "--database-url",
    envvar="ECERP_BENCH_DATABASE_URL",
    help="Run against this PostgreSQL database (its tables are dropped!) instead of fresh SQLite files.",
)
@click.option(
    "--series",
    type=click.IntRange(min=1),
    help="Series for forecast-scale (default 10,000), to try it quickly.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--list", "list_only", is_flag=True, help="List the benchmarks and stop.")
def bench(
    names: tuple[str, ...],
    repeat: int,
    scale: float,
    database_url: str | None,
    series: int | None,
    as_json: bool,
    list_only: bool,
) -> None:
    """Run benchmarks (all, or those NAMES) and print medians, baselines and ratios."""
    try:
        from benchmarks.core import BenchConfig
        from benchmarks.suite import load_all
    except ImportError:
        click.echo("error: the benchmarks/ folder is not importable; run from an ecerp checkout", err=True)
        sys.exit(2)
    available = load_all()
    if list_only:
        for name, fn in available.items():
            click.echo(f"{name:<22} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
        return
    unknown = [n for n in names if n not in available]
    if unknown:
        raise click.BadParameter(
            f"unknown benchmark(s): {', '.join(unknown)}; see --list", param_hint="NAMES"
        )
    results = []
    with tempfile.TemporaryDirectory(prefix="ecerp-bench-") as tmp:
        cfg = BenchConfig(Path(tmp), repeat=repeat, scale=scale, database_url=database_url, series=series)
        for name in names or tuple(available):
            result = available[name](cfg)
            results.append(result)
            if not as_json:
                _print(result)
    if as_json:
        echo_json([r.as_dict() for r in results])


def _print(result) -> None:
    d = result.as_dict()
    click.echo(
        f"{d['name']:<28} [{d['backend']}] {d['rows']:>9,} {d['unit']:<5} "
        f"ecerp {d['ours_median_s']:>8.3f} s ({d['ours_rate_per_s']:>10,.0f}/s) | "
        f"{d['baseline']} {d['baseline_median_s']:>8.3f} s ({d['baseline_rate_per_s']:>10,.0f}/s) | "
        f"ratio {d['ratio']:.2f}x  (median of {d['runs']})"
    )
    if d["note"]:
        click.echo(f"{'':<28}   {d['note']}")
