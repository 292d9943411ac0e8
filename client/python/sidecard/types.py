"""The shapes of what :class:`sidecard.Client` and :class:`sidecard.aio.Client` return.

Every result is a plain ``dict`` at run time; these :class:`typing.TypedDict`
classes only describe it, so that editors complete the keys and type checkers
(mypy, pyright) catch a misspelt one::

    stats: sidecard.Stats = client.stats("/photos")
    stats["coverage_percentage"]          # float
    for report in client.iter_validate("/photos"):
        report["image"]                   # str | None

The keys are the field names of ``proto/sidecar/v1/sidecar.proto`` and every
key is always present (an unset number is 0, an unset text "", an unset
sub-message or file path None). 64-bit integers are ``int``; an enum is its
short lower-case name (:data:`SidecarFormatName`, ...) or None for the
unspecified value (a value this client does not know, from a newer daemon,
comes as its number); a file path is one ``str``, the exact file name as
``os.listdir`` gives it. The tests check these declarations against the
protocol and against the answers of a real daemon.
"""

from typing import Any, Literal, TypedDict

__all__ = [
    "CacheFigures",
    "CleanupActionName",
    "CleanupItem",
    "CleanupModeName",
    "CleanupSummary",
    "ConvertActionName",
    "ConvertItem",
    "ConvertSummary",
    "DocumentLayoutName",
    "ExportSummary",
    "FileReport",
    "HealthStatus",
    "MethodFigures",
    "PruneActionName",
    "PruneItem",
    "PruneSummary",
    "PurgeActionName",
    "QuarantineBatch",
    "QuarantineFile",
    "QuarantineListSummary",
    "QuarantinePurgeItem",
    "QuarantinePurgeSummary",
    "QuarantineRestoreItem",
    "QuarantineRestoreSummary",
    "ReadSidecarResult",
    "RestoreActionName",
    "SaveSidecarResult",
    "ServerInfo",
    "SidecarFormatName",
    "SkippedSidecar",
    "StartupSweepFigures",
    "Stats",
    "ValidateSummary",
    "ChangeKindName",
    "SidecarChange",
    "WatchReset",
    "WatchResetReasonName",
]

# --- enums ----------------------------------------------------------------

