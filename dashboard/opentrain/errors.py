"""The one exception the OpenTrain client raises: for an error envelope and a broken transport."""

from __future__ import annotations


class OpenTrainError(Exception):
    """Any failure talking to OpenTrain.

    `status` is the HTTP status (None when no response arrived); `code` is the envelope's code, or
    one of TIMEOUT, CONNECTION_FAILED, BAD_RESPONSE for transport failures; `ambiguous` is True when
    the request may have reached OpenTrain but no answer came back (a write may have happened).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str | None = None,
        details: dict | None = None,
        retry_after: int | None = None,
        ambiguous: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = details if isinstance(details, dict) else {}
        self.retry_after = retry_after
        self.ambiguous = ambiguous

    @property
    def reason(self) -> str:
        return str(self.details.get("reason") or "")

    @property
    def field(self) -> str:
        return str(self.details.get("field") or "")

    @property
    def is_transport(self) -> bool:
        """True when OpenTrain gave no usable answer (down, slow, or nonsense)."""
        return self.status is None or self.status >= 500 or self.code == "BAD_RESPONSE"

    def __repr__(self) -> str:
        return f"OpenTrainError(status={self.status}, code={self.code!r}, reason={self.reason!r})"
