"""Sizes of chapter 2 (Layer-wise spectral bias, notebooks/02_layerwise.md) per profile, by section.

``smoke``: the CI size (the chapter in under 60 s on 2 CPU cores); ``book``: the default, a few minutes on
a CPU; ``paper``: the papers' scale, for a GPU. Plain data: this module imports nothing, and
:mod:`lofi_utils.profiles` reads ``TABLE`` (every profile must define the same sections and names).
"""

TABLE = {
    "smoke": {
        "net": dict(depth=4),
        "series": dict(nmax=300),
        "spectra": dict(kmax=24, ds=[3, 10], depths=[3, 4, 6]),
        "tanh": dict(kmax=12),
        "limit": dict(kmax=200),
        "high_d": dict(ds=[10, 50, 200, 1000], kmax=6),
        "ntk": dict(d=5, points=500, widths=[128, 512, 2048], seeds=6),
        "attribution": dict(d=5, eta=1.0, width=512, n=400, steps=60, ks=[1, 3], seeds=2),
        "freeze": dict(k=3),
        "real_data": dict(
            bands=8, n=600, depth=4, width=1024, train_width=256, steps=80, degrees=[1, 2, 3, 4], probes=20, pcs=6
        ),
        "probe": dict(points=800, width=512, ks=[1, 3, 5], seeds=2, n=20),
    },
    "book": {
        "net": dict(depth=4),
        "series": dict(nmax=300),
        "spectra": dict(kmax=24, ds=[3, 10, 200], depths=[3, 4, 6]),
        "tanh": dict(kmax=12),
        "limit": dict(kmax=200),
        "high_d": dict(ds=[10, 50, 200, 1000], kmax=6),
        "ntk": dict(d=5, points=800, widths=[256, 1024, 4096], seeds=6),
        "attribution": dict(d=5, eta=1.0, width=512, n=500, steps=80, ks=[1, 2, 3], seeds=2),
        "freeze": dict(k=3),
        "real_data": dict(
            bands=8, n=1797, depth=4, width=1024, train_width=512, steps=120, degrees=[1, 2, 3, 4], probes=20, pcs=6
        ),
        "probe": dict(points=1500, width=1024, ks=[1, 2, 3, 4, 5, 6], seeds=3, n=20),
    },
    "paper": {
        "net": dict(depth=4),
        "series": dict(nmax=300),
        "spectra": dict(kmax=24, ds=[3, 10, 200], depths=[3, 4, 6, 8]),
        "tanh": dict(kmax=12),
        "limit": dict(kmax=200),
        "high_d": dict(ds=[10, 50, 200, 1000], kmax=6),
        "ntk": dict(d=5, points=3000, widths=[512, 2048, 8192], seeds=8),
        "attribution": dict(d=5, eta=1.0, width=4096, n=2000, steps=200, ks=[1, 2, 3, 4], seeds=3),
        "freeze": dict(k=3),
        "real_data": dict(
            bands=8,
            n=10000,
            depth=6,
            width=4096,
            train_width=2048,
            steps=300,
            degrees=[1, 2, 3, 4, 5],
            probes=40,
            pcs=8,
        ),
        "probe": dict(points=4000, width=4096, ks=[1, 2, 3, 4, 5, 6, 7, 8], seeds=4, n=40),
    },
}
