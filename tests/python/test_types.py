"""sidecard.types describes what the clients really return.

Three checks keep the TypedDicts from drifting: each one's keys and value
types against the protocol's message (every field, nothing else); every
public method of both clients, called on a real daemon, against the type its
signature declares (exact key sets, recursively, and the value types); and,
where mypy is installed, the package type-checking in the build tree, with a
program that uses the results (tests/python/typing_usage.py) and one that
misuses them (which must fail).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import re
import shutil
import subprocess
import threading
import types
from pathlib import Path
from typing import Any, Callable, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

import known_tree
import sidecard
import sidecard.aio
from conftest import PYTHON_DIR, REPO, Daemon
from sidecard import types as st
from sidecard._calls import Method
from sidecard._convert import enum_choices
from sidecard._stubs import health_pb2, sidecar_pb2 as pb

#: Each TypedDict and the message it describes, with keys renamed on the way
#: (read_sidecar parses document_json into document).
MESSAGES: dict[type, tuple[str, dict[str, str]]] = {
    st.FileReport: ("FileReport", {}),
    st.ValidateSummary: ("ValidateSummary", {}),
    st.Stats: ("StatsResponse", {}),
    st.CleanupItem: ("CleanupResult", {}),
    st.CleanupSummary: ("CleanupSummary", {}),
    st.ConvertItem: ("ConvertResult", {}),
    st.ConvertSummary: ("ConvertSummary", {}),
    st.ExportSummary: ("ExportSummary", {}),
    st.PruneItem: ("PruneResult", {}),
    st.PruneSummary: ("PruneSummary", {}),
    st.SkippedSidecar: ("SkippedSidecar", {}),
    st.ReadSidecarResult: ("ReadSidecarResponse", {"document_json": "document"}),
    st.SaveSidecarResult: ("SaveSidecarResponse", {}),
    st.ServerInfo: ("GetServerInfoResponse", {}),
    st.MethodFigures: ("MethodFigures", {}),
    st.CacheFigures: ("CacheFigures", {}),
    st.StartupSweepFigures: ("StartupSweepFigures", {}),
    st.QuarantineFile: ("QuarantineFile", {}),
    st.QuarantineBatch: ("QuarantineBatch", {}),
    st.QuarantineListSummary: ("ListQuarantineSummary", {}),
    st.QuarantineRestoreItem: ("RestoreQuarantineResult", {}),
    st.QuarantineRestoreSummary: ("RestoreQuarantineSummary", {}),
    st.QuarantinePurgeItem: ("PurgeQuarantineResult", {}),
    st.QuarantinePurgeSummary: ("PurgeQuarantineSummary", {}),
    st.SidecarChange: ("SidecarChange", {}),
    st.WatchReset: ("WatchReset", {}),
    st.FoundImage: ("FoundImage", {}),
    st.FindSummary: ("FindSummary", {}),
}
TYPED_DICTS = {value for value in vars(st).values() if is_typeddict(value)}
BY_MESSAGE = {name: typed for typed, (name, _) in MESSAGES.items()}
PUBLIC_METHODS = {
    name for name, value in vars(sidecard.Client.__mro__[1]).items() if isinstance(value, Method)
}
NAMESPACE: dict[str, Any] = {
    **vars(st),
    "Stream": sidecard.Stream,
    "AsyncStream": sidecard.aio.AsyncStream,
    **{name: getattr(sidecard, name) for name in sidecard.__all__},
}
_SCALARS = {
    FieldDescriptor.TYPE_INT32: int,
    FieldDescriptor.TYPE_INT64: int,
    FieldDescriptor.TYPE_UINT32: int,
    FieldDescriptor.TYPE_UINT64: int,
    FieldDescriptor.TYPE_DOUBLE: float,
    FieldDescriptor.TYPE_FLOAT: float,
    FieldDescriptor.TYPE_STRING: str,
    FieldDescriptor.TYPE_BOOL: bool,
    FieldDescriptor.TYPE_BYTES: bytes,
}


# --- the declarations against the protocol ----------------------------------


def _accepted(field: FieldDescriptor, repeated: bool) -> list[Any]:
    """The annotations that describe one value of `field` as _convert makes it."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = tuple(enum_choices(field.enum_type))
        return [Literal[names] | None]  # type: ignore[valid-type]
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        name = field.message_type.name
        if name == "FilePath":
            # to_dict gives None for an unset or empty path; a TypedDict may say
            # `str` where the daemon always sets it.
            return [str] if repeated else [str, str | None]
        typed = BY_MESSAGE.get(name)
        assert typed is not None, f"no TypedDict describes the message {name}"
        return [typed] if repeated else [typed | None]
    return [_SCALARS[field.type]]


