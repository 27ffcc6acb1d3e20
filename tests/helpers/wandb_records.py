"""Read the records of an offline W&B run file (``run-<id>.wandb``) without a network.

The file is a LevelDB-style log (7-byte W&B header, 32 KiB blocks, 7-byte record headers:
crc32c, length, type) of protobuf ``Record`` messages; ``wandb sync`` uploads the same records.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _payloads(data: bytes) -> Iterator[bytes]:
    position, parts = HEADER, []  # skip the ":W&B" file header
    while position + HEADER <= len(data):
        left_in_block = BLOCK - position % BLOCK
        if left_in_block < HEADER:  # block trailer padding
            position += left_in_block
            continue
        _, length, kind = struct.unpack("<IHB", data[position : position + HEADER])
        chunk = data[position + HEADER : position + HEADER + length]
        position += HEADER + length
        if kind == 0 and length == 0:
            position += BLOCK - position % BLOCK if position % BLOCK else 0
            continue
        if kind in (FULL, FIRST):
            parts = [chunk]
        else:
            parts.append(chunk)
        if kind in (FULL, LAST):
            yield b"".join(parts)


def read_records(path: str | Path) -> list:
    """Every protobuf ``Record`` of a ``.wandb`` file."""
    from wandb.proto import wandb_internal_pb2

    records = []
    for payload in _payloads(Path(path).read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        records.append(record)
    return records


def logged_values(path: str | Path) -> dict[str, list]:
    """``{key: [values in logging order]}`` of the run's history (``wandb.log``) records."""
    values: dict[str, list] = {}
    for record in read_records(path):
        if record.WhichOneof("record_type") == "history":
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                values.setdefault(key, []).append(json.loads(item.value_json))
    return values


def record_types(path: str | Path) -> set[str]:
    """The kinds of records in the file (``run``, ``config``, ``history``, ``artifact``, ...)."""
    return {record.WhichOneof("record_type") for record in read_records(path)}
