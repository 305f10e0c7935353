"""`huiqi serve` sends each response at once: TCP_NODELAY on every connection it accepts, also on
a listening socket bound without naming the protocol (as uvicorn binds it for several workers),
where asyncio leaves it off and each response waited ≈ 40 ms for the client's delayed ACK."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.server import ServerState

from huiqi.app.api.serving import NoDelayH11Protocol


async def _nodelay_of_an_accepted_connection() -> int:
    async def app(scope: object, receive: object, send: object) -> None:  # no request is sent
        raise AssertionError

    config = uvicorn.Config(app, lifespan="off")
    config.load()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    listener.bind(("127.0.0.1", 0))
    made: list[NoDelayH11Protocol] = []

    def factory() -> NoDelayH11Protocol:
        made.append(NoDelayH11Protocol(config=config, server_state=ServerState(), app_state={}))
        return made[-1]

    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        while not made:
            await asyncio.sleep(0.01)
        value: int = made[0].transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        return value
    finally:
        server.close()


def test_every_connection_is_sent_without_delay() -> None:
    assert asyncio.run(_nodelay_of_an_accepted_connection()) != 0
