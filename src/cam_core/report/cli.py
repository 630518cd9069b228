"""``cam-repro``: run the reproduction notebooks and inspect their results.

    cam-repro run --profile cpu [--only table2 figure05 ...] [--force] [-p NAME=VALUE ...]
    cam-repro scoreboard --profile smoke
    cam-repro list
    cam-repro check-data ilsvrc2012 --root /data/ILSVRC2012 [--deep]

Invalid input (unknown profile or notebook, missing ``--data-root`` for ``full``, a
parameter of the wrong type) prints one line to stderr and exits 2 before anything under
``results/`` is touched. A failing notebook makes ``run`` exit 1.
"""

import argparse
import os
import sys
from typing import NoReturn

import pandas as pd

from cam_core.common import profiles
from cam_core.datasets import manifest_check
from cam_core.report import pipeline
from cam_core.report import scoreboard as report_scoreboard
from cam_core.validate import InputError

PROG = "cam-repro"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, like ours."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def _run(args: argparse.Namespace) -> int:

    overrides = pipeline.parse_overrides(args.param)
    failed = pipeline.run(
        args.profile,
        only=args.only,
        force=args.force,
        overrides=overrides,
        data_root=args.data_root,
        device=args.device,
        out_dir=args.out_dir,
        book=not args.no_book,
        progress_bar=not args.no_progress,
    )
    if failed:
        print(f"{PROG}: error: {failed} notebook(s) failed", file=sys.stderr)
        return 1
    return 0


def _scoreboard(args: argparse.Namespace) -> int:

    profiles.check_profile(args.profile)
    out_dir = args.out_dir or str(profiles.default_out_dir(args.profile))
    path = report_scoreboard.write_scoreboard(out_dir, args.profile)
    table = report_scoreboard.build_scoreboard(out_dir, args.profile)
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(table.to_string(index=False))
    print(f"written: {path}")
    return 0


def _list(args: argparse.Namespace) -> int:

    for name in profiles.profile_names():
        print(f"profile {name}: {profiles.load_profile(name)['data']}")
    for item in profiles.item_names():
        print(f"{item}: {profiles.item_info(item)['title']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subcommand per action."""
    parser = _Parser(prog=PROG, description="Reproduce Zhou et al. (CVPR 2016), CAM.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="execute the notebooks of a profile with papermill")
    run.add_argument("--profile", default="cpu", help="smoke, cpu (default) or full")
    run.add_argument(
        "--only", nargs="+", metavar="NOTEBOOK", help="only these (e.g. table2 figure05)"
    )
    run.add_argument("--force", action="store_true", help="re-execute even when cached")
    run.add_argument(
        "--data-root",
        default=os.environ.get("CAM_DATA_ROOT") or None,
        help="folder with the full profile's datasets (default: $CAM_DATA_ROOT)",
    )
    run.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: profile's)")
    run.add_argument("--out-dir", default=None, help="default: results/<profile>")
    run.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="override a notebook parameter (YAML value), e.g. -p seed=1 -p epochs=2",
    )
    run.add_argument("--no-book", action="store_true", help="do not copy pages to book/")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.set_defaults(func=_run)

    board = sub.add_parser("scoreboard", help="rebuild and print results/<profile>/scoreboard")
    board.add_argument("--profile", default="cpu")
    board.add_argument("--out-dir", default=None)
    board.set_defaults(func=_scoreboard)

    listing = sub.add_parser("list", help="list the profiles and the notebooks")
    listing.set_defaults(func=_list)

    # Parsed by cam_core.datasets.manifest itself (main() hands it the rest of the command line).
    sub.add_parser(
        "check-data",
        add_help=False,
        help="check a full-profile dataset folder against data/manifests/ (--help for more)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cam-repro``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check-data"]:
        return manifest_check.check_data_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
