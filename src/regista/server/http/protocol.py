"""uvicorn's httptools protocol, answering what it rejects before the app (too long a URL, malformed HTTP)
in MLflow's JSON envelope instead of plain text."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from regista.errors import BadRequest, RegistaError, UrlTooLong
from regista.server.http.error_handlers import error_response

# httptools cannot parse a longer request target (its URL parser keeps 16-bit offsets); larger inputs
# belong in a POST body.
MAX_URL_BYTES = 65535


class _UrlTooLong(Exception):
    pass


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    """The protocol `regista server` runs (see cli/main.py)."""

    url_too_long = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.url_too_long = False

    def on_url(self, url: bytes) -> None:
        # A too-long URL is dropped as it arrives (memory stays bounded) but the request line and headers
        # are still read to their end: answering mid-request would close the socket with unread data,
        # which resets the connection before the client can read the answer.
        if self.url_too_long:
            return
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self.url_too_long = True
            self.url = b""

    def on_headers_complete(self) -> None:
        if self.url_too_long:
            raise _UrlTooLong
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request its parser refused (then it closes the connection)."""
        err: RegistaError
        if self.url_too_long:
            err = UrlTooLong(
                f"The URL is longer than {MAX_URL_BYTES} bytes; send large inputs in a request body."
            )
        else:
            err = BadRequest("Malformed HTTP request.")
        # The app's renderer builds the answer; only its framing is written by hand, as no app runs here.
        response = error_response(err)
        content = [STATUS_LINE[response.status_code]]
        for name, value in [*self.server_state.default_headers, *response.raw_headers]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"connection: close\r\n\r\n", bytes(response.body)])
        self.transport.write(b"".join(content))
        self.transport.close()
