"""A team state backend on loopback: moto's S3 server and one bucket, for `PulumiEngine`.

A platform team keeps one stack's state in S3 and deploys from several machines; Pulumi's DIY S3
backend locks the stack with an object per running update. `LocalS3Backend` gives tests and demos
that backend with no AWS account: moto's `ThreadedMotoServer` bound to 127.0.0.1 (in this
process), the bucket created first with boto3, and the exact backend URL and AWS variables the CLI
needs. Needs the test extra (`moto[server]`, `boto3`).

moto keeps its objects in module-level stores, so every `LocalS3Backend` in one process shares
them: give each one its own bucket name. `stop()` empties and removes its bucket.
"""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import Any

REGION = "us-east-1"
# moto accepts any key pair; these say plainly that they are not credentials.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": REGION,
    # With static keys, stops the AWS SDK probing 169.254.169.254 for instance credentials.
    "AWS_EC2_METADATA_DISABLED": "true",
}


class LocalS3Backend:
    """moto's S3 on 127.0.0.1 with one bucket; `backend_url` and `env` are what Pulumi needs."""

    def __init__(self, bucket: str = "pulumi-state", *, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._server: Any = None
        self._client: Any = None
        self.endpoint = ""

    @classmethod
    def unique(cls, stem: str = "pulumi-state") -> LocalS3Backend:
        """A backend whose bucket name no other backend in this process uses."""
        return cls(f"{stem}-{uuid.uuid4().hex[:10]}")

    def start(self) -> LocalS3Backend:
        from moto.server import ThreadedMotoServer

        # moto serves through werkzeug, which prints a line per request unless told otherwise.
        werkzeug = logging.getLogger("werkzeug")
        if werkzeug.level == logging.NOTSET:
            werkzeug.setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client().create_bucket(Bucket=self.bucket)
        return self

    @property
    def backend_url(self) -> str:
        """`PULUMI_BACKEND_URL` for this bucket (path-style addressing, as moto needs)."""
        where = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket
        return f"s3://{where}?endpoint={self.endpoint}&s3ForcePathStyle=true&region={REGION}"

    @property
    def env(self) -> dict[str, str]:
        """The AWS variables the CLI (and boto3) need beside the backend URL."""
        return dict(AWS_ENV)

    def client(self) -> Any:
        """A boto3 S3 client for this server (created once)."""
        if self._client is None:
            import boto3  # type: ignore[import-untyped]

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            )
        return self._client

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def keys(self, under: str = "") -> list[str]:
        """Object keys (relative to the prefix) that start with `under`, sorted."""
        paginator = self.client().get_paginator("list_objects_v2")
        found: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(under)):
            found.extend(str(item["Key"]) for item in page.get("Contents", []))
        strip = len(self.prefix) + 1 if self.prefix else 0
        return sorted(key[strip:] for key in found)

    def read(self, key: str) -> bytes:
        """One object's bytes (`key` relative to the prefix)."""
        body = self.client().get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        data: bytes = body.read()
        return data

    def stack_key(self, project: str, stack: str) -> str:
        """Where the DIY backend keeps the stack's checkpoint."""
        return f".pulumi/stacks/{project}/{stack}.json"

    def lock_keys(self, project: str, stack: str) -> list[str]:
        """The stack's lock objects: one per running (or crashed) update."""
        return self.keys(f".pulumi/locks/organization/{project}/{stack}/")

    def stop(self) -> None:
        """Empty and delete the bucket, then stop the server."""
        if self._server is None:
            return
        try:
            client = self.client()
            for key in self.keys():
                client.delete_object(Bucket=self.bucket, Key=self._key(key))
            client.delete_bucket(Bucket=self.bucket)
        finally:
            self._server.stop()
            self._server = None
            self._client = None

    def __enter__(self) -> LocalS3Backend:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
