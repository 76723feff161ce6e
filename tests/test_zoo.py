import pytest
import torch
from safetensors.torch import save_file

from ganz.core.errors import GanzError
from ganz.core.zoo import export_generator, load_generator
from tiny import tiny_generator


def test_mismatched_weights_refused(tmp_path):
    G = tiny_generator()
    path = tmp_path / "g.safetensors"
    export_generator(G, path)
    _, gid, _ = load_generator(path)
    assert len(gid) == 64
    state = {k: v.half() for k, v in G.state_dict().items()}
    state["h0.weight"] = torch.zeros(3, 3, dtype=torch.float16)
    from ganz.core.zoo import FORMAT
    import json

    save_file(state, str(tmp_path / "bad.safetensors"),
              metadata={"format": FORMAT, "config": json.dumps(G.cfg.__dict__)})
    with pytest.raises(GanzError, match="h0.weight"):
        load_generator(tmp_path / "bad.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(GanzError):
        load_generator(tmp_path / "junk.safetensors")
    with pytest.raises(GanzError, match="unknown model"):
        load_generator("no-such-model")


def test_find_model_by_a_files_generator_id(tmp_path, monkeypatch):
    """The id prefix a .ganz file carries names the committed model; none: None."""
    from ganz.core import zoo

    monkeypatch.setenv("GANZ_ZOO", str(tmp_path))
    ids = {}
    for seed, name in enumerate(["cpu-small-d64", "other"]):  # a default model and another
        ids[name] = export_generator(tiny_generator(seed), tmp_path / f"{name}.safetensors")
    (tmp_path / "broken.safetensors").write_bytes(b"not weights")
    assert zoo.find_model(ids["other"][:8]) == "other"
    assert zoo.find_model(ids["cpu-small-d64"][:16].upper()) == "cpu-small-d64"
    assert zoo.find_model("00000000") is None
    assert [name for name, _ in zoo.committed_ids()] == ["cpu-small-d64", "other"]
