"""Reading uploaded CSV text strictly: known header, same number of fields in every row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from network_inventory.errors import ValidationError


def decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{source} is not UTF-8 text.", code="invalid_file", details=[{"row": source}]
            ) from exc
    if "\x00" in text:
        raise ValidationError(f"{source} is not a text file.", code="invalid_file")
    return text


def read_rows(
    text: str, source: str, *, required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``("file:line", row)``; a bad header or malformed row raises with every problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ValidationError(f"{source} is empty.", code="invalid_file") from None
    except csv.Error as exc:
        raise ValidationError(f"{source}: {exc}", code="invalid_file") from exc
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in required and h not in optional]
    if missing or unknown or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if len(set(header)) != len(header):
            parts.append("repeated column names")
        expected = ",".join([*required, *optional])
        raise ValidationError(
            f"{source}: {'; '.join(parts)} (expected {expected}).",
            code="invalid_header",
            details=[{"row": f"{source}:1", "message": "; ".join(parts)}],
        )
    errors: list[dict[str, str]] = []
    rows: list[tuple[str, dict[str, str]]] = []
    try:
        for fields in reader:
            where = f"{source}:{reader.line_num}"
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                errors.append(
                    {
                        "row": where,
                        "message": f"has {len(fields)} fields, the header has {len(header)}",
                    }
                )
                continue
            rows.append((where, dict(zip(header, fields, strict=True))))
    except csv.Error as exc:
        errors.append({"row": f"{source}:{reader.line_num}", "message": str(exc)})
    if errors:
        raise ValidationError(
            f"{source}: {len(errors)} malformed row(s); nothing was imported.",
            code="invalid_rows",
            details=errors,
        )
    yield from rows
