"""Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread (tests, the demo, `url = "local"`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A uvicorn server running in a daemon thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(app: Any, port: int | None = None, *, log_level: str = "warning") -> RunningServer:
    """Start `app` on 127.0.0.1 and return once it accepts connections."""
    port = port or free_port()
    config = uvicorn.Config(app, host=HOST, port=port, log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name=f"emulator:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not start on {HOST}:{port}")
        time.sleep(0.02)
    return RunningServer(url=f"http://{HOST}:{port}", server=server, thread=thread)


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[RunningServer]:
    """Context manager form of start_in_thread."""
    running = start_in_thread(app, port)
    try:
        yield running
    finally:
        running.stop()


def serve_forever(app: Any, port: int, banner: str) -> None:
    """Run `app` in the foreground on 127.0.0.1:port after printing how to connect (bridgework emulate)."""
    print(banner, flush=True)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", lifespan="off", access_log=False)
