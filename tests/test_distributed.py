"""torchrun with 2 CPU processes (gloo): DDP training runs, shards the batch, rank 0 writes."""
import pytest
import csv
import subprocess
import sys
import textwrap

import torch

SCRIPT = textwrap.dedent("""
    import sys, numpy as np, torch, torch.distributed as dist
    from ganz.core.config import ModelConfig, TrainConfig
    from ganz.train.began import train
    torch.set_num_threads(1)
    imgs = np.random.default_rng(0).integers(0, 256, (64, 16, 16, 3), dtype=np.uint8)
    t = train(ModelConfig(16, 4, 4, 8), TrainConfig(steps=4, batch_size=4, log_every=1,
              checkpoint_every=2, validation_images=0), sys.argv[1], "cpu", images=imgs,
              progress=False)
    flat = torch.cat([p.detach().flatten() for p in t.G.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    assert all(torch.equal(gathered[0], g) for g in gathered), "ranks diverged"
    dist.destroy_process_group()
""")


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2", str(script), str(out)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert int(rows[-1]["images_seen"]) == 4 * 4 * 2  # global batch = 2 ranks × 4
    st = torch.load(out / "latest.pt", weights_only=True)
    assert st["step"] == 4
    assert (out / "final.safetensors").is_file()
