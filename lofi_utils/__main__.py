"""Command line of the book: ``python -m lofi_utils run|profiles|records|reproduce ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import profiles as _profiles
from .runner import DEFAULT_OUTPUT_DIR, NotebookFailed, parse_value, run_notebook


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line ends in one line (the usage is in ``--help``)."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    ap = _OneLineParser(prog="python -m lofi_utils", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    run = sub.add_parser("run", help="execute a chapter notebook with papermill at a profile")
    run.add_argument("notebook", help="path to a jupytext .md notebook (or .ipynb)")
    run.add_argument(
        "--profile",
        default=None,
        help=f"one of {', '.join(_profiles.PROFILE_NAMES)} (default: $LOFI_PROFILE or 'book')",
    )
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter of the notebook's parameters cell (repeatable)",
    )
    run.add_argument(
        "--output-dir", default=str(DEFAULT_OUTPUT_DIR), help="folder for the executed .ipynb (default: %(default)s)"
    )
    run.add_argument("--timeout", type=int, default=None, help="per-cell time limit in seconds")
    run.add_argument("--progress", action="store_true", help="show papermill's cell progress bar")
    rec = sub.add_parser("records", help="compare the check records of two executions (folders of <chapter>.jsonl)")
    rec.add_argument("a", help="folder of check records ($LOFI_CHECKS_DIR of the first execution)")
    rec.add_argument("b", help="folder of check records of the second execution")
    repro = sub.add_parser(
        "reproduce", help="run paper-scale grids of cells and summarise them into results/ (tasks.py reproduce)"
    )
    from .reproduce.cli import add_arguments

    add_arguments(repro)
    prof = sub.add_parser("profiles", help="print the sizes of a chapter at each profile")
    prof.add_argument("chapter", nargs="?", help="chapter name (omit to list the chapters)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """The ``lofi-book`` command line (``run``, ``records``, ``profiles``); returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            params = {name: parse_value(value) for name, value in args.parameter}
            res = run_notebook(
                args.notebook,
                profile=args.profile,
                parameters=params,
                output_dir=args.output_dir,
                timeout=args.timeout,
                progress=args.progress,
            )
            print(f"ran {args.notebook} at profile {res.profile!r} in {res.seconds:.1f} s -> {res.output}")
            return 0
        if args.command == "records":
            from .checks import compare_records, load_records

            for folder in (args.a, args.b):
                if not any(Path(folder).glob("*.jsonl")):
                    raise ValueError(f"no check records (*.jsonl) in {folder!r}")
            diffs = compare_records(load_records(args.a), load_records(args.b))
            print("\n".join(d.describe() for d in diffs))
            return 0 if all(d.identical for d in diffs) else 1
        if args.command == "reproduce":
            from .reproduce.cli import main as reproduce

            return reproduce(args)
        if args.command == "profiles":
            if not args.chapter:
                print("chapters:", ", ".join(_profiles.chapters()))
                return 0
            for name in _profiles.PROFILE_NAMES:
                P = _profiles.get_profile(args.chapter, name)
                print(f"{args.chapter} at profile {name!r}:")
                for section, sizes in P.items():
                    body = ", ".join(f"{k}={v!r}" for k, v in sizes.items()) if hasattr(sizes, "items") else repr(sizes)
                    print(f"  {section}: {body}")
            return 0
    except (ValueError, NotebookFailed) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2 if isinstance(err, ValueError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