def _field_matches(hint: Any, field: FieldDescriptor) -> bool:
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        key, value = (field.message_type.fields_by_name[name] for name in ("key", "value"))
        return get_origin(hint) is dict and list(get_args(hint)) in (
            [k, v] for k in _accepted(key, True) for v in _accepted(value, True)
        )
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return get_origin(hint) is list and get_args(hint)[0] in _accepted(field, True)
    return hint in _accepted(field, False)


@pytest.mark.parametrize(
    "typed", sorted(MESSAGES, key=lambda t: t.__name__), ids=lambda t: t.__name__
)
def test_each_typed_dict_declares_the_fields_of_its_message(typed: type) -> None:
    message, renamed = MESSAGES[typed]
    descriptor: Descriptor = pb.DESCRIPTOR.message_types_by_name[message]
    hints = get_type_hints(typed)
    fields = {renamed.get(field.name, field.name): field for field in descriptor.fields}
    assert set(hints) == set(fields), f"{typed.__name__} vs {message}"
    assert typed.__required_keys__ == frozenset(hints)  # type: ignore[attr-defined]
    assert typed.__optional_keys__ == frozenset()  # type: ignore[attr-defined]
    for key, field in fields.items():
        if key != field.name:  # document: the parsed JSON object
            assert hints[key] == dict[str, Any], key
        else:
            assert _field_matches(hints[key], field), f"{typed.__name__}[{key!r}]: {hints[key]}"


def test_every_typed_dict_is_documented_exported_and_checked() -> None:
    assert TYPED_DICTS == set(MESSAGES)
    for typed in TYPED_DICTS:
        assert (typed.__doc__ or "").strip(), typed.__name__
        assert getattr(sidecard, typed.__name__) is typed
    assert set(st.__all__) <= set(sidecard.__all__)
    health = inspect.signature(sidecard.Client.health).return_annotation
    assert NAMESPACE[health] is st.HealthStatus
    statuses = health_pb2.HealthCheckResponse.ServingStatus.keys()
    assert set(get_args(st.HealthStatus)) == set(statuses)


# --- the declarations against a real daemon ---------------------------------


def check(value: Any, hint: Any, where: str, seen: set[type]) -> None:
    """Asserts that `value` is what `hint` declares: a TypedDict's exact keys and,
    recursively, every value's type."""
    if hint is Any:
        return
    if is_typeddict(hint):
        assert isinstance(value, dict), f"{where}: {type(value).__name__}, not a dict"
        declared = hint.__required_keys__ | hint.__optional_keys__
        assert set(value) == set(declared), (
            f"{where} ({hint.__name__}): missing {sorted(set(declared) - set(value))}, "
            f"undeclared {sorted(set(value) - set(declared))}"
        )
        seen.add(hint)
        hints = get_type_hints(hint)
        for key, item in value.items():
            check(item, hints[key], f"{where}[{key!r}]", seen)
        return
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        assert isinstance(value, hint), f"{where}: {type(value).__name__}, not {hint.__name__}"
        for name, field_hint in get_type_hints(hint).items():
            check(getattr(value, name), field_hint, f"{where}.{name}", seen)
        return
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        failures = []
        for arm in get_args(hint):
            try:
                check(value, arm, where, seen)
                return
            except AssertionError as failure:
                failures.append(str(failure))
        raise AssertionError(f"{where}: {value!r} is none of {hint}: {failures}")
    if origin is Literal:
        assert value in get_args(hint), f"{where}: {value!r} is not one of {get_args(hint)}"
    elif hint is type(None):
        assert value is None, f"{where}: {value!r} is not None"
    elif origin is list:
        assert isinstance(value, list), f"{where}: {type(value).__name__}, not a list"
        for index, item in enumerate(value):
            check(item, get_args(hint)[0], f"{where}[{index}]", seen)
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: {type(value).__name__}, not a dict"
        key_hint, value_hint = get_args(hint)
        for key, item in value.items():
            check(key, key_hint, f"{where} key", seen)
            check(item, value_hint, f"{where}[{key!r}]", seen)
    elif hint in (bool, int, float, str, bytes):
        # bool is an int, an int is no float: the exact type, as to_dict gives it.
        assert type(value) is hint, f"{where}: {value!r} is {type(value).__name__}, not {hint}"
    else:
        raise AssertionError(f"{where}: the test cannot check {hint}")


