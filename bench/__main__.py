"""`python -m bench`: build (or reuse) a scale dataset, serve it with gunicorn, measure, report.

Steps, each in its own process:
1. `migrate`, `demo --scale …` (skips whatever is already loaded) and `collectstatic`;
2. `bench.probe`: queries per request and the time of each scenario's main SQL, in-process;
3. gunicorn, 2 gthread workers, DEBUG=0, on a free loopback port;
4. `bench.load`: concurrent HTTP clients signed in as a demo user (one run per user the scenarios name);
5. the workers' resident memory; the server stops;
6. `bench.probe --finance`: the receivables report functions and a dunning run, timed in-process;
   `bench.probe --delivery`: the delivery selectors and the Gantt layout, timed in-process;
   `bench.probe --service`: the agent's queue and flow monitor selectors and an SLA recomputation;
   `bench.mail` (when the module exists): IMAP ingestion against a real dovecot, see `mail_hook`;
7. a markdown report on stdout and in bench/results/.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.report import render
from bench.scenarios import Scenario, build_scenarios

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_USER = "zhenghua"  # the maintenance lead: sees every customer and may add contacts, through the policy table
BENCH_PASSWORD = "demo-2026"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: a SQLite file under var/bench/")
    parser.add_argument("--scale", default="", help="full, or a fraction of full (default 0.01 on SQLite, full on PostgreSQL)")
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--user", default=BENCH_USER)
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64:
        parser.error("--requests must be 1–100000 and --concurrency 1–64")
    if not args.scale:
        args.scale = "full" if args.database_url else "0.01"
    return args


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "touchpoint.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # The bench talks plain HTTP on loopback; production keeps the redirect.
        "SECURE_SSL_REDIRECT": "0",
        "TASK_BACKEND": "immediate",
        "EMAIL_URL": "console://",
        "LOG_LEVEL": "ERROR",
    })  # fmt: skip
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env["DATABASE_URL"] = ""
        path = ROOT / "var" / "bench" / f"bench-{args.scale}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        env["SQLITE_PATH"] = str(path)
    return env


def run(command: list[str], env: dict[str, str], *, quiet: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, *command], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    if not quiet:
        sys.stdout.write(result.stdout)
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if httpx.get(f"{base_url}/accounts/login/", timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within a minute")


def worker_memory(master_pid: int) -> list[dict[str, Any]]:
    """VmRSS, VmHWM (peak) and PSS (shared pages split) of each child of the gunicorn master, from /proc."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent != master_pid:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            rollup = (entry / "smaps_rollup").read_text()
            pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")) / 1024
        except (OSError, StopIteration):
            pss = None
        workers.append({
            "pid": int(entry.name),
            "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "peak_mb": int(fields["VmHWM"].split()[0]) / 1024,
            "pss_mb": pss,
        })  # fmt: skip
    return sorted(workers, key=lambda w: w["pid"])


MAIL_MODULE = ROOT / "bench" / "mail.py"


def mail_hook(env: dict[str, str], work: Path, count: int = 1000) -> dict[str, Any] | None:
    """IMAP ingestion, measured by `bench/mail.py` when it exists: `python -m bench.mail --count N --existing
    --out FILE` with the bench's environment (so against the scale dataset, whose database it leaves the
    ingested requests in) writes its figures as JSON; `bench.mail.report_lines` renders them. None when
    there is no such module."""
    if not MAIL_MODULE.exists():
        return None
    print(f"== mail: IMAP ingestion of {count} mails from a real dovecot")
    run(["-m", "bench.mail", "--count", str(count), "--existing", "--out", str(work / "mail.json")], env)
    result: dict[str, Any] = json.loads((work / "mail.json").read_text())
    return result


def by_user(scenarios: list[Scenario], default: str) -> dict[str, list[Scenario]]:
    """The scenarios grouped by who signs in for them, the bench user's first."""
    groups: dict[str, list[Scenario]] = {default: []}
    for scenario in scenarios:
        groups.setdefault(scenario.user or default, []).append(scenario)
    return {user: group for user, group in groups.items() if group}


