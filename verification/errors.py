"""Errors of the verification package: each carries the values that disagreed."""

from __future__ import annotations


class VerificationError(Exception):
    """Base of every failure found while verifying log data."""


class MalformedEnvelope(VerificationError):
    """A DSSE envelope is not of the expected shape or encoding."""
