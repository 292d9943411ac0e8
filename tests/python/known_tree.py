"""A small photo tree whose every answer is known, for the Python tests.

    library/
      package.json              foreign file (not a sidecar)
      a/IMG_1.jpg  IMG_1.bin    face_detection.insightface: 2 faces, success, 1.5 s
      a/IMG_2.jpg  IMG_2.json   yolov8.yolov8: 3 objects (2 person, 1 sports ball), 0.5 s
      a/IMG_3.jpg               no sidecar
      a/IMG_4.jpg  IMG_4.bin    corrupt: the header promises 100 bytes, 10 follow
      a/GHOST.bin               orphan: face_detection, 1 face, success, 2.5 s
      b/IMG_5.jpg  IMG_5.rkyv   face_detection.insightface: success false, 0.5 s

Sidecars are written the way the pipeline writes them: `.bin`/`.rkyv` as an
8-byte little-endian length and compact JSON with sorted keys, `.json`
indented by 2.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

IMAGES = ("a/IMG_1.jpg", "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg", "b/IMG_5.jpg")
SIDECARS = ("a/GHOST.bin", "a/IMG_1.bin", "a/IMG_2.json", "a/IMG_4.bin", "b/IMG_5.rkyv")
ORPHAN = "a/GHOST.bin"
CORRUPT = "a/IMG_4.bin"
NO_SIDECAR = "a/IMG_3.jpg"


def encode_bin(document: dict[str, Any]) -> bytes:
    """The .bin/.rkyv encoding: u64 little-endian length, then compact sorted JSON."""
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data = body.encode()
    return struct.pack("<Q", len(data)) + data


def decode_bin(data: bytes) -> dict[str, Any]:
    """Decodes a .bin/.rkyv file, checking its length header."""
    (length,) = struct.unpack("<Q", data[:8])
    assert length == len(data) - 8, "length header does not match the body"
    return json.loads(data[8:])


def _info(operation: str) -> dict[str, Any]:
    return {"operation_type": operation, "created_at": "2025-05-03T10:00:00"}


def face_document(faces: int, success: bool, seconds: float) -> dict[str, Any]:
    """A merged sidecar document holding one insightface result."""
    payload: dict[str, Any] = {
        "success": success,
        "faces": [{"face_id": i, "confidence": 0.9} for i in range(faces)],
        "metadata": {"faces_found": faces, "processing_time": seconds, "detector": "insightface"},
    }
    if not success:
        payload["error"] = "boom"
    return {"face_detection": {"insightface": payload}, "sidecar_info": _info("face_detection")}


def yolo_document() -> dict[str, Any]:
    """A merged sidecar document holding one yolov8 result with three objects."""
    objects = [{"class_name": name} for name in ("person", "sports ball", "person")]
    payload = {
        "success": True,
        "objects": objects,
        "metadata": {"objects_found": 3, "detection_time": 0.5, "model_path": "yolov8n.pt"},
    }
    return {"yolov8": {"yolov8": payload}, "sidecar_info": _info("yolov8")}


def build(root: Path) -> Path:
    """Writes the tree under `root` (created) and returns `root`."""
    for image in IMAGES:
        path = root / image
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xd9")
    (root / "package.json").write_text('{"name": "x"}')
    (root / "a/IMG_1.bin").write_bytes(encode_bin(face_document(2, True, 1.5)))
    (root / "a/IMG_2.json").write_text(json.dumps(yolo_document(), indent=2) + "\n")
    (root / CORRUPT).write_bytes(struct.pack("<Q", 100) + b'{"face_de')
    (root / ORPHAN).write_bytes(encode_bin(face_document(1, True, 2.5)))
    (root / "b/IMG_5.rkyv").write_bytes(encode_bin(face_document(0, False, 0.5)))
    return root
