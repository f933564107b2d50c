"""A small tus 1.0 client in plain Python, speaking what diary/static/diary/uploads.js speaks:
POST to make an upload, HEAD to ask where the server is, PATCH one piece at a time with its
SHA-256 in Upload-Checksum. For tests against a real server."""

import base64
import hashlib
import http.client
from collections.abc import Mapping
from typing import IO
from urllib.parse import urlsplit

PIECE = 8 * 1024 * 1024


def metadata(values: Mapping[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


class TusClient:
    def __init__(self, host: str, port: int, headers: Mapping[str, str]) -> None:
        self.host, self.port, self.headers = host, port, dict(headers)

    def _request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.request(
            method,
            path,
            body=body,
            headers={"Tus-Resumable": "1.0.0", **self.headers, **(headers or {})},
        )
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response

    def create(self, collection: str, length: int, **meta: str) -> str:
        response = self._request(
            "POST",
            collection,
            headers={"Upload-Length": str(length), "Upload-Metadata": metadata(meta)},
        )
        assert response.status == 201, (response.status, response.reason)
        return urlsplit(response.headers["Location"]).path

    def offset(self, path: str) -> int:
        response = self._request("HEAD", path)
        assert response.status == 200, response.status
        return int(response.headers["Upload-Offset"])

    def patch(self, path: str, offset: int, data: bytes) -> http.client.HTTPResponse:
        return self._request(
            "PATCH",
            path,
            body=data,
            headers={
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
                "Upload-Checksum": checksum(data),
            },
        )

    def resume(
        self, path: str, source: IO[bytes], length: int, piece: int = PIECE
    ) -> http.client.HTTPResponse:
        """Carry on from wherever the server is, to the end. Returns the last answer."""
        offset = self.offset(path)
        response = None
        while offset < length:
            source.seek(offset)
            data = source.read(piece)
            response = self.patch(path, offset, data)
            assert response.status == 204, (response.status, response.reason)
            offset = int(response.headers["Upload-Offset"])
        assert response is not None
        return response
