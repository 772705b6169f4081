"""Bytes into and out of Arrow without Arrow holding a Python object.

Arrow's readers finish on its own worker threads. When one of them drops the last reference to a Python
object (the ``bytes`` behind ``pa.BufferReader(data)``, an ``io.BytesIO``), freeing it must take the GIL; if
the interpreter is exiting by then, Python ends that thread in the middle of a C++ destructor and the process
aborts ("terminate called without an active exception", exit status -6). CI saw it once on
``python -m kpi import`` of a header-only CSV; on this machine, with the CPU busy, 15 of 120 such imports
aborted. Arrow-owned copies are freed without the GIL. A copy costs one memcpy (about 10 ms for 36 MB).
"""
from __future__ import annotations

import pyarrow as pa


def reader(data: bytes) -> pa.BufferReader:
    """A reader over an Arrow-owned copy of ``data``, for ``pyarrow.csv.read_csv`` and ``pyarrow.parquet.read_table``."""
    buf = pa.allocate_buffer(len(data))
    pa.FixedSizeBufferWriter(buf).write(data)
    return pa.BufferReader(buf)


def sink() -> pa.BufferOutputStream:
    """An Arrow-owned output stream; ``sink.getvalue().to_pybytes()`` gives what was written."""
    return pa.BufferOutputStream()
