"""The departures API's tests share the departures core's fixtures (cases decided
``departure`` in the seed programs' windows) and build everything else over HTTP."""

from __future__ import annotations

from tests.departures.conftest import departure_case

__all__ = ["departure_case"]
