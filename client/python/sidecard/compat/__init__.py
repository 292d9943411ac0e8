"""Drop-in replacements for the old Rust sidecar tool, backed by sidecard.

- :mod:`sidecard.compat.rust_sidecar`: ``RustSidecarConfig`` and
  ``RustSidecarManager``, as ``sportball.detection.rust_sidecar`` had them;
- :mod:`sidecard.compat.image_sidecar_rust`: the ``image_sidecar_rust`` binding
  package (``ImageSidecar``, ``OperationType``, ``SidecarFormat``, the exception classes);
- :mod:`sidecard.compat.rust_cli`: the ``sportball-sidecar-rust`` /
  ``image-sidecar-rust`` command line.

Same names, signatures and return shapes as before; the values are sidecard's
(correct) answers. Where the old tool deleted files without asking (cleanup
with ``dry_run=False``, ``cleanup_orphaned``), these do too, because callers
rely on it; set ``SIDECARD_COMPAT_CLEANUP=quarantine`` to move orphans into
``<root>/.sidecard-quarantine/`` instead of deleting them.
"""