def main() -> None:
    args = parse_args()
    env = environment(args)
    started = time.monotonic()
    print(f"== dataset: {'PostgreSQL' if args.database_url else 'SQLite ' + env['SQLITE_PATH']}, scale {args.scale}")
    run(["-m", "touchpoint", "migrate", "--noinput", "-v", "0"], env)
    built = time.monotonic()
    demo_output = run(["-m", "touchpoint", "demo", "--scale", args.scale], env, quiet=True)
    build_seconds = time.monotonic() - built
    # The bulk loaders report each table they write ("bulk: <tables>: rows …"); none means all was there.
    reused = not any(line.startswith("bulk: ") for line in demo_output.splitlines())
    print("\n".join(line for line in demo_output.splitlines()
                    if line.startswith(("bulk", "staff", "customers", "touch", "sales", "finance", "delivery", "service"))))  # fmt: skip
    run(["-m", "touchpoint", "collectstatic", "--noinput", "-v", "0"], env)

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        run(["-m", "bench.probe", "--user", args.user, "--facts", "--out", str(work / "facts.json")], env)
        facts = json.loads((work / "facts.json").read_text())
        scenarios = build_scenarios(
            customer_id=facts["customer_id"], two_chars=facts["two_chars"], initials=facts["initials"],
            phone_fragment=facts["phone_fragment"], sales=facts.get("sales"), finance=facts.get("finance"),
            delivery=facts.get("delivery"), service=facts.get("service"),
        )  # fmt: skip
        (work / "scenarios.json").write_text(json.dumps([s.as_dict() for s in scenarios], ensure_ascii=False))
        print("== probing queries per request")
        run(["-m", "bench.probe", "--user", args.user, "--scenarios", str(work / "scenarios.json"),
             "--out", str(work / "probe.json")], env)  # fmt: skip
        probes = json.loads((work / "probe.json").read_text())

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "touchpoint.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
             "--preload", "--log-level", "warning"],
            env=env, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(base_url, server)
            print(f"== load: {args.requests} requests per scenario, {args.concurrency} clients, {base_url}")
            loads = []
            # bench.load signs in once: one run per signed-in person, in the scenarios' order.
            for index, (username, group) in enumerate(by_user(scenarios, args.user).items()):
                config = {
                    "base_url": base_url, "username": username, "password": BENCH_PASSWORD,
                    "requests": args.requests, "concurrency": args.concurrency,
                    "scenarios": [s.as_dict() for s in group],
                }  # fmt: skip
                (work / f"load-{index}.json").write_text(json.dumps(config, ensure_ascii=False))
                run(["-m", "bench.load", "--config", str(work / f"load-{index}.json"),
                     "--out", str(work / f"loaded-{index}.json")], {**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
                loads += json.loads((work / f"loaded-{index}.json").read_text())
            memory = worker_memory(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)

        finance = None
        if facts.get("finance"):
            # After the server stops: the dunning run is a long write transaction of its own.
            print(f"== finance: report functions and a dunning run over {facts['finance']['overdue']:,} overdue invoices")
            run(["-m", "bench.probe", "--user", args.user, "--finance", "--out", str(work / "finance.json")], env)
            finance = json.loads((work / "finance.json").read_text())

        delivery = None
        if facts.get("delivery"):
            print(f"== delivery: selectors and the Gantt layout over {facts['delivery']['projects']:,} projects, in-process")
            run(["-m", "bench.probe", "--user", args.user, "--delivery", "--out", str(work / "delivery.json")], env)
            delivery = json.loads((work / "delivery.json").read_text())

        service = None
        if facts.get("service"):
            print(f"== service: selectors and an SLA recomputation of {facts['service']['open']:,} open requests, in-process")
            run(["-m", "bench.probe", "--user", args.user, "--service", "--out", str(work / "service.json")], env)
            service = json.loads((work / "service.json").read_text())
        mail = mail_hook(env, work)

    report = render(
        args=args, facts=facts, scenarios=scenarios, probes=probes, loads=loads, memory=memory,
        build_seconds=None if reused else build_seconds, demo_output=demo_output, finance=finance, delivery=delivery,
        service=service, mail=mail,
        total_seconds=time.monotonic() - started,
    )  # fmt: skip
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    vendor = "postgresql" if args.database_url else "sqlite"
    target = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}-{vendor}-{args.scale}.md"
    target.write_text(report, encoding="utf-8")
    print(f"(written to {target.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
