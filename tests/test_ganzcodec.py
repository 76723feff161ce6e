"""GANZ through the baselines' Codec interface: the same functions as JPEG or WebP, real bytes."""
import numpy as np
import pytest

from ganz.baselines.ganzcodec import ganz_codec
from ganz.baselines.imagecodecs import (CODECS, encode_at_budget, encode_at_quality, encode_images,
                                        rd_curve)
from ganz.core.codec import GanzCodec
from ganz.core.config import InvertConfig
from ganz.core.errors import GanzError
from ganz.core.fileformat import unpack
from images import make_image
from tiny import TINY, tiny_model_file

STEPS = InvertConfig(steps=30)


@pytest.fixture(scope="module")
def codec(tmp_path_factory):
    _, path = tiny_model_file(tmp_path_factory.mktemp("model") / "tiny.safetensors")
    return ganz_codec(GanzCodec(path, "cpu", method="paper"), bits=8, cfg=STEPS)


IMAGES = np.stack([make_image(TINY.image_size, seed=s) for s in (1, 2)])  # two 16×16 RGB images


def test_two_images_through_the_interface(codec):
    points = encode_images(codec, IMAGES, 40)  # one batch, one file per image
    assert len(points) == 2
    for image, p in zip(IMAGES, points):
        assert p.codec == "ganz-8bit" and p.quality == 40 and p.reachable
        assert p.recon.shape == image.shape and p.recon.dtype == np.uint8
        assert np.isfinite(p.psnr) and 0 < p.ssim <= 1
        assert p.bpp == pytest.approx(8 * p.num_bytes / image.shape[0] / image.shape[1])
    files = codec.encode_batch(IMAGES, 40)  # the same batch again: the same files (seeded)
    assert [len(f) for f in files] == [p.num_bytes for p in points]
    for data, p in zip(files, points):
        f = unpack(data)
        assert len(f.z) == 40 and f.bits == 8
        assert np.array_equal(codec.decode(data), p.recon)
    one = encode_at_quality(codec, IMAGES[1], 40)  # one image a call
    assert one.num_bytes == points[1].num_bytes and one.recon.shape == IMAGES[1].shape

def test_budget_search_and_curve(codec):
    small, large = (encode_at_quality(codec, IMAGES[0], d).num_bytes for d in (4, 200))
    assert small < large  # files grow with the knob, as the search assumes
    p = encode_at_budget(codec, IMAGES[0], (small + large) // 2)
    assert p.reachable and small <= p.num_bytes <= (small + large) // 2
    curve = rd_curve(codec, IMAGES[1], [small, large])
    assert [q.num_bytes for q in curve] == [small, large]
    smallest = encode_at_quality(codec, IMAGES[0], 1).num_bytes  # d_c = 1
    assert not encode_at_budget(codec, IMAGES[0], smallest - 1).reachable
    assert "ganz-8bit" not in CODECS  # the registered sweep (and its cache key) does not change


def test_refuses_other_sizes_and_knobs(codec):
    with pytest.raises(GanzError, match="16×16"):
        encode_at_quality(codec, make_image(32), 40)
    with pytest.raises(GanzError, match="quality must be in"):
        encode_at_quality(codec, IMAGES[0], 10_000)
