"""A real uvicorn (``adlens serve``) on a free port: the README's HTTP API example runs green,
TLS works with a self-signed certificate, and the server refuses an unsafe production key."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .api_support import app_db_url

__all__ = ["app_db_url"]

ROOT = Path(__file__).parent.parent
ADLENS = str(Path(sys.executable).parent / "adlens")
PASSWORD = "readme-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADLENS_")}
    env.update(
        {
            "ADLENS_DB": str(tmp_path / "served.duckdb"),
            "SECRET_KEY": "r" * 48,
            "APP_ENV": "test",
        }
    )
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], verify: object = True) -> None:
    for _ in range(150):
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(url + "/health", verify=verify, timeout=1).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def serve(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [ADLENS, "serve", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## HTTP API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


def test_readme_http_example_runs_against_a_real_server(tmp_path: Path, app_db_url: str) -> None:
    env = {**server_env(tmp_path), "ADLENS_APP_DB_URL": app_db_url}
    created = subprocess.run(
        [ADLENS, "users", "create", "analyst", "--role", "analyst", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "user analyst (analyst) created in default"
    port = free_port()
    for process in serve(env, "--port", str(port)):
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        script = tmp_path / "readme_example.py"
        script.write_text(readme_example())
        run = subprocess.run(
            [sys.executable, str(script)],
            env={**env, "ADLENS_URL": url, "ANALYST_PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[:2] == [
            "2 [{'row': 2, 'reason': \"Day 'yesterday-ish' is not a date (YYYY-MM-DD)\"}]",
            "[{'ts.day': '2024-01-15', 'campaign_name': 'Winter Sale', 'total_spend': 120.5}, "
            "{'ts.day': '2024-01-16', 'campaign_name': 'Winter Sale', 'total_spend': 98.2}]",
        ]
        assert 0 < float(lines[2]) < 5
        # the running server owns the DuckDB file: a CLI command says what to do
        locked = subprocess.run(
            [ADLENS, "ingests"], env=env, capture_output=True, text=True, timeout=60
        )
        assert locked.returncode == 2
        assert "is open for writing in another process" in locked.stderr
        assert "(for example a running `adlens serve`, whose dashboard and API do the same" in (
            " ".join(locked.stderr.split())
        )
        second = subprocess.run(
            [ADLENS, "serve", "--port", str(free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2  # a second server does not crash-loop on the lock
        assert "is open for writing in another process" in second.stderr


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_with_a_self_signed_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    for process in serve(
        server_env(tmp_path),
        "--port",
        str(port),
        "--ssl-certfile",
        str(cert),
        "--ssl-keyfile",
        str(key),
    ):
        context = ssl.create_default_context(cafile=str(cert))
        wait_until_up(f"https://127.0.0.1:{port}", process, verify=context)
        response = httpx.get(f"https://127.0.0.1:{port}/health", verify=context)
        assert (response.json(), response.headers["strict-transport-security"]) == (
            {"status": "ok"},
            "max-age=31536000",
        )
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"https://127.0.0.1:{port}/health")  # not trusted without the certificate


def test_production_with_the_default_key_refuses_to_start(tmp_path: Path) -> None:
    env = {**server_env(tmp_path), "APP_ENV": "production"}
    env.pop("SECRET_KEY")
    run = subprocess.run(
        [ADLENS, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "SECRET_KEY must be set to a random value of at least 32 characters" in run.stderr


def test_events_announce_each_new_data_version(tmp_path: Path) -> None:
    env = {**server_env(tmp_path), "ADLENS_EVENTS_POLL_SECONDS": "0.1"}
    created = subprocess.run(
        [ADLENS, "users", "create", "ana", "--role", "analyst", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    for process in serve(env, "--port", str(port)):
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        token = httpx.post(url + "/auth/token", json={"username": "ana", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        events: list[str] = []
        with httpx.stream("GET", url + "/v1/events", headers=headers, timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(line)
                    if len(events) == 1:
                        upload = httpx.post(
                            url + "/data/upload",
                            headers=headers,
                            json={
                                "data_type": "meta_ads",
                                "data": [{"date": "2024-01-01", "campaign_name": "A", "spend": 1}],
                            },
                        )
                        assert upload.json()["loaded"] == 1
                    else:
                        break
        first, second = (json.loads(e.removeprefix("data: ")) for e in events)
        assert first == {"data_version": 0, "last_load_at": None}
        assert second["data_version"] == 1 and second["last_load_at"] is not None
        logs = process.stderr  # JSON log lines carry the request id
        process.terminate()
        process.wait(timeout=15)
        lines = [
            json.loads(line)
            for line in logs.read().decode().splitlines()  # type: ignore[union-attr]
            if line.startswith("{")
        ]
        uploads = [e for e in lines if e.get("route") == "/data/upload"]
        assert [(e["method"], e["status"], e["principal"]) for e in uploads] == [
            ("POST", 200, "ana")
        ]
        assert len(uploads[0]["request_id"]) == 32


def test_cli_keys_create_prints_a_working_key_once(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    run = subprocess.run(
        [ADLENS, "keys", "create", "ci", "--role", "viewer", "--days", "7", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    info = json.loads(run.stdout)
    assert sorted(info) == ["expires_at", "key", "key_id", "role", "scopes", "workspace"]
    assert (info["role"], info["scopes"], info["workspace"]) == (
        "viewer",
        ["query", "read"],
        "default",
    )
    duplicate = subprocess.run(
        [ADLENS, "users", "create", "x", "--password-stdin"],
        input="short\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert duplicate.returncode == 2
    assert "the password needs at least 8 characters" in duplicate.stderr
    port = free_port()
    for process in serve(env, "--port", str(port)):
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        me = httpx.get(url + "/me", headers={"X-API-Key": info["key"]}).json()
        assert (me["username"], me["role"]) == (f"key:{info['key_id']}", "viewer")
