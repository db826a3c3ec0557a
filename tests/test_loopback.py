"""The loopback fixture server itself: a client hanging up mid-answer is no error to print."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from tenderwatch.loopback import FixtureServer, Override


def test_a_client_that_hangs_up_mid_answer_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """The standard server prints a BrokenPipe traceback to stderr, and a test that reads a command's
    output through the process's file descriptors took it for the command's own (seen in CI)."""
    server = FixtureServer().start()
    try:
        server.overrides["/big"] = Override(body=b"x" * 8_000_000, delay=0.2)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not close
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(1024)
        deadline = time.monotonic() + 5
        while server.statuses[200] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert server.statuses[200] == 1
    finally:
        server.stop()
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
