"""Device check of the batched inversion (one short GPU call; DRY=1 runs it on CPU at toy size):
invert_many against separate calls on CUDA, bf16/tf32 against fp32 on cpu-small (4 test faces,
or smooth synthetic images without the data), and throughput at 64×64, width 128, both archs,
on a fig.-5-sized batch (9 adapters × 60 images). Writes $OUT/invert_gpu.json.

    PYTHONPATH=$PWD python3 scripts/check_invert_gpu.py
"""
import json, os, sys, time, traceback
import torch

sys.path.insert(0, os.getcwd())
from ganz.core.adapters import make_adapter, decode
from ganz.core.config import InvertConfig, ModelConfig
from ganz.core.invert import InvertJob, invert, invert_many
from ganz.core.models import Generator, inversion_step_flops

DRY = os.environ.get("DRY") == "1"
dev = torch.device("cpu" if DRY else "cuda")
out = {"device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "torch": torch.__version__}
OUT = os.environ.get("OUT", "/tmp")


def save():
    with open(os.path.join(OUT, "invert_gpu.json"), "w") as f:
        json.dump(out, f, indent=1)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def psnr(a, b):
    a = ((a.clamp(-1, 1) + 1) * 127.5).round(); b = ((b.clamp(-1, 1) + 1) * 127.5).round()
    mse = (a - b).pow(2).flatten(1).mean(1)
    return (10 * torch.log10(255**2 / mse)).tolist()

# 1. invert_many == separate calls on CUDA (fp32)
try:
    torch.manual_seed(0)
    G = Generator(ModelConfig(32, 4, 16, 16, arch="original")).to(dev).eval().requires_grad_(False)
    xs = torch.rand(5, 3, 32, 32, device=dev) * 2 - 1
    jobs = [InvertJob(make_adapter(G, "random_linear", ratio=10), xs, groups=[3, 2]),
            InvertJob(make_adapter(G, "no_linear"), xs[:2])]
    cfg = InvertConfig(steps=50, clamp="start")
    many = invert_many(G, jobs, cfg)
    diffs = [float((m.z - invert(G, j.adapter, j.x, cfg, groups=j.groups).z).abs().max()) for m, j in zip(many, jobs)]
    out["many_vs_separate_max_abs_z_diff"] = diffs
except Exception:
    out["many_error"] = traceback.format_exc()
save()

# 2. precision parity on cpu-small (4 test faces)
try:
    from ganz.core.zoo import load_generator
    G, _, _ = load_generator("cpu-small-d64", dev)
    try:
        from ganz.core.data import eval_images
        x = eval_images("test", G.cfg.image_size, limit=4)[1].to(dev)
    except Exception:  # no data (or pywt) there: smooth seeded images
        yy, xx = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing="ij")
        x = torch.stack([torch.stack([0.6 * xx - 0.3 + 0.2 * k, 0.5 * yy - 0.2, 0.4 * xx * yy - 0.1 * k])
                         for k in range(4)]).to(dev)
    steps = 50 if DRY else 1500
    ads = [make_adapter(G, "random_linear", ratio=10), make_adapter(G, "no_linear"), make_adapter(G, "keep_linear")]
    rec = {}
    for prec in ("fp32", "tf32", "bf16"):
        res = invert_many(G, [InvertJob(a, x) for a in ads], InvertConfig(steps=steps, clamp="start", precision=prec))
        with torch.no_grad():
            rec[prec] = [psnr(x, decode(G, a, r.z.to(dev))) for a, r in zip(ads, res)]
    out["parity"] = {"steps": steps, "adapters": ["random_linear R10", "no_linear", "keep_linear"], "psnr": rec,
                     "diff_vs_fp32_db": {p: [[b - a for a, b in zip(ra, rb)] for ra, rb in zip(rec["fp32"], rec[p])] for p in ("tf32", "bf16")}}
except Exception:
    out["parity_error"] = traceback.format_exc()
save()

# 3. throughput at 64x64 width 128, fig5-like batch: 9 adapters x 60 images
for arch in ("ganz", "original"):
    try:
        cfg_m = ModelConfig(64, 4, 128, 64, arch=arch) if not DRY else ModelConfig(16, 4, 8, 8, arch=arch)
        torch.manual_seed(0)
        G = Generator(cfg_m).to(dev).eval().requires_grad_(False)
        n = 60 if not DRY else 2
        ratios = [6, 10, 20, 24, 30, 50, 100, 200]
        x = torch.rand(n, 3, cfg_m.image_size, cfg_m.image_size, device=dev) * 2 - 1
        ads = [make_adapter(G, "random_linear", ratio=r) for r in ratios] + [make_adapter(G, "keep_linear")]
        jobs = [InvertJob(a, x) for a in ads]
        flops = sum(inversion_step_flops(cfg_m, a.input_dim) for a in ads) * n
        for prec in ("fp32", "tf32", "bf16"):
            steps = 10 if DRY else 60
            invert_many(G, jobs, InvertConfig(steps=5, clamp="start", precision=prec))  # warm-up
            sync(); t0 = time.perf_counter()
            invert_many(G, jobs, InvertConfig(steps=steps, clamp="start", precision=prec))
            sync(); dt = time.perf_counter() - t0
            mem = torch.cuda.max_memory_allocated() / 2**30 if dev.type == "cuda" else 0
            out[f"speed_{arch}_{prec}"] = {"images": n * len(ads), "steps": steps, "s_per_step": dt / steps,
                                           "tflops": flops * steps / dt / 1e12, "max_mem_gib": mem}
            save()
    except Exception:
        out[f"speed_{arch}_error"] = traceback.format_exc()
save()
print(json.dumps(out, indent=1))
