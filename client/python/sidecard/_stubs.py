"""The generated protocol modules, imported from where the build puts them.

The build (client/python/CMakeLists.txt) generates them into ``sidecard/_gen``;
a source checkout without a build has none, which this module reports clearly.
"""

try:
    from sidecard._gen.grpc.health.v1 import health_pb2, health_pb2_grpc
    from sidecard._gen.sidecar.v1 import sidecar_pb2, sidecar_pb2_grpc
except ModuleNotFoundError as error:  # pragma: no cover - only without a build
    raise ImportError(
        "sidecard: the generated gRPC code (sidecard._gen) is missing; build the project "
        "(cmake --build BUILD) and put BUILD/python on PYTHONPATH, not client/python"
    ) from error

__all__ = ["health_pb2", "health_pb2_grpc", "sidecar_pb2", "sidecar_pb2_grpc"]
