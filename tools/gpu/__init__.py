"""The GPU run driver (``scripts/gpu/lease.sh`` runs ``python -m tools.gpu.driver``; not shipped).

One call on a lent GPU returns something whatever happens: each stage stops on time by itself and
packs what it finished into OUT the moment it ends. Modules, lowest first (none imports a later one):

    recipe    what is trained: model names, model and training configs, the stages' figures
    options   the driver's settings, set by its flags (``Options``)
    clock     SIGALRM backstop (``alarm``), SIGTERM (``Stopped``)
    session   one call: its deadline, log, work folder, packing into OUT, guarded stages
    progress  what is recorded already (which stages are done), time estimates
    training  the generators (d64 with its snapshot, other dims), publishing, the encoder
    measure   the figures, the GPU benchmark, the rate-distortion latents
    longrun   the long d64: trained across calls and sessions, handed off, measured at R = 10
    check     preflight: what would waste the call
    drydata   synthetic stand-ins of the evaluation images for the dry run
    plan      FLOPs and expected times of each stage (``python -m tools.gpu.plan``)
    driver    the stages in order for a mode, and the command line
"""
