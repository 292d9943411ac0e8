"""Failed calls raise the SidecardError subclass of their gRPC status code."""

from __future__ import annotations

import threading
from concurrent import futures
from pathlib import Path
from typing import Iterator

import grpc
import pytest

import sidecard
from conftest import Daemon
from sidecard import errors
from sidecard._stubs import health_pb2, health_pb2_grpc


def test_missing_root_is_not_found(client: sidecard.Client, daemon: Daemon) -> None:
    with pytest.raises(sidecard.NotFound) as raised:
        client.stats(daemon.root / "missing")
    error = raised.value
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert "does not exist" in error.details and error.address == daemon.address
    assert isinstance(error, sidecard.SidecardError) and isinstance(error, RuntimeError)


def test_missing_image_is_not_found(client: sidecard.Client, library: Path) -> None:
    with pytest.raises(sidecard.NotFound):
        client.read_sidecar(library / "a/GONE.jpg")


def test_outside_the_allowed_roots_is_permission_denied(client: sidecard.Client) -> None:
    with pytest.raises(sidecard.PermissionDenied):
        client.stats("/")
    with pytest.raises(sidecard.PermissionDenied):
        client.validate("/usr")
    with pytest.raises(sidecard.PermissionDenied):
        client.read_sidecar("/etc/hostname.jpg")


def test_malformed_requests_are_invalid_argument(client: sidecard.Client, library: Path) -> None:
    with pytest.raises(sidecard.InvalidArgument, match="operation"):
        client.save_sidecar(library / "a/IMG_1.jpg", "Bad Op", {"success": True})
    with pytest.raises(sidecard.InvalidArgument, match="object"):
        client.save_sidecar(library / "a/IMG_1.jpg", "face_detection", "[1, 2, 3]")


def test_arguments_the_client_can_check_raise_before_any_call(
    client: sidecard.Client, library: Path
) -> None:
    with pytest.raises(ValueError, match="dry_run, delete, quarantine"):
        client.cleanup(library, mode="wipe")
    with pytest.raises(ValueError, match="bin, rkyv, json"):
        client.save_sidecar(library / "a/IMG_1.jpg", "x", {}, format="xml")
    with pytest.raises(TypeError, match="mapping or JSON text"):
        client.save_sidecar(library / "a/IMG_1.jpg", "x", 42)  # type: ignore[arg-type]


def test_no_daemon_is_unavailable(tmp_path: Path) -> None:
    address = f"unix:{tmp_path / 'nobody.sock'}"
    with sidecard.Client(address) as client:
        with pytest.raises(sidecard.Unavailable) as raised:
            client.stats(tmp_path)
        with pytest.raises(sidecard.Unavailable):
            list(client.iter_validate(tmp_path))
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert address in str(raised.value)


def test_a_tiny_deadline_is_deadline_exceeded(daemon: Daemon, library: Path) -> None:
    with sidecard.Client(daemon.address, timeout=1e-6) as client:
        with pytest.raises(sidecard.DeadlineExceeded):
            client.validate(library)


def test_cancelling_a_stream_ends_it(client: sidecard.Client, library: Path) -> None:
    stream = client.iter_validate(library, batch_size=1)
    next(stream)
    stream.cancel()
    assert list(stream) == []


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, sidecard.InvalidArgument),
        (grpc.StatusCode.NOT_FOUND, sidecard.NotFound),
        (grpc.StatusCode.PERMISSION_DENIED, sidecard.PermissionDenied),
        (grpc.StatusCode.FAILED_PRECONDITION, sidecard.FailedPrecondition),
        (grpc.StatusCode.ABORTED, sidecard.Aborted),
        (grpc.StatusCode.UNAUTHENTICATED, sidecard.Unauthenticated),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, sidecard.ResourceExhausted),
        (grpc.StatusCode.UNAVAILABLE, sidecard.Unavailable),
        (grpc.StatusCode.DEADLINE_EXCEEDED, sidecard.DeadlineExceeded),
        (grpc.StatusCode.CANCELLED, sidecard.Cancelled),
        (grpc.StatusCode.UNIMPLEMENTED, sidecard.Unimplemented),
        (grpc.StatusCode.INTERNAL, sidecard.SidecardError),
    ],
)
def test_every_status_code_has_its_class(code: grpc.StatusCode, cls: type) -> None:
    error = errors.error_for(code, "why", "unix:/x.sock")
    assert type(error) is cls
    assert (error.code, error.details, error.address) == (code, "why", "unix:/x.sock")
    assert str(error) == f"{code.name}: why (sidecard at unix:/x.sock)"


class _RecordingHealth(health_pb2_grpc.HealthServicer):
    """A health service that records the metadata of each call."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext):
        with self.lock:
            self.metadata.append(dict(context.invocation_metadata()))
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


@pytest.fixture
def recording_server(tmp_path: Path) -> Iterator[tuple[str, _RecordingHealth]]:
    """An in-process gRPC server with the recording health service."""
    servicer = _RecordingHealth()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    address = f"unix:{tmp_path / 'recording.sock'}"
    server.add_insecure_port(address)
    server.start()
    yield address, servicer
    server.stop(None)


def test_the_token_is_sent_as_a_bearer_authorization(
    recording_server: tuple[str, _RecordingHealth], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, servicer = recording_server
    with sidecard.Client(address, token="s3cret") as client:
        assert client.health() == "SERVING"
    monkeypatch.setenv("SIDECARD_TOKEN", "from-env")
    with sidecard.Client(address) as client:
        client.health()
    monkeypatch.delenv("SIDECARD_TOKEN")
    with sidecard.Client(address) as client:
        client.health()
    authorizations = [m.get("authorization") for m in servicer.metadata]
    assert authorizations == ["Bearer s3cret", "Bearer from-env", None]
