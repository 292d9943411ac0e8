"""The old tool's command line (``sportball-sidecar-rust`` / ``image-sidecar-rust``),
answered by sidecard, for code that shells out to it.

    sportball-sidecar-rust validate --input DIR [--workers N] [--operation-type OP]
                                    [--output FILE|-]
    sportball-sidecar-rust stats --input DIR [--operation-type OP] [--output FILE|-]
    sportball-sidecar-rust cleanup --input DIR [--dry-run]
    sportball-sidecar-rust export --input DIR --output FILE [--format json|jsonl|csv]
                                  [--operation-type OP]
    sportball-sidecar-rust convert --input DIR --format json|bin|rkyv [--dry-run]
    sportball-sidecar-rust format-stats --input DIR [--output FILE|-]

Output as before: JSON (indented by 2) for validate, stats and format-stats;
one line for the others, which callers parse: ``Removed N orphaned sidecar
files`` and ``Exported N sidecar files to: FILE``. ``Removed N`` always counts
files actually removed: a dry run prints ``Removed 0 orphaned sidecar files (dry
run: M would be removed)`` and lists them on stderr. Like the old tool,
``cleanup`` without ``--dry-run`` deletes (``SIDECARD_COMPAT_CLEANUP=quarantine``
moves orphans to ``<DIR>/.sidecard-quarantine/`` instead).

Exit status: 0 success (invalid sidecars are findings, not failures), 1 the
daemon could not be reached or refused the request, or some files could not be
removed or converted, 2 usage error. The daemon is found like any
:class:`sidecard.Client` (``SIDECARD_ADDRESS``, ``SIDECARD_AUTOSTART``, ...);
``--workers`` is accepted and ignored (the daemon sizes its own pool).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any, Callable

from sidecard.client import Client, atomic_output
from sidecard.compat import _legacy
from sidecard.errors import SidecardError

Handler = Callable[[Client, argparse.Namespace], int]


def _emit(data: Any, output: str, what: str) -> None:
    """Prints `data` as indented JSON, or writes it to the file `output` and says so."""
    text = json.dumps(data, indent=2) + "\n"
    if output == "-":
        sys.stdout.write(text)
        return
    with atomic_output(output) as out:
        out.write(text.encode())
    print(f"{what} written to: {output}")


def _validate(client: Client, args: argparse.Namespace) -> int:
    stream = client.iter_validate(args.input, operation=args.operation_type)
    results = [_legacy.validation_result(report, args.operation_type) for report in stream]
    summary = stream.summary
    data = {
        "total_files": summary["total_files"],
        "valid_files": summary["valid_files"],
        "invalid_files": summary["invalid_files"],
        "results": results,
    }
    _emit(data, args.output, "Validation results")
    return 0


def _stats(client: Client, args: argparse.Namespace) -> int:
    stats = client.stats(args.input, operation=args.operation_type)
    _emit(_legacy.statistics(stats), args.output, "Statistics")
    return 0


def _cleanup(client: Client, args: argparse.Namespace) -> int:
    result = client.cleanup(args.input, _legacy.cleanup_mode(args.dry_run))
    would_remove = 0
    for item in result.results:
        if item["action"] == "would_remove" and not item["working_file"]:
            would_remove += 1
            print(f"would remove: {item['file']}", file=sys.stderr)
        elif item["action"] == "failed":
            print(f"could not remove {item['file']}: {item['error']}", file=sys.stderr)
    summary = result.summary
    if args.dry_run:
        print(f"Removed 0 orphaned sidecar files (dry run: {would_remove} would be removed)")
        return 0
    moved = f" (moved to {summary['quarantine_dir']})" if summary["quarantine_dir"] else ""
    print(f"Removed {summary['removed']} orphaned sidecar files{moved}")
    return 1 if summary["failed"] else 0


def _export(client: Client, args: argparse.Namespace) -> int:
    result = client.export(
        args.input, args.output, format=args.format, operation=args.operation_type
    )
    print(f"Exported {result.summary['exported']} sidecar files to: {args.output}")
    return 0


def _convert(client: Client, args: argparse.Namespace) -> int:
    target = _legacy.format_name(args.format)
    result = client.convert(args.input, target, apply=not args.dry_run)
    for item in result.results:
        if item["action"] in ("failed", "skipped_unreadable", "skipped_target_newer"):
            sources = ", ".join(item["sources"])
            print(f"{item['action']}: {sources}: {item['error']}", file=sys.stderr)
    summary = result.summary
    if args.dry_run:
        would = sum(1 for item in result.results if item["action"] == "would_convert")
        print(
            f"Dry run: would convert {would} sidecar files to {target} "
            f"({summary['already_target']} already {target}, {summary['skipped']} skipped)"
        )
        return 0
    print(f"Converted {summary['converted']} sidecar files to {target}")
    return 1 if summary["failed"] else 0


def _format_stats(client: Client, args: argparse.Namespace) -> int:
    stats = client.stats(args.input)
    distribution = stats["files_by_format"]
    data = {
        "directory": stats["directory"],
        "format_distribution": distribution,
        "total_files": sum(distribution.values()),
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    _emit(data, args.output, "Format statistics")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: the old tool's subcommands and flags."""
    parser = argparse.ArgumentParser(
        description="Sidecar validation, statistics, cleanup, export and conversion "
        "(the old Rust tool's interface, answered by the sidecard daemon).",
        epilog="The daemon: $SIDECARD_ADDRESS (default unix:/run/sidecard/sidecard.sock); "
        "SIDECARD_AUTOSTART=1 starts a private one if none answers. "
        "SIDECARD_COMPAT_CLEANUP=quarantine makes cleanup move orphans aside instead of "
        "deleting them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("-i", "--input", required=True, help="directory to work on")
        sub.set_defaults(handler=handler)
        return sub

    def output_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("-o", "--output", default="-", help="output file ('-': stdout)")

    def operation_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--operation-type", help="only sidecars containing this operation")

    sub = command("validate", _validate, "validate every sidecar file under a directory")
    output_option(sub)
    sub.add_argument("-w", "--workers", type=int, default=16, help="accepted and ignored")
    operation_option(sub)

    sub = command("stats", _stats, "statistics about the images and sidecars")
    output_option(sub)
    operation_option(sub)

    sub = command("cleanup", _cleanup, "remove orphaned sidecar files (deletes!)")
    sub.add_argument("--dry-run", action="store_true", help="only report what would be removed")

    sub = command("export", _export, "export the sidecars to a file")
    sub.add_argument("-o", "--output", required=True, help="file to write")
    sub.add_argument("--format", choices=("json", "jsonl", "csv"), default="json")
    operation_option(sub)

    sub = command("convert", _convert, "rewrite the sidecars in another format")
    sub.add_argument("-f", "--format", required=True, choices=("json", "bin", "binary", "rkyv"))
    sub.add_argument("--dry-run", action="store_true", help="only report what would change")

    sub = command("format-stats", _format_stats, "sidecar files per format")
    output_option(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(Client(), args)
    except (SidecardError, ValueError, OSError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
