#!/usr/bin/env python3
"""A TCP proxy that delays what passes through it, for scripts/chaos's network phases.

    delay-proxy.py --listen HOST:PORT --to HOST:PORT [--listen … --to …] --delay-file FILE

Every byte is forwarded in order, each chunk held for the delay (milliseconds, each way) that
FILE holds when the chunk arrives: 0 or no file passes it at once. The kernel's netem qdisc,
the usual tool, is missing on these machines; packet loss is done with iptables instead (see
scripts/lib/netns.sh).
"""
import argparse
import asyncio
import os
import time


def delay_seconds(path):
    try:
        with open(path) as file:
            return max(0.0, float(file.read().strip() or 0)) / 1000
    except (OSError, ValueError):
        return 0.0


async def pump(reader, writer, path):
    """Forwards chunks in order, each no earlier than its arrival plus the delay."""
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay_seconds(path), data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((0, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def serve(listen, target, path):
    host, port = listen.rsplit(":", 1)
    to_host, to_port = target.rsplit(":", 1)

    async def connection(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(to_host, int(to_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, path), pump(server_reader, client_writer, path))

    server = await asyncio.start_server(connection, host, int(port))
    async with server:
        await server.serve_forever()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", required=True)
    parser.add_argument("--to", action="append", required=True)
    parser.add_argument("--delay-file", required=True)
    args = parser.parse_args()
    if len(args.listen) != len(args.to):
        parser.error("give one --to per --listen")
    print(f"delay proxy {os.getpid()}: " + ", ".join(f"{a} → {b}" for a, b in zip(args.listen, args.to)), flush=True)
    await asyncio.gather(*(serve(listen, target, args.delay_file) for listen, target in zip(args.listen, args.to)))


if __name__ == "__main__":
    asyncio.run(main())