#: What :meth:`sidecard.Client.health` returns.
HealthStatus = Literal["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]
#: A sidecar file's storage format (SidecarFormat).
SidecarFormatName = Literal["bin", "rkyv", "json"]
#: How a sidecar document is laid out (DocumentLayout): operation keys at the
#: top level, ``{"sidecar_info": ..., "data": ...}``, or old scripts' keys.
DocumentLayoutName = Literal["merged", "envelope", "legacy_script"]
#: What a Cleanup run does with orphans (CleanupMode).
CleanupModeName = Literal["dry_run", "delete", "quarantine"]
#: What Cleanup did (or would do) with one file (CleanupAction).
CleanupActionName = Literal[
    "would_remove",
    "deleted",
    "quarantined",
    "skipped_too_recent",
    "kept_unreadable",
    "failed",
    "skipped_changed",
    "would_restore",
    "restored",
    "would_keep_as_conflict",
    "kept_as_conflict",
]
#: What Convert did (or would do) with one image's sidecars (ConvertAction).
ConvertActionName = Literal[
    "would_convert",
    "converted",
    "already_target",
    "skipped_unreadable",
    "skipped_target_newer",
    "failed",
    "skipped_conflict",
]

#: What Prune did (or would do) with one sidecar file (PruneAction).
PruneActionName = Literal[
    "would_prune",
    "pruned",
    "skipped_unreadable",
    "skipped_layout",
    "skipped_changed",
    "failed",
]

#: What a quarantine restore did (or would do) with one file (RestoreAction).
RestoreActionName = Literal["would_restore", "restored", "conflict", "failed"]
#: What a quarantine purge did (or would do) with one batch (PurgeAction).
PurgeActionName = Literal["would_purge", "purged", "failed"]
#: What happened to a sidecar file, as Watch reports it (ChangeKind).
ChangeKindName = Literal["created", "changed", "removed"]
#: Why a Watch stream must resynchronise (WatchResetReason).
WatchResetReasonName = Literal[
    "daemon_restarted",
    "events_lost",
    "cursor_expired",
    "not_watched_then",
    "subscriber_too_slow",
]

# --- Validate -------------------------------------------------------------


class FileReport(TypedDict):
    """One sidecar file, as Validate reports it (the items of
    :meth:`~sidecard.Client.iter_validate`, :attr:`ValidateResult.reports`)."""

    #: The sidecar file.
    file: str
    #: Its storage format (from the extension).
    format: SidecarFormatName | None
    #: True when it decodes to a JSON object whose structure has no problems.
    valid: bool
    #: Why it is invalid (decode errors carry the byte offset); "" when valid.
    error: str
    #: Structure problems found (each makes the file invalid).
    problems: list[str]
    #: Things worth knowing that do not make it invalid (unknown keys, ...).
    warnings: list[str]
    #: File size in bytes.
    size_bytes: int
    #: Operations present, snake_case, sorted.
    operations: list[str]
    #: Faces plus objects plus other detections over all payloads.
    detection_count: int
    #: Tool names found in payloads (``detector``, ``model_name``, ...), sorted, unique.
    tool_names: list[str]
    #: The image this sidecar belongs to; None for an orphan.
    image: str | None
    #: True when no image with the same stem exists in the same directory.
    orphan: bool
    #: How the document is laid out; None when it does not decode to an object.
    layout: DocumentLayoutName | None
    #: Faces over all payloads.
    face_count: int
    #: Objects over all payloads.
    object_count: int


class ValidateSummary(TypedDict):
    """The totals of a Validate run (:attr:`ValidateResult.summary`, and the
    ``summary`` of an :meth:`~sidecard.Client.iter_validate` stream)."""

    #: The root that was validated (absolute, symlinks resolved; text).
    root: str
    #: Sidecar files reported (after the operation filter).
    total_files: int
    #: Of those, valid.
    valid_files: int
    #: Of those, invalid.
    invalid_files: int
    #: Reported files per format name (``bin``, ``rkyv``, ``json``).
    by_format: dict[str, int]
    #: Reported files containing each operation.
    by_operation: dict[str, int]
    #: Files with a sidecar extension that are not sidecars (never validated).
    foreign_files: int
    #: Sidecars left out by the operation filter.
    filtered_out: int
    #: Reported sidecars with no image.
    orphans: int
    #: Directories that could not be listed.
    unreadable_directories: int
    #: Wall time of the run in seconds.
    duration_seconds: float
    #: The operation filter that was applied; "" for none.
    filter_applied: str
    #: Directories whose listing failed, with the reason (at most 100).
    directory_errors: list[str]
    #: The daemon's own working files (``.sidecard-tmp-*``, ``.sidecard-held-*``).
    working_files: int
    #: Of those, strays: older than the write window (10 minutes).
    stray_working_files: int


# --- Stats ----------------------------------------------------------------


class Stats(TypedDict):
    """What :meth:`~sidecard.Client.stats` returns: the old Rust tool's keys
    (``directory`` to ``filter_applied``) and the extras of StatsResponse."""

    #: The root that was counted (absolute, symlinks resolved).
    directory: str
    #: Image files plus symlinks that resolve to an image file (broken ones excluded).
    total_images: int
    #: Symlinks that resolve to an image file.
    symlink_count: int
    #: Symlinks whose target does not exist.
    broken_symlinks: int
    #: Sidecar documents: one per image stem, however many files.
    total_sidecars: int
    #: Images whose sidecar is readable / images x 100, in [0, 100].
    coverage_percentage: float
    #: Sidecar documents containing each operation.
    operation_counts: dict[str, int]
    #: Mean payload processing/detection time per operation, seconds.
    avg_processing_times: dict[str, float]
    #: Share of payloads with ``success: true`` per operation, percent.
    success_rate_percentages: dict[str, float]
    #: Mean sidecar file size per operation, bytes.
    avg_data_sizes: dict[str, float]
    #: The operation filter that was applied; "" for none.
    filter_applied: str
    #: Sidecar files per format name (``bin``, ``rkyv``, ``json``).
    files_by_format: dict[str, int]
    #: Sidecar files that do not decode or have structure problems.
    invalid_sidecars: int
    #: Sidecar documents with no image in their directory.
    orphaned_sidecars: int
    #: Files with a sidecar extension that are not sidecars.
    foreign_files: int
    #: Faces over all counted payloads.
    faces_found: int
    #: Objects over all counted payloads.
    objects_found: int
    #: Objects per ``class_name``.
    object_classes: dict[str, int]
    #: Images with no readable sidecar.
    images_without_sidecars: int
    #: Sidecar files (all formats) counted.
    total_sidecar_files: int
    #: Directories that could not be listed.
    unreadable_directories: int
    #: Symlinked images whose target lies outside the allowed roots (never read).
    symlinks_outside_roots: int
    #: Directory symlinks seen and not followed.
    directory_symlinks_skipped: int
    #: Wall time of the run in seconds.
    duration_seconds: float
    #: The daemon's own working files (``.sidecard-tmp-*``, ``.sidecard-held-*``).
    working_files: int
    #: Of those, strays: older than the write window (10 minutes).
    stray_working_files: int


# --- Cleanup --------------------------------------------------------------


class CleanupItem(TypedDict):
    """One file Cleanup looked at: an orphan, a kept unreadable file or one of
    the daemon's working files (the items of :meth:`~sidecard.Client.iter_cleanup`,
    :attr:`CleanupResult.results`; the protocol's CleanupResult message)."""

    #: The file.
    file: str
    #: What happened (or would, in a dry run).
    action: CleanupActionName | None
    #: Where it goes: the quarantine file, or a held stray's restored or
    #: conflict name; None otherwise.
    destination: str | None
    #: For ``failed`` and ``kept_unreadable``: the reason; else "".
    error: str
    #: File size in bytes.
    size_bytes: int
    #: True for one of the daemon's working files rather than an orphan.
    working_file: bool


class CleanupSummary(TypedDict):
    """The totals of a Cleanup run (:attr:`CleanupResult.summary`, and the
    ``summary`` of an :meth:`~sidecard.Client.iter_cleanup` stream)."""

    #: The root that was cleaned.
    root: str
    #: The mode that was applied.
    mode: CleanupModeName | None
    #: Orphans found (whatever was done with them).
    orphans_found: int
    #: Orphans deleted or quarantined.
    removed: int
    #: Orphans kept because they are too recent or changed during the run.
    skipped: int
    #: Always 0 since such files count as foreign (`foreign_files`); kept for old callers.
    kept_unreadable: int
    #: Removals that failed.
    failed: int
    #: Bytes deleted or quarantined (or that would be, in a dry run).
    bytes: int
    #: For quarantine: the batch folder this run moved files into; else "".
    quarantine_dir: str
    #: Sidecar files examined.
    sidecars_examined: int
    #: Directories that could not be listed.
    unreadable_directories: int
    #: Wall time of the run in seconds.
    duration_seconds: float
    #: The daemon's working files found (each is also an item).
    working_files: int
    #: Of those, strays: older than the write window (10 minutes).
    stray_working_files: int
    #: Strays deleted or quarantined (or that would be).
    working_files_removed: int
    #: Held strays moved back to their name (or that would be).
    working_files_restored: int
    #: Held strays kept as ``<name>.conflict-<UTC time>`` (or that would be).
    working_files_kept_as_conflict: int
    #: Files with a sidecar extension that are not sidecars (``package.json``,
    #: ``model.bin`` beside no image): never touched; the same count as Validate's.
    foreign_files: int


# --- Convert --------------------------------------------------------------


class ConvertItem(TypedDict):
    """One image whose sidecars Convert looked at (the items of
    :meth:`~sidecard.Client.iter_convert`, :attr:`ConvertResult.results`; the
    protocol's ConvertResult message)."""

    #: The image's sidecar files that are (or would be) converted.
    sources: list[str]
    #: The file in the target format.
    target: str | None
    #: What happened (or would, in a dry run).
    action: ConvertActionName | None
    #: Why it failed or was skipped; else "".
    error: str


class ConvertSummary(TypedDict):
    """The totals of a Convert run (:attr:`ConvertResult.summary`, and the
    ``summary`` of an :meth:`~sidecard.Client.iter_convert` stream)."""

    #: The root that was converted.
    root: str
    #: The format converted to.
    target_format: SidecarFormatName | None
    #: True when changes were made (``apply``), False for a dry run.
    applied: bool
    #: Images converted (or that would be).
    converted: int
    #: Images already only in the target format.
    already_target: int
    #: Images skipped (unreadable, target newer, conflicting values).
    skipped: int
    #: Images whose conversion failed (their sources are intact).
    failed: int
    #: Wall time of the run in seconds.
    duration_seconds: float
    #: Directories that could not be listed (nothing in them was converted).
    unreadable_directories: int


# --- Export ---------------------------------------------------------------


class ExportSummary(TypedDict):
    """The totals of an Export run (:attr:`ExportResult.summary`, and the
    ``summary`` of an :meth:`~sidecard.Client.iter_export` stream)."""

    #: The root that was exported.
    root: str
    #: Sidecar documents written to the output.
    exported: int
    #: Sidecar files that could not be read (left out of the output).
    unreadable: int
    #: Bytes of output text.
    output_bytes: int
    #: Wall time in seconds.
    duration_seconds: float
    #: Directories that could not be listed (their sidecars are missing).
    unreadable_directories: int
    #: The files counted in ``unreadable``, with why (the first 1,000).
    unreadable_files: list["SkippedSidecar"]
    #: With ``operations``: readable images left out because their document
    #: holds none of those operations.
    without_operations: int


# --- Prune ----------------------------------------------------------------


class PruneItem(TypedDict):
    """One sidecar file that holds the pruned operation (or does not decode):
    the items of :meth:`~sidecard.Client.iter_prune`, :attr:`PruneResult.results`
    (the protocol's PruneResult message)."""

    #: The sidecar file.
    file: str
    #: What happened (or would, in a dry run).
    action: PruneActionName | None
    #: For the ``skipped_*`` actions and ``failed``: why; else "".
    error: str
    #: What was (or would be) removed: ``operation`` or ``operation.backend``.
    removed: str
    #: The operations the file holds afterwards, sorted.
    remaining_operations: list[str]
    #: Size before, and after (or would be after).
    size_bytes: int
    new_size_bytes: int
    #: ``pruned``: the previous version, in the quarantine batch; else None.
    quarantined: str | None


class PruneSummary(TypedDict):
    """The totals of a Prune run (:attr:`PruneResult.summary`, and the
    ``summary`` of an :meth:`~sidecard.Client.iter_prune` stream)."""

    #: The root that was pruned.
    root: str
    #: The operation pruned, and the backend ("" for the whole operation).
    operation: str
    backend: str
    #: True when files were rewritten (``apply``), False for a dry run.
    applied: bool
    #: Sidecar files examined (foreign files are not).
    sidecars_examined: int
    #: Files holding the operation (or backend), whatever was done.
    matched: int
    #: Files rewritten (or that would be).
    pruned: int
    #: Files left alone: unreadable, layout, changed meanwhile.
    skipped: int
    #: Rewrites that failed.
    failed: int
    #: Of the skipped, files that do not decode.
    unreadable: int
    #: Files with a sidecar extension that are not sidecars: never touched.
    foreign_files: int
    #: Directories that could not be listed.
    unreadable_directories: int
    #: Bytes the rewritten files shrank by (or would).
    bytes_removed: int
    #: With ``apply``: the quarantine batch holding the previous versions; else "".
    quarantine_dir: str
    #: Wall time in seconds.
    duration_seconds: float


# --- one image ------------------------------------------------------------


class SkippedSidecar(TypedDict):
    """A higher-priority sidecar file of an image that exists but could not be read."""

    #: The file.
    file: str
    #: Why it was not used, e.g. ``"invalid JSON at byte offset 40: ..."``.
    error: str


class ReadSidecarResult(TypedDict):
    """What :meth:`~sidecard.Client.read_sidecar` returns: the ReadSidecarResponse
    fields, with the parsed ``document`` in place of ``document_json``."""

    #: True when a readable sidecar exists.
    found: bool
    #: The sidecar document (a JSON object, parsed); ``{}`` when none was found.
    document: dict[str, Any]
    #: The file the document was read from; None when not found.
    sidecar: str | None
    #: Its format; None when not found.
    format: SidecarFormatName | None
    #: Higher-priority files that exist but could not be read.
    skipped: list[SkippedSidecar]
    #: The resolved image the sidecar belongs to.
    image: str | None
    #: Lower-priority files that also exist (a save merges their content in).
    shadowed: list[str]
    #: Old per-operation files (``<stem>_<operation>.json``) whose content is merged
    #: into ``document`` below the file read, each under its operation.
    merged_from: list[str]


class SaveSidecarResult(TypedDict):
    """What :meth:`~sidecard.Client.save_sidecar` returns (SaveSidecarResponse)."""

    #: The file written.
    sidecar: str | None
    #: Its format.
    format: SidecarFormatName | None
    #: True when no sidecar existed before.
    created: bool
    #: Other sidecar files of this image whose content was merged in.
    merged_from: list[str]
    #: Where a corrupt sidecar was kept aside (``overwrite_corrupt`` only); else None.
    corrupt_kept_as: str | None
    #: Size of the written file in bytes.
    size_bytes: int


# --- the daemon -----------------------------------------------------------


class MethodFigures(TypedDict):
    """What one RPC method has served since the daemon started (latencies from
    a call's arrival to its status; 0 while no call has finished)."""

    #: Method name, e.g. ``Validate``.
    method: str
    #: Calls finished, whatever their status.
    calls: int
    #: Calls finished with a status other than OK.
    failed_calls: int
    #: Calls finished per status code name (``OK``, ``NOT_FOUND``, ...).
    calls_by_status: dict[str, int]
    #: The median latency, milliseconds (estimated from a histogram).
    latency_p50_ms: float
    #: The 90th percentile latency, milliseconds (estimated).
    latency_p90_ms: float
    #: The 99th percentile latency, milliseconds (estimated).
    latency_p99_ms: float
    #: The slowest finished call, milliseconds (exact).
    latency_max_ms: float


class CacheFigures(TypedDict):
    """What the daemon's metadata cache holds and how well it answers."""

    #: False when the cache is turned off (``--cache-max-bytes=0``).
    enabled: bool
    #: Sidecar files whose analysis is held.
    entries: int
    #: Estimated memory held, bytes.
    bytes: int
    #: The memory bound, bytes.
    max_bytes: int
    #: Inspections answered from memory, since start.
    hits: int
    #: Inspections that read the file, since start.
    misses: int
    #: Entries dropped to stay within ``max_bytes``, since start.
    evictions: int
    #: Directories watched with inotify (0 with ``--no-watch``).
    watches: int
    #: Directories whose listing is held.
    directories: int
    #: Per-directory Validate (summary only) and Stats results held for watched directories.
    directory_tallies: int
    #: Directories answered from such a result, since start.
    directory_tally_hits: int
    #: Times inotify lost events (queue overflow), since start.
    watch_overflows: int
    #: Watches not added because a limit was reached, since start.
    watch_refusals: int
    #: Directory scans on filesystems inotify cannot fully watch (NFS, ...), since start.
    unwatchable_scans: int
    #: New hard links seen in watched directories, since start.
    watch_links_seen: int


class StartupSweepFigures(TypedDict):
    """The daemon's start-up sweep of stray working files (``.sidecard-tmp-*``
    deleted, ``.sidecard-held-*`` restored or kept as a conflict)."""

    #: True once it began.
    started: bool
    #: True once every root was swept.
    finished: bool
    #: True under ``--read-only``: strays were counted and logged, not resolved.
    dry_run: bool
    #: Directories looked at.
    directories: int
    #: Working files found.
    working_files: int
    #: Of those, strays (older than the 10-minute write window).
    strays: int
    #: Strays deleted.
    removed: int
    #: Held strays moved back to their name.
    restored: int
    #: Held strays kept as a conflict name.
    kept_as_conflict: int
    #: Strays that could not be resolved (each logged).
    failed: int
    #: Directories that could not be listed (each logged).
    unreadable_directories: int
    #: Wall time so far, or of the whole sweep, seconds.
    duration_seconds: float


class ServerInfo(TypedDict):
    """What :meth:`~sidecard.Client.server_info` returns (GetServerInfoResponse)."""

    #: The daemon's version (semantic version).
    version: str
    #: Seconds since the daemon started.
    uptime_seconds: float
    #: Threads in the shared worker pool.
    workers: int
    #: The allowed roots, resolved.
    allowed_roots: list[str]
    #: Calls served per method name, since start.
    calls_by_method: dict[str, int]
    #: Calls that ended with a non-OK status, since start.
    failed_calls: int
    #: Calls running now.
    active_calls: int
    #: Tasks waiting in the worker pool's queue now.
    queued_tasks: int
    #: Process id of the daemon.
    pid: int
    #: Per-method figures: one entry per method called at least once, by name.
    methods: list[MethodFigures]
    #: The log level in force (``trace``, ``debug``, ``info``, ``warn``, ``error``, ``off``).
    log_level: str
    #: The metadata cache.
    cache: CacheFigures | None
    #: The start-up sweep of stray working files.
    startup_sweep: StartupSweepFigures | None


# --- the quarantine ---------------------------------------------------------


class QuarantineFile(TypedDict):
    """One file in a quarantine batch (the items of
    :meth:`~sidecard.Client.iter_quarantine_list`, :attr:`QuarantineListResult.files`;
    the protocol's QuarantineFile message)."""

    #: The batch it is in (its ID, ``YYYYMMDDTHHMMSSZ``).
    batch: str
    #: The file inside the batch folder.
    file: str
    #: Where it came from: where a restore puts it back.
    original: str
    #: File size in bytes.
    size_bytes: int


class QuarantineBatch(TypedDict):
    """One quarantine batch (in :class:`QuarantineListSummary` and
    :class:`QuarantinePurgeItem`; the protocol's QuarantineBatch message)."""

    #: Its ID: the folder's name, the UTC time of the Cleanup that made it.
    id: str
    #: That time, in seconds since the Unix epoch (what its age is measured from).
    created_unix_seconds: int
    #: Regular files in it.
    files: int
    #: Their total size in bytes.
    bytes: int
    #: Entries that are neither folders nor regular files (symlinks, ...).
    other_entries: int


class QuarantineListSummary(TypedDict):
    """What a quarantine listing found (:attr:`QuarantineListResult.summary`; the
    protocol's ListQuarantineSummary message)."""

    #: The directory whose quarantine was listed.
    root: str
    #: Its quarantine folder, ``<root>/.sidecard-quarantine``.
    quarantine_dir: str
    #: The batches, oldest first.
    batches: list[QuarantineBatch]
    #: Files in them.
    files: int
    #: Their total size in bytes.
    bytes: int
    #: Entries of the quarantine folder that are not batches (left alone).
    not_batches: int
    #: Wall time of the call in seconds.
    duration_seconds: float


class QuarantineRestoreItem(TypedDict):
    """One quarantined file a restore looked at (the items of
    :meth:`~sidecard.Client.iter_quarantine_restore`,
    :attr:`QuarantineRestoreResult.results`; the protocol's RestoreQuarantineResult)."""

    #: The batch it is in.
    batch: str
    #: The file inside the batch folder.
    file: str
    #: Where it goes back to.
    destination: str
    #: What happened (or would, in a dry run).
    action: RestoreActionName | None
    #: For ``conflict`` and ``failed``: why; else "".
    error: str
    #: File size in bytes.
    size_bytes: int


class QuarantineRestoreSummary(TypedDict):
    """The totals of a restore (:attr:`QuarantineRestoreResult.summary`; the
    protocol's RestoreQuarantineSummary)."""

    #: The directory restored into.
    root: str
    #: True for a dry run (nothing changed).
    dry_run: bool
    #: The batches restored from, in the order they were (newest first).
    batches: list[str]
    #: Files moved back (or that would be).
    restored: int
    #: Files kept in the quarantine because their destination exists.
    conflicts: int
    #: Files whose move failed.
    failed: int
    #: Bytes moved back (or that would be).
    bytes: int
    #: Batch folders left empty and removed.
    batches_emptied: int
    #: Wall time of the call in seconds.
    duration_seconds: float


class QuarantinePurgeItem(TypedDict):
    """One batch a purge deleted, or would (the items of
    :meth:`~sidecard.Client.iter_quarantine_purge`,
    :attr:`QuarantinePurgeResult.results`; the protocol's PurgeQuarantineResult)."""

    #: The batch, its figures as found.
    batch: QuarantineBatch | None
    #: What happened (or would, in a dry run).
    action: PurgeActionName | None
    #: For ``failed``: why; else "".
    error: str


class QuarantinePurgeSummary(TypedDict):
    """The totals of a purge (:attr:`QuarantinePurgeResult.summary`; the
    protocol's PurgeQuarantineSummary)."""

    #: The directory whose quarantine was purged.
    root: str
    #: True for a dry run (nothing changed).
    dry_run: bool
    #: The age asked for, in seconds.
    older_than_seconds: int
    #: Batches deleted (or that would be).
    purged: int
    #: Batches kept: not old enough.
    kept: int
    #: Batches whose deletion failed.
    failed: int
    #: Files in the batches deleted (or that would be).
    files: int
    #: Their total size in bytes.
    bytes: int
    #: Wall time of the call in seconds.
    duration_seconds: float


# --- Watch ----------------------------------------------------------------


class SidecarChange(TypedDict):
    """A sidecar file created, changed or removed (an item of
    :meth:`~sidecard.Client.watch`)."""

    #: What happened to it.
    kind: ChangeKindName | None
    #: The sidecar file, absolute.
    path: str | None
    #: Its storage format (from the extension).
    format: SidecarFormatName | None
    #: Created and changed: the operations it holds now, sorted.
    operations: list[str]
    #: Created and changed: whether it decodes to a valid document.
    valid: bool
    #: Created and changed, when not valid: the first problem; else "".
    error: str
    #: Resume here (``watch(root, cursor=...)``) to get the changes after this one.
    cursor: str


class WatchReset(TypedDict):
    """Changes were missed (an item of :meth:`~sidecard.Client.watch`): list the
    tree again (validate, stats), then go on; the stream continues after
    ``cursor``."""

    #: Why.
    reason: WatchResetReasonName | None
    #: Why, for people.
    message: str
    #: Where the stream now stands.
    cursor: str
class FoundImage(TypedDict):
    """One match of Find (the items of :meth:`~sidecard.Client.find`): an image
    (or, for an ``orphans`` query, an orphaned sidecar document) and what its
    sidecar holds. A symlinked image's sidecar is the one beside its resolved
    target; images sharing a stem (``x.jpg``, ``x.CR2``) match as two."""

    #: The image; None for an orphan.
    image: str | None
    #: The sidecar file read first (read priority); None when there is none.
    sidecar: str | None
    #: The format of ``sidecar``; None when there is none.
    format: SidecarFormatName | None
    #: Operations present, snake_case, sorted.
    operations: list[str]
    #: ``operation.backend`` of every payload held under a backend, sorted.
    backends: list[str]
    #: ``operation`` and ``operation.backend`` of every payload with ``success: false``.
    failed: list[str]
    #: Faces over all payloads.
    face_count: int
    #: Objects over all payloads.
    object_count: int
    #: Objects per class name.
    object_classes: dict[str, int]
    #: False when one of its sidecar files is invalid.
    valid: bool
    #: The first invalid sidecar file (read priority); None when all are valid.
    invalid_sidecar: str | None
    #: Sidecar files of the image (``x.bin`` and ``x.json`` are two).
    sidecar_files: int
    #: Newest modification time of its sidecar files, unix seconds; 0 when none.
    modified_unix_seconds: float
    #: True for an orphaned sidecar document (no image).
    orphan: bool


class FindSummary(TypedDict):
    """The totals of a Find run (the ``summary`` of a :meth:`~sidecard.Client.find` stream)."""

    #: The root that was searched (absolute, symlinks resolved; text).
    root: str
    #: Images looked at.
    images: int
    #: Orphaned sidecar documents looked at.
    orphans: int
    #: Matches streamed.
    matched: int
    #: The predicates applied, as sidecarctl spells them (``--missing face_detection``).
    predicates: list[str]
    #: Directories that could not be listed.
    unreadable_directories: int
    #: Directories whose listing failed, with the reason (at most 100).
    directory_errors: list[str]
    #: Wall time of the run in seconds.
    duration_seconds: float
