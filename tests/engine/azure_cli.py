"""The real Azure CLI (PyPI's azure-cli, in its own venv under .tools/) signed in to the emulator.

Nothing here imitates the CLI: it is installed once (about 70 s on 2 cores with an empty pip
cache), pointed at the emulator with `az cloud register`, and signed in by the device code flow,
which the emulator's control API completes as the person at the verification page would. Its
configuration lives in a folder of the test's own (AZURE_CONFIG_DIR); the emulator's CA is
trusted through REQUESTS_CA_BUNDLE in the CLI's environment only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from entra_crosstenant.emulator.client import Emulator

REPO = Path(__file__).resolve().parents[2]
AZURE_CLI_VERSION = "2.91.0"
VENV = REPO / ".tools" / "azure-cli"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def ensure_azure_cli() -> Path:
    """The venv's bin folder with `az`, installing azure-cli there when missing or outdated."""
    stamp = VENV / ".entra-version"
    az = VENV / "bin" / "az"
    if az.exists() and stamp.is_file() and stamp.read_text().strip() == AZURE_CLI_VERSION:
        return az.parent
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [
            str(VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"azure-cli=={AZURE_CLI_VERSION}",
        ],
        check=True,
        timeout=900,
    )
    stamp.write_text(AZURE_CLI_VERSION + "\n")
    return az.parent


@dataclass
class AzureCli:
    """One CLI configuration (AZURE_CONFIG_DIR) registered against one emulator."""

    bin_dir: Path
    config_dir: Path
    emulator: Emulator

    @property
    def env(self) -> dict[str, str]:
        """What the CLI needs, for its own runs and for a provider process that runs it."""
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "AZURE_CONFIG_DIR": str(self.config_dir),
            "REQUESTS_CA_BUNDLE": str(self.emulator.ca_path),
            # msal's instance discovery asks login.microsoftonline.com about the authority;
            # the CLI's switch for private clouds (Azure Stack) turns it off.
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_NO_COLOR": "true",
        }

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / "az"), *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def register_cloud(self) -> None:
        """`az cloud register` with the emulator as the authority, then select it."""
        url = self.emulator.url
        done = self.run(
            "cloud",
            "register",
            "--name",
            "EntraEmulator",
            "--skip-endpoint-discovery",  # no ARM metadata endpoint to ask
            "--endpoint-active-directory",
            url,
            "--endpoint-resource-manager",
            f"{url}/arm/",
            "--endpoint-active-directory-resource-id",
            "https://management.core.windows.net/",
            "--endpoint-microsoft-graph-resource-id",
            "https://graph.microsoft.com/",
        )
        assert done.returncode == 0, done.stderr
        done = self.run("cloud", "set", "--name", "EntraEmulator")
        assert done.returncode == 0, done.stderr

    def login_device_code(self, tenant: str, user: str) -> str:
        """`az login --use-device-code`, completed through the control API as `user`; returns
        the prompt the CLI printed. No ARM calls: the login asks for Graph's scope and skips
        subscription discovery (a tenant-level account)."""
        control = self.emulator.control
        control.device_code_settings(interval=1)
        process = subprocess.Popen(
            [
                str(self.bin_dir / "az"),
                "login",
                "--use-device-code",
                "--tenant",
                tenant,
                "--allow-no-subscriptions",
                "--skip-subscription-discovery",
                "--scope",
                GRAPH_SCOPE,
            ],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while not (pending := control.device_logins()):
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "az login never asked for a device code"
                time.sleep(0.2)
            control.complete_device_login(pending[0]["user_code"], user)
            _, err = process.communicate(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, err
        assert pending[0]["user_code"] in err, err
        return err
