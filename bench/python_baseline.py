#!/usr/bin/python3
"""The plain Python loop a user would otherwise write over a sidecar tree.

    bench/python_baseline.py DIR [--json]

os.walk, open every *.bin / *.json (extension matched case-insensitively),
json.loads the text (for .bin: struct-unpack the 8-byte little-endian length,
then json.loads the body), and count what a user would count: operations per name (top-level keys except sidecar_info) and faces
(face_detection.<backend>.faces). One thread, standard library only: this is
the "before sidecard" figure. Prints files, bytes, faces and seconds.
"""

import json
import os
import struct
import sys
import time


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    as_json = "--json" in argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = args[0]
    t0 = time.perf_counter()
    files = nbytes = faces = failed = 0
    operations = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            lower = name.lower()
            is_bin = lower.endswith(".bin")
            if not (is_bin or lower.endswith(".json")):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            files += 1
            nbytes += len(data)
            try:
                if is_bin:
                    (n,) = struct.unpack_from("<Q", data)
                    if n > len(data) - 8:
                        raise ValueError("truncated")
                    doc = json.loads(data[8:8 + n])
                else:
                    doc = json.loads(data)
            except (ValueError, struct.error):
                failed += 1
                continue
            if not isinstance(doc, dict):
                failed += 1
                continue
            for op, value in doc.items():
                if op == "sidecar_info":
                    continue
                operations[op] = operations.get(op, 0) + 1
                if op == "face_detection" and isinstance(value, dict):
                    for payload in value.values():
                        if isinstance(payload, dict) and isinstance(payload.get("faces"), list):
                            faces += len(payload["faces"])
    seconds = time.perf_counter() - t0
    result = {"files": files, "bytes": nbytes, "faces": faces, "failed": failed,
              "operations": operations, "seconds": round(seconds, 6)}
    if as_json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"python baseline: {files} files, {nbytes} bytes ({nbytes / 1e6:.1f} MB), "
              f"{faces} faces, operations {operations}, {failed} failed, {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
