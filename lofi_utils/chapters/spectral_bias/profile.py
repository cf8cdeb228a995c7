"""Sizes of chapter 1 (Spectral bias, notebooks/01_spectral_bias.md) per profile, by section.

``smoke``: the CI size (the chapter in under 60 s on 2 CPU cores); ``book``: the default, a few minutes on
a CPU; ``paper``: the papers' scale, for a GPU. Plain data: this module imports nothing, and
:mod:`lofi_utils.profiles` reads ``TABLE`` (every profile must define the same sections and names).
"""

TABLE = {
    "smoke": {
        "sines": dict(
            freqs=[1, 2, 3, 4, 5, 6], depth=4, points=200, record=10, width=128, steps=1500, lr=0.001, seeds=6
        ),
        "ntk": dict(d=3, depth=3, points=300, widths=[256, 2048], seeds=2),
        "funk_hecke": dict(d=3, kmax=40),
        "decay": dict(ds=[2, 3, 5], kmax=200, nodes=6000),
        "circle": dict(widths=[256, 1024], ks=[1, 2, 3, 4, 5], steps=600, eta=0.5, points=32, kmax=16),
        "activations": dict(names=["plain_relu", "tanh", "sin"], kmax=30),
        "fourier_features": dict(width=256, depth=3, steps=800, p=[None, 0.0, float("inf")]),
    },
    "book": {
        "sines": dict(
            freqs=[1, 2, 3, 4, 5, 6], depth=4, points=200, record=10, width=256, steps=3000, lr=0.001, seeds=6
        ),
        "ntk": dict(d=3, depth=3, points=500, widths=[256, 1024, 4096], seeds=3),
        "funk_hecke": dict(d=3, kmax=40),
        "decay": dict(ds=[2, 3, 5], kmax=200, nodes=6000),
        "circle": dict(widths=[256, 1024, 4096], ks=[1, 2, 3, 4, 5], steps=800, eta=0.5, points=32, kmax=16),
        "activations": dict(names=["plain_relu", "tanh", "sin"], kmax=30),
        "fourier_features": dict(width=256, depth=3, steps=2000, p=[None, 0.0, 0.5, 1.0, float("inf")]),
    },
    "paper": {
        "sines": dict(
            freqs=[1, 2, 3, 4, 5, 6, 7, 8], depth=6, points=200, record=20, width=256, steps=20000, lr=0.0003, seeds=10
        ),
        "ntk": dict(d=3, depth=3, points=2000, widths=[256, 1024, 4096, 16384], seeds=3),
        "funk_hecke": dict(d=3, kmax=60),
        "decay": dict(ds=[2, 3, 5], kmax=200, nodes=6000),
        "circle": dict(widths=[256, 1024, 4096, 16384], ks=[1, 2, 3, 4, 5, 6], steps=2000, eta=0.5, points=64, kmax=16),
        "activations": dict(names=["plain_relu", "tanh", "sin"], kmax=30),
        "fourier_features": dict(width=1024, depth=3, steps=5000, p=[None, 0.0, 0.5, 1.0, 1.5, 2.0, float("inf")]),
    },
}
