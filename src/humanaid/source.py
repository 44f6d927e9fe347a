"""What domain code needs of a dataset: :class:`RecordSource`.

The domain modules (projects, seed funds, the ledger's accounts ...) sit below the
:class:`~humanaid.Dataset` in the layers: they may not import it. Functions of theirs
that read a whole dataset (``project_finance``, ``portfolio_report``) take a
:class:`RecordSource` instead, the few methods they call. :class:`~humanaid.Dataset`
and every subclass of it is one; so is any object of your own with these methods.

>>> from humanaid import Dataset
>>> isinstance(Dataset(), RecordSource)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from humanaid.funds import Ledger

__all__ = ["RecordSource"]

T = TypeVar("T")


@runtime_checkable
class RecordSource(Protocol):
    """Records by collection, indexed by id, with derived values kept once computed.

    :class:`~humanaid.Dataset` implements it; see there for each method.
    """

    def collection_types(self) -> dict[str, type]:
        """Map each collection name to its record type."""
        ...

    def records(self, name: str, *, missing_ok: bool = False) -> tuple[Any, ...]:
        """The records of collection ``name``; none if it is missing and ``missing_ok``."""
        ...

    def index(self, name: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        """A read-only map from id to record; empty if missing and ``missing_ok``."""
        ...

    def get(self, name: str, id: str) -> Any | None:
        """The record with ``id`` in collection ``name``, or ``None``."""
        ...

    def derived(self, key: str, make: Callable[[Any], T]) -> T:
        """``make(self)``, computed once and kept."""
        ...

    def ledger(self) -> Ledger:
        """The ledger of every flow the records hold or imply, built once."""
        ...