def declared(cls: type, name: str) -> Any:
    """What the method `name` of the client class `cls` declares it returns."""
    annotation = inspect.signature(getattr(cls, name)).return_annotation
    assert isinstance(annotation, str), f"{cls.__name__}.{name}: {annotation!r}"
    return eval(annotation, NAMESPACE)  # noqa: S307 - our own annotation text


def check_call(cls: type, name: str, value: Any, items: list[Any] | None, seen: set[type]) -> None:
    hint = declared(cls, name)
    origin = get_origin(hint)
    if origin in (sidecard.Stream, sidecard.aio.AsyncStream):
        assert isinstance(value, origin), f"{name}: {type(value).__name__}"
        assert items is not None
        item_hint, summary_hint = get_args(hint)
        for index, item in enumerate(items):
            check(item, item_hint, f"{name}[{index}]", seen)
        check(value.summary, summary_hint, f"{name}.summary", seen)
    else:
        check(value, hint, name, seen)


def richer_tree(library: Path) -> Path:
    """The known tree plus what fills the rarer fields: a JSON sidecar beside
    IMG_1.bin (shadowed, merged_from) and a readable one beside the corrupt
    IMG_4.bin (skipped)."""
    document = known_tree.face_document(1, True, 1.0)
    (library / "a/IMG_1.json").write_text(json.dumps(document))
    (library / "a/IMG_4.json").write_text(json.dumps(document))
    return library


#: One call of every public method (streams are read to their end by the runner):
#: (method, positional arguments (given the tree), keyword arguments).
CALLS: list[tuple[str, Callable[[Path], tuple[Any, ...]], dict[str, Any]]] = [
    ("health", lambda tree: (), {}),
    ("validate", lambda tree: (tree,), {}),
    ("iter_validate", lambda tree: (tree,), {"batch_size": 2}),
    ("stats", lambda tree: (tree,), {}),
    ("find", lambda tree: (tree,), {"batch_size": 2}),
    ("find_paths", lambda tree: (tree,), {"missing": "face_detection"}),
    ("read_sidecar", lambda tree: (tree / "a/IMG_1.jpg",), {}),
    ("read_sidecar", lambda tree: (tree / "a/IMG_4.jpg",), {}),
    ("read_sidecar", lambda tree: (tree / known_tree.NO_SIDECAR,), {}),
    ("save_sidecar", lambda tree: (tree / "a/IMG_1.jpg", "quality", {"success": True}), {}),
    ("save_sidecar", lambda tree: (tree / known_tree.NO_SIDECAR, "quality", "{}"), {}),
    ("export", lambda tree: (tree,), {}),
    ("export", lambda tree: (tree, tree.parent / f"{tree.name}.jsonl"), {"format": "jsonl"}),
    ("iter_export", lambda tree: (tree,), {"format": "csv"}),
    ("convert", lambda tree: (tree, "json"), {}),
    ("iter_convert", lambda tree: (tree, "bin"), {"apply": True}),
    ("cleanup", lambda tree: (tree,), {}),
    ("iter_cleanup", lambda tree: (tree, "quarantine"), {}),
    # The batch that quarantine made: listed, restored and purged (dry runs
    # first, so each has something to report).
    ("quarantine_list", lambda tree: (tree,), {}),
    ("iter_quarantine_list", lambda tree: (tree,), {"batch_size": 1}),
    ("quarantine_restore", lambda tree: (tree,), {"dry_run": True}),
    ("iter_quarantine_purge", lambda tree: (tree, 0), {"dry_run": True}),
    ("quarantine_purge", lambda tree: (tree, 0.5), {}),
    ("iter_quarantine_restore", lambda tree: (tree,), {}),
    ("iter_documents", lambda tree: (tree,), {"operations": ["face_detection"]}),
    ("prune", lambda tree: (tree, "face_detection"), {}),
    ("iter_prune", lambda tree: (tree, "face_detection"), {"apply": True}),
    ("server_info", lambda tree: (), {}),
]


