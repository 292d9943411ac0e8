"""The quarantine methods of both clients against the session daemon: what
cleanup mode="quarantine" moved aside is listed, restored byte for byte
(never over an existing file) and purged by age."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import Daemon

OLD_BATCH = "20200101T000000Z"


def quarantined(client: sidecard.Client, library: Path) -> tuple[str, bytes]:
    """Quarantines the known tree's orphan; its batch ID and its bytes."""
    original = (library / known_tree.ORPHAN).read_bytes()
    result = client.cleanup(library, "quarantine")
    assert result.summary["removed"] == 1
    return Path(result.summary["quarantine_dir"]).name, original


def test_list_shows_the_batches_their_files_and_sizes(
    client: sidecard.Client, library: Path
) -> None:
    batch, original = quarantined(client, library)
    old = library / ".sidecard-quarantine" / OLD_BATCH / "x" / "old.bin"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"\0" * 8)
    listing = client.quarantine_list(library)
    assert [f["batch"] for f in listing.files] == [OLD_BATCH, batch]  # oldest first
    mine = listing.files[1]
    assert mine["original"] == str(library / known_tree.ORPHAN)
    assert mine["file"] == str(library / ".sidecard-quarantine" / batch / known_tree.ORPHAN)
    assert mine["size_bytes"] == len(original)
    assert [b["id"] for b in listing.summary["batches"]] == [OLD_BATCH, batch]
    assert listing.summary["batches"][1]["files"] == 1
    assert listing.summary["batches"][1]["bytes"] == len(original)
    assert listing.summary["files"] == 2
    only = client.quarantine_list(library, batch=OLD_BATCH)
    assert [f["original"] for f in only.files] == [str(library / "x/old.bin")]


def test_restore_dry_run_then_restore_byte_identical(
    client: sidecard.Client, library: Path
) -> None:
    batch, original = quarantined(client, library)
    before = sorted(os.walk(library))
    dry = client.quarantine_restore(library, dry_run=True)
    assert [r["action"] for r in dry.results] == ["would_restore"]
    assert sorted(os.walk(library)) == before
    assert not (library / known_tree.ORPHAN).exists()

    done = client.quarantine_restore(library, batch=batch)
    assert [r["action"] for r in done.results] == ["restored"]
    assert done.results[0]["destination"] == str(library / known_tree.ORPHAN)
    assert (library / known_tree.ORPHAN).read_bytes() == original
    assert done.summary["batches"] == [batch]
    assert done.summary["batches_emptied"] == 1
    assert not (library / ".sidecard-quarantine" / batch).exists()


def test_restore_never_overwrites_an_existing_file(
    client: sidecard.Client, library: Path
) -> None:
    batch, original = quarantined(client, library)
    theirs = library / known_tree.ORPHAN
    theirs.write_bytes(b"another program's version")
    result = client.quarantine_restore(library)
    assert [r["action"] for r in result.results] == ["conflict"]
    assert result.summary["conflicts"] == 1 and result.summary["restored"] == 0
    assert theirs.read_bytes() == b"another program's version"
    kept = library / ".sidecard-quarantine" / batch / known_tree.ORPHAN
    assert kept.read_bytes() == original


def test_purge_deletes_only_older_batches(client: sidecard.Client, library: Path) -> None:
    batch, _ = quarantined(client, library)
    old = library / ".sidecard-quarantine" / OLD_BATCH
    (old / "sub").mkdir(parents=True)
    (old / "sub" / "x.bin").write_bytes(b"\0" * 8)
    dry = client.quarantine_purge(library, 30, dry_run=True)
    assert [(r["batch"]["id"], r["action"]) for r in dry.results] == [(OLD_BATCH, "would_purge")]
    assert old.exists()
    done = client.quarantine_purge(library, 30)
    assert [r["action"] for r in done.results] == ["purged"]
    assert done.summary["purged"] == 1 and done.summary["kept"] == 1
    assert done.summary["files"] == 1
    assert not old.exists()
    assert (library / ".sidecard-quarantine" / batch).exists()


def test_bad_arguments_raise_the_named_errors(client: sidecard.Client, library: Path) -> None:
    quarantined(client, library)
    with pytest.raises(sidecard.InvalidArgument):
        client.quarantine_restore(library, batch="../..")
    with pytest.raises(sidecard.NotFound):
        client.quarantine_list(library, batch="20190101T000000Z")
    with pytest.raises(ValueError):
        client.quarantine_purge(library, -1)


def test_the_asyncio_client_restores_too(daemon: Daemon, library: Path) -> None:
    with sidecard.Client(daemon.address) as blocking:
        batch, original = quarantined(blocking, library)

    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            listing = await client.quarantine_list(library)
            assert [f["batch"] for f in listing.files] == [batch]
            done = await client.quarantine_restore(library)
            assert [r["action"] for r in done.results] == ["restored"]
            purged = await client.quarantine_purge(library, 0)
            assert purged.summary["purged"] == 0

    asyncio.run(main())
    assert (library / known_tree.ORPHAN).read_bytes() == original
