"""The decompression bomb of issue 12 against the embedded default's shape: one server process
that also runs the worker (memory backend), two accounts with API keys. Account A uploads the
bomb (a ~100 KB DOCX whose word/document.xml inflates to 20 MB); account B reads its agents
over the API the whole time. Measured:

- the floor: a normal DOCX uploaded by A, from upload to ``ready`` (extraction in its child
  process included);
- guarded: 10 bombs one after the other, each from upload to ``failed`` (the ZIP guard refuses
  it in the child before any parser opens it);
- sandbox only: the server started with the ZIP guard off (``--no-zip-guard``), so the bomb
  reaches python-docx and only the child's limits stop it (CPU limit ``--cpu-s``, 10 s here);
- the server process's resident memory before and at its peak (psutil, sampled every 20 ms;
  the child's memory is its own), B's API latency p50/p99 while idle and during each phase.

    .venv/bin/python bench/extraction_bomb.py [--cpu-s 10] [--skip-unguarded]

Target (issue 12): the bomb ends ``failed`` in under 5 s, the worker's memory grows < 100 MB,
and B's p99 stays within 2x idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the server (a process of its own) -------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    import socket

    import uvicorn
    from dependency_injector import providers
    from testkit.builders import account, store

    from aioomi.adapters.local.sandboxed_extractor import ExtractionSandbox, SandboxedTextExtractor
    from aioomi.adapters.local.zip_guard import ZipLimits
    from aioomi.container import container_in_memory, start, stop
    from aioomi.domain.model.accounts import Principal
    from aioomi.domain.model.agents import AgentSettings
    from aioomi.entrypoints.http.app import create_app
    from aioomi.entrypoints.logging_setup import configure_logging
    from aioomi.settings import Settings

    configure_logging("warning")
    container = container_in_memory(
        settings=Settings(data_dir=tempfile.mkdtemp(prefix="aioomi-bomb-"), log_level="warning", worker_poll_s=0.05)
    )
    sandbox = ExtractionSandbox(cpu_s=args.cpu_s, timeout_s=args.cpu_s * 3)
    zip_limits = (
        ZipLimits(max_members=10**9, max_member_bytes=2**40, max_total_bytes=2**40, max_ratio=1e12)
        if args.no_zip_guard
        else ZipLimits()
    )
    container.text_extractor.override(providers.Object(SandboxedTextExtractor(sandbox, zip_limits=zip_limits)))
    await start(container)
    keys, agents = [], []
    for _ in range(2):
        owner = account()
        await store(container, owner)
        principal = Principal.own(account_id=owner.id)
        agents.append((await container.create_agent()(principal, AgentSettings(name="Helper"))).id)
        keys.append((await container.create_api_key()(principal, "bench")).secret)
    app = create_app(container, run_worker=True, manage_lifecycle=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    print(f"READY {sock.getsockname()[1]} {keys[0]} {agents[0]} {keys[1]} {agents[1]}", flush=True)
    await task
    await stop(container)


# --- the bench -----------------------------------------------------------------------------------


class PeakRss:
    def __init__(self, pid: int) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self.before = self._process.memory_info().rss
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return (self.peak - self.before) / MIB


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


class Server:
    def __init__(self, *extra: str) -> None:
        env = os.environ | {"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.base = f"http://127.0.0.1:{line[1]}"
        self.a = ({"Authorization": f"Bearer {line[2]}"}, line[3])
        self.b = ({"Authorization": f"Bearer {line[4]}"}, line[5])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


async def latencies_until(client, server: Server, done: asyncio.Event) -> list[float]:
    headers, agent = server.b
    out = []
    while not done.is_set():
        start = time.perf_counter()
        response = await client.get(f"/api/v1/agents/{agent}", headers=headers)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.01)
    return out


async def upload_until_done(client, server: Server, name: str, data: bytes) -> tuple[float, dict]:
    headers, agent = server.a
    start = time.perf_counter()
    response = await client.post(
        f"/api/v1/agents/{agent}/documents", headers=headers, files={"file": (name, data, "application/octet-stream")}
    )
    assert response.status_code == 202, response.text
    document = response.json()
    while document["status"] not in ("ready", "failed"):
        await asyncio.sleep(0.02)
        document = (await client.get(f"/api/v1/agents/{agent}/documents/{document['id']}", headers=headers)).json()
    return time.perf_counter() - start, document


async def phase(server: Server, uploads: list[tuple[str, bytes]]) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=server.base, timeout=300) as client:
        rss = PeakRss(server.process.pid)
        done = asyncio.Event()
        reader = asyncio.create_task(latencies_until(client, server, done))
        walls, documents = [], []
        for name, data in uploads:
            wall, document = await upload_until_done(client, server, name, data)
            walls.append(wall)
            documents.append(document)
        done.set()
        lat = await reader
        return {
            "wall_s": [round(w, 3) for w in walls],
            "rss_growth_mb": round(rss.stop(), 1),
            "p50_ms": pct(lat, 0.5),
            "p99_ms": pct(lat, 0.99),
            "samples": len(lat),
            "status": [d["status"] for d in documents],
            "error": documents[-1].get("error"),
        }


async def idle(server: Server, seconds: float) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        done = asyncio.Event()
        reader = asyncio.create_task(latencies_until(client, server, done))
        await asyncio.sleep(seconds)
        done.set()
        lat = await reader
    return {"p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "samples": len(lat)}


async def bench(args: argparse.Namespace) -> None:
    from testkit.documents import docx_bomb, docx_bytes

    bomb, normal = docx_bomb(20 * MIB), docx_bytes()
    say(f"load average {os.getloadavg()}; bomb {len(bomb):,} bytes, inflating word/document.xml to 20 MB")
    results: dict = {"load_avg": [round(x, 2) for x in os.getloadavg()], "bomb_bytes": len(bomb)}
    server = Server("--cpu-s", str(args.cpu_s))
    try:
        await idle(server, 1.0)  # warm-up
        results["idle"] = await idle(server, 5.0)
        say(f"idle: B's p50 {results['idle']['p50_ms']} ms, p99 {results['idle']['p99_ms']} ms")
        results["floor"] = await phase(server, [("handbook.docx", normal)])
        say(f"floor (a normal DOCX to ready): {results['floor']['wall_s'][0]} s")
        results["guarded"] = await phase(server, [(f"bomb-{i}.docx", bomb) for i in range(10)])
        g = results["guarded"]
        say(
            f"10 guarded bombs: wall max {max(g['wall_s'])} s, RSS +{g['rss_growth_mb']} MB, B's p50 {g['p50_ms']} ms "
            f"p99 {g['p99_ms']} ms; {g['status'][-1]}: {g['error']}"
        )
    finally:
        server.close()
    if not args.skip_unguarded:
        server = Server("--cpu-s", str(args.cpu_s), "--no-zip-guard")
        try:
            await idle(server, 1.0)
            results["unguarded_idle"] = await idle(server, 5.0)
            results["sandbox_only"] = await phase(server, [("bomb.docx", bomb)])
            s = results["sandbox_only"]
            say(
                f"sandbox only (no ZIP guard): wall {s['wall_s'][0]} s, RSS +{s['rss_growth_mb']} MB, B's p50 "
                f"{s['p50_ms']} ms p99 {s['p99_ms']} ms (idle p99 {results['unguarded_idle']['p99_ms']} ms); "
                f"{s['status'][0]}: {s['error']}"
            )
        finally:
            server.close()
    results["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    g = results["guarded"]
    summary = {
        "bomb_wall_s": max(g["wall_s"]),
        "floor_docx_wall_s": results["floor"]["wall_s"][0],
        "rss_growth_mb": g["rss_growth_mb"],
        "idle_p50_ms": results["idle"]["p50_ms"],
        "idle_p99_ms": results["idle"]["p99_ms"],
        "bomb_p50_ms": g["p50_ms"],
        "bomb_p99_ms": g["p99_ms"],
        "p99_ratio": round(g["p99_ms"] / max(results["idle"]["p99_ms"], 0.01), 2),
        "load_avg": results["load_avg"],
    }
    if "sandbox_only" in results:
        s = results["sandbox_only"]
        summary |= {
            "sandbox_only_wall_s": s["wall_s"][0],
            "sandbox_only_rss_growth_mb": s["rss_growth_mb"],
            "sandbox_only_p99_ms": s["p99_ms"],
            "sandbox_only_p99_ratio": round(s["p99_ms"] / max(results["unguarded_idle"]["p99_ms"], 0.01), 2),
        }
    print(json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-zip-guard", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu-s", type=int, default=10, help="the child's CPU limit")
    parser.add_argument("--skip-unguarded", action="store_true", help="skip the phase without the ZIP guard")
    args = parser.parse_args()
    asyncio.run(_serve(args) if args.serve else bench(args))


if __name__ == "__main__":
    main()
