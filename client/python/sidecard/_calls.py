"""A call of the client API as data (:class:`Unary`, :class:`Streaming`,
:class:`Collected`), and :class:`Method`: a function that describes a call,
made into a method of the blocking and of the asyncio client, each of which
makes the call its own way (blocking; or coroutines and async iterators).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Callable,
    Coroutine,
    Generic,
    Optional,
    ParamSpec,
    TypeVar,
    overload,
)

from sidecard._paths import PathArg

if TYPE_CHECKING:
    from sidecard.aio import AsyncStream, Client as AsyncClient
    from sidecard.client import Client, Stream

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S")
#: Splits one streamed message into its items and, on the last one, the summary.
Unpack = Callable[[Any], tuple[list[Any], Optional[Any]]]


@dataclass(frozen=True)
class Unary(Generic[R]):
    """A call with one answer: `method` of the sidecar service (of the health
    service if `health`), and what the answer becomes."""

    method: str
    request: Any
    result: Callable[[Any], R]
    #: Overrides the client's timeout.
    timeout: float | None = None
    health: bool = False


@dataclass(frozen=True)
class Streaming(Generic[T, S]):
    """A server-streaming call, handed to the caller as a stream of items (T)
    that ends with a summary (S)."""

    method: str
    request: Any
    unpack: Unpack


@dataclass(frozen=True)
class Collected(Generic[R]):
    """A server-streaming call read to its end: `result(items, summary)`, or,
    with an `output`, the items (bytes) written there and `result(None, summary)`."""

    stream: Streaming[Any, Any]
    #: Called with the items (a list, or None) and the summary.
    result: Callable[[Any, Any], R]
    output: PathArg | IO[bytes] | None = None


class Method(Generic[P]):
    """A public method of both clients, defined by `build`: a function with the
    method's parameters (no self) and documentation that describes the call,
    of one `kind` (Unary, Streaming or Collected); a client makes it in its
    method `_unary`, `_streaming` or `_collected`."""

    def __init__(self, build: Callable[P, Any], kind: type) -> None:
        # The build functions are static methods of the shared base class.
        self.build: Callable[P, Any] = getattr(build, "__func__", build)
        self.kind = kind

    if not TYPE_CHECKING:
        # (Type checkers see the typed __get__ of each kind below.)

        def __get__(self, client, owner=None):
            # Reached only through the shared base class: each client class
            # holds its own function instead (function_for).
            return self.build

    def function_for(self, cls: Any, name: str) -> Callable[..., Any]:
        """The method `name` of the client class `cls`: builds the call, then
        makes it, as a coroutine if `cls` awaits this kind of call."""
        build, make = self.build, f"_{self.kind.__name__.lower()}"
        function: Callable[..., Any]
        if self.kind in cls._awaited:

            async def function(client: Any, *args: Any, **kwargs: Any) -> Any:
                return await getattr(client, make)(build(*args, **kwargs))

        else:

            def function(client: Any, *args: Any, **kwargs: Any) -> Any:
                return getattr(client, make)(build(*args, **kwargs))

        function.__name__ = name
        function.__qualname__ = f"{cls.__qualname__}.{name}"
        function.__module__ = cls.__module__
        function.__doc__ = cls._doc(name, build.__doc__ or "")
        signature = inspect.signature(build)
        function.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[_SELF, *signature.parameters.values()],
            return_annotation=_returned(signature.return_annotation, cls._stream_name),
        )
        return function


_SELF = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _returned(annotation: str, stream_name: str) -> str:
    """What a method returns, given its build function's annotation (text:
    annotations are not evaluated): `Unary[X]` and `Collected[X]` give X,
    `Streaming[X]` `stream_name[X]`."""
    kind, _, rest = annotation.partition("[")
    returned = rest.removesuffix("]")
    return f"{stream_name}[{returned}]" if kind == "Streaming" else returned


# What each kind of method is, for type checkers: the blocking client's
# method returns R (or a Stream), the asyncio client's a coroutine (or an
# AsyncStream). At run time every client class holds plain functions.


class UnaryMethod(Method[P], Generic[P, R]):
    """A method that makes a unary call whose answer becomes an R."""

    if TYPE_CHECKING:

        @overload
        def __get__(self, client: None, owner: Any = None) -> UnaryMethod[P, R]: ...
        @overload
        def __get__(
            self, client: AsyncClient, owner: Any = None
        ) -> Callable[P, Coroutine[Any, Any, R]]: ...
        @overload
        def __get__(self, client: Client, owner: Any = None) -> Callable[P, R]: ...
        def __get__(self, client: Any, owner: Any = None) -> Any: ...


class StreamingMethod(Method[P], Generic[P, T, S]):
    """A method that returns the stream of items T, ending with summary S."""

    if TYPE_CHECKING:

        @overload
        def __get__(self, client: None, owner: Any = None) -> StreamingMethod[P, T, S]: ...
        @overload
        def __get__(
            self, client: AsyncClient, owner: Any = None
        ) -> Callable[P, AsyncStream[T, S]]: ...
        @overload
        def __get__(self, client: Client, owner: Any = None) -> Callable[P, Stream[T, S]]: ...
        def __get__(self, client: Any, owner: Any = None) -> Any: ...


class CollectedMethod(Method[P], Generic[P, R]):
    """A method that reads a stream to its end into an R."""

    if TYPE_CHECKING:

        @overload
        def __get__(self, client: None, owner: Any = None) -> CollectedMethod[P, R]: ...
        @overload
        def __get__(
            self, client: AsyncClient, owner: Any = None
        ) -> Callable[P, Coroutine[Any, Any, R]]: ...
        @overload
        def __get__(self, client: Client, owner: Any = None) -> Callable[P, R]: ...
        def __get__(self, client: Any, owner: Any = None) -> Any: ...


def unary(build: Callable[P, Unary[R]]) -> UnaryMethod[P, R]:
    """Makes `build` (a static method) a method that makes a unary call."""
    return UnaryMethod(build, Unary)


def streaming(build: Callable[P, Streaming[T, S]]) -> StreamingMethod[P, T, S]:
    """Makes `build` (a static method) a method that returns the stream of a
    server-streaming call."""
    return StreamingMethod(build, Streaming)


def collected(build: Callable[P, Collected[R]]) -> CollectedMethod[P, R]:
    """Makes `build` (a static method) a method that reads a server-streaming
    call to its end."""
    return CollectedMethod(build, Collected)
