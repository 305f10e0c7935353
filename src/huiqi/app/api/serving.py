"""The HTTP protocol ``huiqi serve`` runs: uvicorn's, with Nagle's algorithm off on every connection.

With several workers uvicorn binds the listening socket itself without naming the protocol, and
asyncio then leaves TCP_NODELAY off on the connections it accepts. A response goes out in two
writes (head, then body), so the body waited for the client's delayed acknowledgement: ≈ 40 ms
added to every request. Setting TCP_NODELAY on each connection removes the wait whatever the
socket was bound with.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol; each connection's writes are sent at once."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
