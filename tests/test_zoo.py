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
