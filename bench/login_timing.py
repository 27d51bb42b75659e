#!/usr/bin/env python3
"""Does `login` take the same time whether or not the account exists?

Starts the given server binary on a temporary embedded database with demo data and the
login budgets off (loopback only), then alternates N logins with a wrong password for
an existing account and N for an unknown email, and prints the timings.

Usage: python3 bench/login_timing.py target/release/session-analytics [N]
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def main():
    binary, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET")}
        server = subprocess.Popen(
            [binary, "--data-dir", data, "--bind", "127.0.0.1:0",
             "--login-attempts-per-account-per-minute", "0",
             "--login-attempts-per-address-per-minute", "0",
             "--rate-limit-operations-per-minute", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
        )
        try:
            base = None
            for line in server.stdout:
                match = re.match(r"session-analytics is listening on (http://\S+)", line)
                if match:
                    base = match.group(1)
                    break
            url = f"{base}/graphql"
            query = "mutation($e: String!) { login(email: $e, password: \"wrong\") { token } }"
            cases = {"existing account": "event.admin@example.com", "unknown email": "nobody@example.com"}
            for email in cases.values():  # warm-up
                post(url, {"query": query, "variables": {"e": email}})
            times = {name: [] for name in cases}
            for _ in range(n):
                for name, email in cases.items():
                    times[name].append(post(url, {"query": query, "variables": {"e": email}}))
            for name, values in times.items():
                print(f"{name:17} n={len(values)} median {statistics.median(values):6.1f} ms  "
                      f"mean {statistics.mean(values):6.1f} ms  stdev {statistics.stdev(values):5.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
