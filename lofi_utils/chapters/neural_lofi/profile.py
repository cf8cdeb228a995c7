"""Sizes of chapter 3 (Neural LoFi, notebooks/03_neural_lofi.md) per profile, by section.

``smoke``: the CI size (the chapter in under 60 s on 2 CPU cores); ``book``: the default, a few minutes on
a CPU; ``paper``: the papers' scale, for a GPU. Plain data: this module imports nothing, and
:mod:`lofi_utils.profiles` reads ``TABLE`` (every profile must define the same sections and names).
"""

TABLE = {
    "smoke": {
        "task": dict(d=64, r=8),
        "emergence": dict(pairs=[(32, 4), (64, 8), (128, 16)], cs=[0.25, 0.5, 1, 2, 4, 8], seeds=2),
        "spectrum": dict(cs=[0.5, 8.0]),
        "photos": dict(names=["camera", "moon"], size=16, n=1000),
        "depth": dict(d=32, r=8, gain=4.0, ns=[3000], p1=2000, p2=1600, pout=200, val=1000, test=2000, seeds=2),
        "algorithm": dict(n=2000, p=400, k=16),
        "solver": dict(p=1000, k=50),
        "width_limit": dict(n=500, widths=[250, 1000, 4000, 16000], seeds=2, k=8),
        "comparison": dict(ns=[1000, 4000], p=400, k=16, val=500, test=1000, seeds=2, kernel_n=1000),
        "digits": dict(n=1000, val=300, p=1000, k=20, seeds=2),
        "cifar": dict(n=500, val=500, test=1000, p=1000, k=50),
        "rank_sweep": dict(n=3000, p=400, list=[2, 4, 8, 16, 32, 64, 128, 400], seeds=2),
        "widget": dict(n=2000, p=300),
        "filters": dict(shuffles=20),
        "conv": dict(n=600, val=300, channels=128, k=8, pout=500, seeds=1),
        "gradient_step": dict(mult=8, width=512, seeds=2),
    },
    "book": {
        "task": dict(d=64, r=8),
        "emergence": dict(pairs=[(32, 4), (64, 8), (128, 16)], cs=[0.25, 0.5, 1, 2, 4, 8, 16], seeds=3),
        "spectrum": dict(cs=[0.5, 8.0]),
        "photos": dict(names=["camera", "moon"], size=16, n=1000),
        "depth": dict(
            d=32, r=8, gain=4.0, ns=[1000, 2000, 4000], p1=2000, p2=1600, pout=200, val=1000, test=2000, seeds=3
        ),
        "algorithm": dict(n=4000, p=600, k=16),
        "solver": dict(p=2000, k=50),
        "width_limit": dict(n=800, widths=[250, 1000, 4000, 16000, 64000], seeds=3, k=8),
        "comparison": dict(ns=[1000, 2000, 4000, 8000], p=600, k=16, val=1000, test=2000, seeds=3, kernel_n=2000),
        "digits": dict(n=1000, val=300, p=1000, k=20, seeds=3),
        "cifar": dict(n=2000, val=1000, test=2000, p=3000, k=100),
        "rank_sweep": dict(n=4000, p=600, list=[2, 4, 8, 16, 32, 64, 128, 300, 600], seeds=3),
        "widget": dict(n=2000, p=400),
        "filters": dict(shuffles=50),
        "conv": dict(n=1000, val=300, channels=256, k=16, pout=1000, seeds=3),
        "gradient_step": dict(mult=8, width=512, seeds=3),
    },
    "paper": {
        "task": dict(d=64, r=8),
        "emergence": dict(pairs=[(32, 4), (64, 8), (128, 16)], cs=[0.25, 0.5, 1, 2, 4, 8, 16, 32], seeds=10),
        "spectrum": dict(cs=[0.5, 8.0]),
        "photos": dict(names=["camera", "moon"], size=16, n=2000),
        "depth": dict(
            d=32,
            r=8,
            gain=4.0,
            ns=[1000, 2000, 4000, 8000, 16000, 32000],
            p1=8000,
            p2=4000,
            pout=400,
            val=2000,
            test=5000,
            seeds=5,
        ),
        "algorithm": dict(n=50000, p=100000, k=50),
        "solver": dict(p=16000, k=50),
        "width_limit": dict(n=2000, widths=[300, 1000, 3000, 10000, 30000, 100000], seeds=5, k=8),
        "comparison": dict(
            ns=[1000, 2000, 4000, 8000, 16000, 50000], p=4000, k=16, val=2000, test=5000, seeds=5, kernel_n=8000
        ),
        "digits": dict(n=1000, val=300, p=4000, k=20, seeds=10),
        "cifar": dict(n=45000, val=5000, test=10000, p=100000, k=100),
        "rank_sweep": dict(n=50000, p=5000, list=[2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2500, 5000], seeds=5),
        "widget": dict(n=4000, p=1000),
        "filters": dict(shuffles=200),
        "conv": dict(n=1200, val=300, channels=500, k=16, pout=2000, seeds=10),
        "gradient_step": dict(mult=8, width=2048, seeds=10),
    },
}
