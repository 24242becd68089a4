"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

`povguard serve --workers N` (N > 1) has uvicorn bind the listening socket itself, with
protocol number 0, and asyncio then leaves Nagle's algorithm on for the connections it accepts
(it sets TCP_NODELAY only on sockets made with IPPROTO_TCP). uvicorn writes a response's head
and body separately, so the body waited for the client's delayed ACK: 48 ms per request on a
keep-alive connection, whatever the request cost.
"""

from __future__ import annotations

import asyncio
import socket
from typing import cast

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        connection = cast(socket.socket | None, transport.get_extra_info("socket"))
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
