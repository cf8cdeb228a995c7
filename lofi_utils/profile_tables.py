"""The profile tables of the book's chapters (sizes only; see :mod:`lofi_utils.profiles`).

The ``book`` numbers are chosen so that each chapter runs in a few minutes on a laptop CPU, the
``smoke`` numbers so that it runs in under a minute on 2 cores, and the ``paper`` numbers follow
the papers (meant for a GPU).
"""

from .profiles import register

# Chapter 1 -- Spectral bias basics (notebooks/01_spectral_bias.md). Times measured on 2 CPU cores.
_SINES = dict(sines_freqs=[1, 2, 3, 4, 5, 6], sines_depth=4, sines_points=200, sines_record=10)
register(
    "spectral_bias",
    {
        "smoke": dict(
            _SINES, sines_width=128, sines_steps=1500, sines_lr=1e-3, sines_seeds=[0, 1, 2],
            ntk_d=3, ntk_depth=3, ntk_points=300, ntk_widths=[256, 2048], ntk_seeds=2,
            fh_d=3, fh_kmax=40, decay_ds=[2, 3, 5], decay_kmax=200, decay_nodes=6000,
            circle_widths=[256, 1024], circle_ks=[1, 2, 3, 4, 5], circle_steps=600, circle_eta=0.5,
            circle_points=32, circle_kmax=16,
            act_names=["relu", "tanh", "sin"], act_kmax=30,
            ff_width=256, ff_depth=3, ff_steps=800, ff_p=[None, 0.0, float("inf")],
        ),
        "book": dict(
            _SINES, sines_width=256, sines_steps=3000, sines_lr=1e-3, sines_seeds=[0, 1, 2],
            ntk_d=3, ntk_depth=3, ntk_points=500, ntk_widths=[256, 1024, 4096], ntk_seeds=3,
            fh_d=3, fh_kmax=40, decay_ds=[2, 3, 5], decay_kmax=200, decay_nodes=6000,
            circle_widths=[256, 1024, 4096], circle_ks=[1, 2, 3, 4, 5], circle_steps=800, circle_eta=0.5,
            circle_points=32, circle_kmax=16,
            act_names=["relu", "tanh", "sin"], act_kmax=30,
            ff_width=256, ff_depth=3, ff_steps=2000, ff_p=[None, 0.0, 0.5, 1.0, float("inf")],
        ),
        "paper": dict(
            _SINES, sines_freqs=[1, 2, 3, 4, 5, 6, 7, 8], sines_depth=6, sines_width=256, sines_steps=20000,
            sines_lr=3e-4, sines_seeds=list(range(10)), sines_record=20,
            ntk_d=3, ntk_depth=3, ntk_points=2000, ntk_widths=[256, 1024, 4096, 16384], ntk_seeds=3,
            fh_d=3, fh_kmax=60, decay_ds=[2, 3, 5], decay_kmax=200, decay_nodes=6000,
            circle_widths=[256, 1024, 4096, 16384], circle_ks=[1, 2, 3, 4, 5, 6], circle_steps=2000,
            circle_eta=0.5, circle_points=64, circle_kmax=16,
            act_names=["relu", "tanh", "sin"], act_kmax=30,
            ff_width=1024, ff_depth=3, ff_steps=5000,
            ff_p=[None, 0.0, 0.5, 1.0, 1.5, 2.0, float("inf")],
        ),
    },
)
