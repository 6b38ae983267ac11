"""Seamless deploy proxy: forwards every TCP connection on LISTEN_PORT to whichever
container answers to TARGET_HOST (a Docker network alias) on TARGET_PORT.

Each connection resolves the alias afresh, so a switch-over needs no restart. A
connection attempt that fails (a replica that just left the network, a first packet
lost while a new one joins) is retried quickly on a fresh resolution instead of
waiting out TCP's one-second retransmit, for up to RETRY_FOR seconds.

Usage: python3 -c "$(cat proxy.py)" LISTEN_PORT TARGET_HOST TARGET_PORT
"""
import asyncio
import socket
import sys

ATTEMPT_TIMEOUT = 0.15
RETRY_FOR = 10.0


async def open_backend(host, port):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RETRY_FOR
    while True:
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            for family, _, _, _, addr in infos:
                try:
                    return await asyncio.wait_for(
                        asyncio.open_connection(addr[0], addr[1]), ATTEMPT_TIMEOUT
                    )
                except (OSError, asyncio.TimeoutError):
                    continue
        except OSError:
            pass
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(0.05)


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.write_eof()
        except OSError:
            writer.close()


async def handle(client_reader, client_writer, host, port):
    backend = await open_backend(host, port)
    if backend is None:
        client_writer.close()
        return
    backend_reader, backend_writer = backend
    await asyncio.gather(
        pipe(client_reader, backend_writer), pipe(backend_reader, client_writer)
    )
    backend_writer.close()
    client_writer.close()


async def main():
    listen_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, host, port), "0.0.0.0", listen_port, reuse_address=True
    )
    async with server:
        await server.serve_forever()


asyncio.run(main())
