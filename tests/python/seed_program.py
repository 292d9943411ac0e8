"""A caller written the way the seed document (shared/seed/000_...txt) shows
sportball and yagg code using the Rust tool. It must run unchanged against
sidecard, with only <build>/python and <build>/python/compat on PYTHONPATH.

    python3 seed_program.py DIRECTORY

Prints what the seed's examples print, then one JSON line of the values the
test checks.
"""

import json
import sys
from pathlib import Path

from sportball.detection.rust_sidecar import RustSidecarConfig, RustSidecarManager

directory = Path(sys.argv[1])

# "Direct Rust Usage"
rust_manager = RustSidecarManager()
print(f"Rust available: {rust_manager.rust_available}")
results = rust_manager.validate_sidecars(directory)
stats = rust_manager.get_statistics(directory)
perf_info = rust_manager.get_performance_info()
print(f"Performance info: {perf_info}")

# "Performance Monitoring"
manager = RustSidecarManager()
print(f"Rust available: {manager.rust_available}")
print(f"Performance info: {manager.get_performance_info()}")

# "Configuration"
config = RustSidecarConfig(enable_rust=True, max_workers=32, timeout=600, fallback_to_python=True)
manager = RustSidecarManager(config)

# "For yagg and Other Tools"
rust_manager = RustSidecarManager()
yagg_results = rust_manager.validate_sidecars(directory)

print(
    json.dumps(
        {
            "rust_available": rust_manager.rust_available,
            "validated": len(results),
            "invalid": sum(1 for r in results if not r["is_valid"]),
            "yagg_validated": len(yagg_results),
            "total_images": stats["total_images"],
            "coverage_percentage": stats["coverage_percentage"],
            "configured": manager.get_performance_info(),
        }
    )
)
