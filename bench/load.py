"""The load generator: concurrent HTTP clients against the running server, in a process of its own.

Run by `python -m bench` as `python -m bench.load --config FILE --out FILE`. It imports no Django:
it signs in through the login form like a browser, then sends a bounded number of requests per
scenario from a pool of threads, each with its own keep-alive connection, to 127.0.0.1 only.
"""

import argparse
import itertools
import json
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.scenarios import Scenario, contact_body

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Session:
    """Cookies kept by hand: with DEBUG=0 the server marks them Secure, and the bench talks plain HTTP."""

    def __init__(self, base_url: str) -> None:
        if urlsplit(base_url).hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("The benchmark only talks to a server on the loopback interface.")
        self.base_url = base_url
        self.cookies: dict[str, str] = {}

    def remember(self, response: httpx.Response) -> None:
        for name, value in response.cookies.items():
            self.cookies[name] = value

    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60, follow_redirects=False)

    def login(self, username: str, password: str) -> None:
        with self.client() as client:
            page = client.get("/accounts/login/")
            self.remember(page)
            found = CSRF_INPUT.search(page.text)
            if page.status_code != 200 or not found:
                raise SystemExit(f"login page answered {page.status_code} without a CSRF token")
            response = client.post(
                "/accounts/login/",
                data={"login": username, "password": password, "csrfmiddlewaretoken": found.group(1)},
                headers={**self.headers(), "Referer": f"{self.base_url}/accounts/login/"},
            )
            self.remember(response)
            if response.status_code not in (302, 303) or "sessionid" not in self.cookies:
                raise SystemExit(f"signing in as {username} failed: HTTP {response.status_code}")


def run_scenario(session: Session, scenario: Scenario, *, requests: int, concurrency: int) -> dict[str, Any]:
    serial = itertools.count(int(time.time()) % 10**6 * 100)
    lock = threading.Lock()
    local = threading.local()
    anonymous = scenario.key == "login_page"

    def one() -> tuple[float, int]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = session.client()
        headers = {} if anonymous else session.headers()
        started = time.perf_counter()
        if scenario.method == "POST":
            with lock:
                number = next(serial)
            headers = {**headers, "X-CSRFToken": session.cookies.get("csrftoken", ""),
                       "Referer": f"{session.base_url}/"}  # fmt: skip
            response = client.post(scenario.path, json=contact_body(scenario.body, number), headers=headers)
        else:
            response = client.get(scenario.path, headers=headers)
        response.read()
        return time.perf_counter() - started, response.status_code

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda _: one(), range(concurrency * 2)))  # warm-up: connections, caches
        started = time.perf_counter()
        outcomes = list(pool.map(lambda _: one(), range(requests)))
        elapsed = time.perf_counter() - started
    latencies = sorted(seconds * 1000 for seconds, _ in outcomes)
    statuses: dict[str, int] = {}
    for _, status in outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "key": scenario.key,
        "requests": len(outcomes),
        "statuses": statuses,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))],
        "max_ms": latencies[-1],
        "per_second": len(outcomes) / elapsed if elapsed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    session = Session(config["base_url"])
    session.login(config["username"], config["password"])
    results = []
    for data in config["scenarios"]:
        scenario = Scenario.from_dict(data)
        results.append(run_scenario(session, scenario, requests=config["requests"], concurrency=config["concurrency"]))
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
