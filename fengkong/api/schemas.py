"""Base classes for request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Input(BaseModel):
    """Request bodies: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Id = Annotated[str, StringConstraints(min_length=26, max_length=26,
                                      pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.@-]{2,63}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)]