#: A cursor of no running daemon: a watch from it starts with a reset.
FOREIGN_CURSOR = "c:0000000000000000:1"


def write_a_sidecar(tree: Path) -> None:
    """A change for a watch of `tree` to report."""
    (tree / "b/IMG_5.json").write_text(json.dumps(known_tree.yolo_document()))


def check_watch_events(events: list[Any], seen: set[type]) -> None:
    """A watch's reset and change against what watch() declares its items are."""
    assert len(events) == 2 and sidecard.is_reset(events[0]) and sidecard.is_change(events[1])
    for index, event in enumerate(events):
        check(event, sidecard.WatchEvent, f"watch[{index}]", seen)


def test_every_public_method_is_called_here() -> None:
    assert {name for name, _, _ in CALLS} == PUBLIC_METHODS


def test_the_blocking_client_returns_what_it_declares(daemon: Daemon, library: Path) -> None:
    tree = richer_tree(library)
    seen: set[type] = set()
    with sidecard.Client(daemon.address) as client:
        for name, args, kwargs in CALLS:
            value = getattr(client, name)(*args(tree), **kwargs)
            items = list(value) if isinstance(value, sidecard.Stream) else None
            check_call(sidecard.Client, name, value, items, seen)
        with client.watch(tree, cursor=FOREIGN_CURSOR) as stream:
            guard = threading.Timer(20, stream.cancel)  # a missing event fails, not hangs
            guard.start()
            events = [next(stream)]
            write_a_sidecar(tree)
            events.append(next(stream))
            guard.cancel()
        check_watch_events(events, seen)
    assert seen == TYPED_DICTS, f"never returned: {TYPED_DICTS - seen}"


def test_the_asyncio_client_returns_what_it_declares(daemon: Daemon, library: Path) -> None:
    tree = richer_tree(library)
    seen: set[type] = set()

    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            for name, args, kwargs in CALLS:
                returned = getattr(client, name)(*args(tree), **kwargs)
                if isinstance(returned, sidecard.aio.AsyncStream):
                    value, items = returned, [item async for item in returned]
                else:
                    assert inspect.iscoroutine(returned), name
                    value, items = await returned, None
                check_call(sidecard.aio.Client, name, value, items, seen)
            async with client.watch(tree, cursor=FOREIGN_CURSOR) as stream:
                events = [await stream.__anext__()]
                write_a_sidecar(tree)
                events.append(await stream.__anext__())
            check_watch_events(events, seen)

    asyncio.run(asyncio.wait_for(main(), 60))
    assert seen == TYPED_DICTS, f"never returned: {TYPED_DICTS - seen}"


# --- type checking -----------------------------------------------------------

MYPY = shutil.which("mypy")
MISUSE = '''
import sidecard

def misuse(client: sidecard.Client) -> None:
    client.stats("/photos")["coverage"]
    for report in client.iter_validate("/photos"):
        report["vaild"]
    total: str = client.validate("/photos").summary["total_files"]
'''
#: The errors mypy must find in MISUSE, by line.
MISUSE_ERRORS = {
    5: 'TypedDict "Stats" has no key "coverage"',
    7: 'TypedDict "FileReport" has no key "vaild"',
    8: 'Incompatible types in assignment (expression has type "int", variable has type "str")',
}


@pytest.mark.skipif(MYPY is None, reason="mypy is not installed (Debian 12: apt-get install mypy)")
def test_the_package_type_checks(tmp_path: Path) -> None:
    misuse = tmp_path / "misuse.py"
    misuse.write_text(MISUSE)
    usage = Path(__file__).with_name("typing_usage.py")
    run = subprocess.run(
        [str(MYPY), "--config-file", str(REPO / "client/python/mypy.ini"),
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
         "sidecard", str(usage), str(misuse)],
        cwd=PYTHON_DIR,
        env={**os.environ, "MYPYPATH": str(PYTHON_DIR)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in run.stdout.splitlines() if ": error: " in line]
    found = {}
    for line in errors:
        match = re.match(r"(.*?):(\d+): error: (.*)", line)
        assert match and Path(match[1]).name == "misuse.py", f"unexpected: {line}\n{run.stdout}"
        found[int(match[2])] = match[3]
    assert set(found) == set(MISUSE_ERRORS), run.stdout
    for line, message in MISUSE_ERRORS.items():
        assert message in found[line], run.stdout
    assert run.returncode == 1, run.stdout + run.stderr
