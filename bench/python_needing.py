#!/usr/bin/python3
"""The loop sportball runs today before a detection pass: which images still need an operation.

    bench/python_needing.py DIR OPERATION [--json]

For every image under DIR (os.walk; the image extensions of docs/CONTRACT.md §1,
case-insensitive), read its sidecar one by one (<stem>.bin, else .rkyv, else .json:
the read priority), decode it and check the operation: the image needs it when it has
no readable sidecar, the document lacks the operation, or a payload of it has
"success": false (what sportball's _filter_images_needing_processing and
check_sidecar_files_parallel compute). One thread, standard library only. Prints the
images looked at, those needing the operation, and seconds.
"""

import json
import os
import struct
import sys
import time

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".heic",
                    ".heif", ".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".rw2", ".raf"}


def read_document(path):
    with open(path, "rb") as f:
        data = f.read()
    if not path.lower().endswith(".json"):
        (n,) = struct.unpack_from("<Q", data)
        data = data[8:8 + n]
    doc = json.loads(data)
    return doc if isinstance(doc, dict) else None


def payloads(value):
    if isinstance(value, dict) and ("success" in value or "faces" in value or "objects" in value):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, dict)]
    return []


def needs(image_path, operation, names):
    stem = os.path.splitext(image_path)[0]
    base = os.path.basename(stem)
    for ext in (".bin", ".rkyv", ".json"):
        for name in names.get((base + ext).lower(), ()):
            try:
                doc = read_document(os.path.join(os.path.dirname(image_path), name))
            except (OSError, ValueError, struct.error):
                continue
            if doc is None:
                continue
            if operation not in doc:
                return True
            return any(p.get("success") is False for p in payloads(doc[operation]))
    return True


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root, operation = args
    t0 = time.perf_counter()
    images = needing = 0
    listed = {}  # target directory -> its names, for symlinked images
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        names = {}
        for name in filenames:
            names.setdefault(name.lower(), []).append(name)
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                continue
            images += 1
            path = os.path.realpath(os.path.join(dirpath, name))
            if path != os.path.join(dirpath, name):  # a symlinked image: beside its target
                target_dir = os.path.dirname(path)
                if target_dir not in listed:
                    listed[target_dir] = {}
                    try:
                        for n in os.listdir(target_dir):
                            listed[target_dir].setdefault(n.lower(), []).append(n)
                    except OSError:
                        pass
                needing += needs(path, operation, listed[target_dir])
            else:
                needing += needs(path, operation, names)
    seconds = time.perf_counter() - t0
    result = {"images": images, "needing": needing, "seconds": round(seconds, 6)}
    if "--json" in argv:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"python needing loop: {images} images, {needing} need {operation}, {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
