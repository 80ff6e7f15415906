"""The servers tests run on loopback (the fake OpenAI and Stripe servers, the app in the
browser tests) answer kept-alive requests without Nagle's delay: a connection accepted from
:func:`loopback_socket` the way uvicorn accepts it (``loop.create_server(sock=…)``) has
TCP_NODELAY. Without it every response written in two parts (head, then body) waited for the
client's delayed ACK, about 40 ms a request."""

from __future__ import annotations

import asyncio
import socket

from testkit.serving import loopback_socket


async def test_a_connection_accepted_from_a_loopback_socket_has_tcp_nodelay() -> None:
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[asyncio.BaseTransport] = loop.create_future()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport)

    sock = loopback_socket()
    server = await loop.create_server(Accept, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname())
        transport = await asyncio.wait_for(accepted, 10)
        assert transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        transport.close()
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
