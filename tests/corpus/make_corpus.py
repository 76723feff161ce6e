"""Regenerate the hostile-input corpus: ``python tests/corpus/make_corpus.py``.

The files are committed; ``tests/test_bad_ganz_files.py`` re-checks every one of them each run (each
decodes or is refused with a one-line error), so they stay meaningful even if this script or the
format changes. ``tiny.safetensors`` is the fixed generator the ``.ganz`` files were made with
(``torch.manual_seed(0)``, 16×16 images); ``wronggen.ganz`` comes from a second one (seed 1).
"""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]  # the project, and tests/ (tiny.py)

from ganz.core.fileformat import GanzFile, pack, varint  # noqa: E402
from ganz.core.zoo import export_generator, weights_id  # noqa: E402
from tiny import TINY, tiny_generator  # noqa: E402


def crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


class Payload:
    """Pickles as a call to ``print``: a loader that runs it is unsafe (weights_only refuses it)."""

    def __reduce__(self):
        return (print, ("ganz-corpus: unsafe pickle payload executed",))


def main() -> None:
    G = tiny_generator(seed=0)
    gid = export_generator(G, HERE / "tiny.safetensors")
    other = tiny_generator(seed=1)
    other_id = weights_id({k: v.half() for k, v in other.state_dict().items()})

    rng = np.random.default_rng(0)
    z = rng.uniform(-1, 1, 77).astype(np.float32)  # random_linear at R = 768 / 77 ≈ 10
    good = GanzFile("random_linear", 16, 16, 5, gid, z, 32)
    v2, v1 = pack(good), pack(good, version=1)
    files: dict[str, bytes] = {
        "valid.ganz": v2,
        "valid_v1.ganz": v1,
        "valid_q8.ganz": pack(GanzFile("random_linear", 16, 16, 5, gid, z, 8)),
        "empty.ganz": b"",
        "truncated.ganz": v2[: len(v2) // 2],
        "truncated_v1.ganz": v1[:-1],
        "bitflip.ganz": v2[:20] + bytes([v2[20] ^ 0x10]) + v2[21:],
        "badmagic.ganz": b"GIF89a" + v2[6:],
        "version99.ganz": crc(v2[:2] + bytes([99]) + v2[3:-4]),
        "version99_v1.ganz": crc(v1[:4] + bytes([99]) + v1[5:-4]),
        # v1 header claiming 2^32 - 1 latent values in a 31-byte file
        "hugelen.ganz": crc(struct.pack("<4sBBBHHII8s", b"GANZ", 1, 1, 32, 16, 16, 0, 2**32 - 1,
                                        bytes.fromhex(gid[:16]))),
        # v2 header with a 35-bit latent length
        "hugelen_v2.ganz": crc(b"GZ\x02\x01\x20" + varint(16) + varint(16) + varint(0)
                               + varint(2**35 - 1) + bytes.fromhex(gid[:8])),
        "hugeimage.ganz": crc(struct.pack("<4sBBBHHII8s", b"GANZ", 1, 1, 32, 65535, 65535, 0, 77,
                                          bytes.fromhex(gid[:16])) + z.tobytes()),
        "nan.ganz": crc(v1[:27] + np.where(np.arange(77) == 3, np.nan, z).astype("<f4").tobytes()),
        "inf16.ganz": crc(b"GZ\x02\x01\x10" + varint(16) + varint(16) + varint(5) + varint(77)
                          + bytes.fromhex(gid[:8])
                          + np.where(np.arange(77) == 0, np.inf, z).astype("<f2").tobytes()),
        "outofrange.ganz": crc(v1[:27] + (z * 3).astype("<f4").tobytes()),
        "trailing.ganz": v2 + b"\0\0\0",
        "wronggen.ganz": pack(GanzFile("random_linear", 16, 16, 5, other_id, z, 32)),
        "wrongsize.ganz": pack(GanzFile("random_linear", 32, 32, 5, gid, z, 32)),
        "badadapter_len.ganz": pack(GanzFile("keep_linear", 16, 16, 0, gid, z, 32)),
        "ratio05.ganz": pack(GanzFile("random_linear", 16, 16, 0, gid,
                                      rng.uniform(-1, 1, 1536).astype(np.float32), 16)),
        # deflate bomb: 4 KB declaring 2^20 float32 zeros (a valid file, but for no 16×16 model)
        "zbomb.ganz": crc(b"GZ\x02\x05\x20" + varint(16) + varint(16) + varint(0) + varint(1 << 20)
                          + bytes.fromhex(gid[:8]) + zlib.compress(bytes(4 << 20), 9)),
        "badzlib.ganz": crc(b"GZ\x02\x05\x20" + varint(16) + varint(16) + varint(0) + varint(77)
            + bytes.fromhex(gid[:8]) + b"\x78\x9c" + bytes(40)),
        "random.ganz": rng.bytes(333),
        "png_as_ganz.ganz": b"\x89PNG\r\n\x1a\n" + rng.bytes(64),
    }
    for name, blob in files.items():
        (HERE / name).write_bytes(blob)
    torch.save({"generator": Payload(), "model_config": TINY.__dict__}, HERE / "evil.pt")
    print(f"wrote {len(files) + 2} files to {HERE}")


if __name__ == "__main__":
    main()
