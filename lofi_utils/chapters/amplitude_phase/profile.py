"""Sizes of chapter 4 (Amplitudes before phases, notebooks/04_amplitude_phase.md) per profile, by section.

``smoke``: the CI size (the chapter in under 60 s on 2 CPU cores); ``book``: the default, a few minutes on
a CPU; ``paper``: the papers' scale, for a GPU. Plain data: this module imports nothing, and
:mod:`lofi_utils.profiles` reads ``TABLE`` (every profile must define the same sections and names).
"""

TABLE = {
    "smoke": {
        "amplitude_first": dict(
            patch=16, lr=0.05, batch=32, n_train=1500, n_test=400, n_hybrid=400, width=128, steps=1500, seeds=1
        ),
        "cifar": dict(lr=0.05, batch=128, n_train=2000, n_test=500, width=128, steps=300),
        "image": dict(size=128),
        "phase_model": dict(N=16, n=6000),
        "classifiers": dict(n=2000),
        "match": dict(steps=1000),
        "law": dict(N=8, seeds=48),
        "n_scan": dict(Ns=[12, 16, 24], seeds=32, c=1.0, cap=40.0, record=64),
        "c_scan": dict(N=12, cs=[0.5, 1.0, 2.0, 4.0], seeds=24),
        "k2": dict(Ns=[32, 64, 128, 256], seeds=16),
        "power_law": dict(
            N=16, a_values=[0.0, 1.0, 1.5], templates=["pl", "flat"], spikes=64, seeds=1, c=2.0, cap=12.0, base_seeds=64
        ),
        "textures": dict(images=["grass"], jitters=[0.0], n_train=1000, n_test=400, width=64, steps=1500),
        "exercise": dict(seeds=12, N=12),
    },
    "book": {
        "amplitude_first": dict(
            patch=16, lr=0.05, batch=32, n_train=3000, n_test=600, n_hybrid=1000, width=256, steps=4000, seeds=2
        ),
        "cifar": dict(lr=0.05, batch=128, n_train=10000, n_test=2000, width=256, steps=3000),
        "image": dict(size=256),
        "phase_model": dict(N=32, n=20000),
        "classifiers": dict(n=8000),
        "match": dict(steps=3000),
        "law": dict(N=16, seeds=64),
        "n_scan": dict(Ns=[16, 24, 32], seeds=48, c=1.0, cap=60.0, record=256),
        "c_scan": dict(N=24, cs=[0.5, 1.0, 2.0, 4.0], seeds=32),
        "k2": dict(Ns=[32, 64, 128, 256, 512], seeds=32),
        "power_law": dict(
            N=32,
            a_values=[0.0, 1.0, 1.5],
            templates=["pl", "flat", "top"],
            spikes=64,
            seeds=1,
            c=2.0,
            cap=12.0,
            base_seeds=128,
        ),
        "textures": dict(
            images=["grass", "gravel"], jitters=[0.0, 0.5], n_train=3000, n_test=1000, width=128, steps=3000
        ),
        "exercise": dict(seeds=32, N=16),
    },
    "paper": {
        "amplitude_first": dict(
            patch=16, lr=0.05, batch=32, n_train=6000, n_test=1000, n_hybrid=2000, width=512, steps=20000, seeds=3
        ),
        "cifar": dict(lr=0.05, batch=128, n_train=50000, n_test=10000, width=512, steps=40000),
        "image": dict(size=512),
        "phase_model": dict(N=64, n=40000),
        "classifiers": dict(n=10000),
        "match": dict(steps=5000),
        "law": dict(N=24, seeds=128),
        "n_scan": dict(Ns=[32, 64, 128, 256], seeds=32, c=1.0, cap=60.0, record=4096),
        "c_scan": dict(N=64, cs=[0.5, 1.0, 2.0, 4.0], seeds=64),
        "k2": dict(Ns=[64, 128, 256, 512, 1024], seeds=64),
        "power_law": dict(
            N=48,
            a_values=[0.0, 0.5, 1.0, 1.5, 2.0],
            templates=["pl", "flat", "top"],
            spikes=128,
            seeds=1,
            c=2.0,
            cap=12.0,
            base_seeds=256,
        ),
        "textures": dict(
            images=["grass", "gravel", "brick"],
            jitters=[0.0, 0.35, 0.5],
            n_train=6000,
            n_test=2000,
            width=256,
            steps=10000,
        ),
        "exercise": dict(seeds=64, N=24),
    },
}
