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
            _SINES, sines_width=128, sines_steps=1500, sines_lr=1e-3, sines_seeds=[0, 1, 2, 3, 4, 5],
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

# Chapter 4 -- Amplitudes before phases (notebooks/04_amplitude_phase.md). Times measured on 2 CPU cores.
_FP = dict(amp_patch=16, amp_lr=0.05, amp_batch=32, cifar_lr=0.05, cifar_batch=128)
register(
    "fourier_phase",
    {
        "smoke": dict(
            _FP, img_size=128, model_N=16, model_n=6000, clf_n=2000, match_steps=1000,
            amp_n_train=1500, amp_n_test=400, amp_n_hybrid=400, amp_width=128, amp_steps=1500, amp_seeds=1,
            cifar_n_train=2000, cifar_n_test=500, cifar_width=128, cifar_steps=300,
            law_N=8, law_seeds=48,
            nscan_Ns=[12, 16, 24], nscan_seeds=32, nscan_c=1.0, nscan_cap=40.0, nscan_record=64,
            cscan_N=12, cscan_cs=[0.5, 1.0, 2.0, 4.0], cscan_seeds=24,
            k2_Ns=[32, 64, 128, 256], k2_seeds=16,
            pl_N=16, pl_as=[0.0, 1.0, 1.5], pl_templates=["pl", "flat"], pl_spikes=2, pl_seeds=8, pl_c=2.0,
            pl_cap=12.0, pl_base_seeds=64,
            tex_images=["grass"], tex_jitters=[0.0], tex_n_train=1000, tex_n_test=400, tex_width=64, tex_steps=1500,
            ex_seeds=12, ex_N=12,
        ),
        "book": dict(
            _FP, img_size=256, model_N=32, model_n=20000, clf_n=8000, match_steps=3000,
            amp_n_train=3000, amp_n_test=600, amp_n_hybrid=1000, amp_width=256, amp_steps=4000, amp_seeds=2,
            cifar_n_train=10000, cifar_n_test=2000, cifar_width=256, cifar_steps=3000,
            law_N=16, law_seeds=64,
            nscan_Ns=[16, 24, 32], nscan_seeds=48, nscan_c=1.0, nscan_cap=60.0, nscan_record=256,
            cscan_N=24, cscan_cs=[0.5, 1.0, 2.0, 4.0], cscan_seeds=32,
            k2_Ns=[32, 64, 128, 256, 512], k2_seeds=32,
            pl_N=32, pl_as=[0.0, 1.0, 1.5], pl_templates=["pl", "flat", "top"], pl_spikes=3, pl_seeds=12,
            pl_c=2.0, pl_cap=12.0, pl_base_seeds=128,
            tex_images=["grass", "gravel"], tex_jitters=[0.0, 0.5], tex_n_train=3000, tex_n_test=1000, tex_width=128,
            tex_steps=3000, ex_seeds=32, ex_N=16,
        ),
        "paper": dict(
            _FP, img_size=512, model_N=64, model_n=40000, clf_n=10000, match_steps=5000,
            amp_n_train=6000, amp_n_test=1000, amp_n_hybrid=2000, amp_width=512, amp_steps=20000, amp_seeds=3,
            cifar_n_train=50000, cifar_n_test=10000, cifar_width=512, cifar_steps=40000,
            law_N=24, law_seeds=128,
            nscan_Ns=[32, 64, 128, 256], nscan_seeds=32, nscan_c=1.0, nscan_cap=60.0, nscan_record=4096,
            cscan_N=64, cscan_cs=[0.5, 1.0, 2.0, 4.0], cscan_seeds=64,
            k2_Ns=[64, 128, 256, 512, 1024], k2_seeds=64,
            pl_N=48, pl_as=[0.0, 0.5, 1.0, 1.5, 2.0], pl_templates=["pl", "flat", "top"], pl_spikes=4, pl_seeds=8,
            pl_c=2.0, pl_cap=12.0, pl_base_seeds=256,
            tex_images=["grass", "gravel", "brick"], tex_jitters=[0.0, 0.35, 0.5], tex_n_train=6000, tex_n_test=2000,
            tex_width=256, tex_steps=10000, ex_seeds=64, ex_N=24,
        ),
    },
)

# Chapter 2 -- Layer-wise spectral bias (notebooks/02_layerwise.md). Times measured on 2 shared CPU cores.
_LAYERWISE = dict(net_depth=4, series_nmax=300, spec_kmax=24, tanh_kmax=12, limit_kmax=200,
                  highd_ds=[10, 50, 200, 1000], highd_kmax=6, ntk_d=5, attr_d=5, attr_eta=1.0, freeze_k=3,
                  real_bands=8)
register(
    "layerwise",
    {
        "smoke": dict(
            _LAYERWISE, spec_ds=[3, 10], spec_depths=[3, 4, 6],
            ntk_points=500, ntk_widths=[256, 1024], ntk_seeds=3,
            probe_points=800, probe_width=512, probe_ks=[1, 3, 5], probe_seeds=2, probe_n=20,
            attr_width=512, attr_n=400, attr_steps=60, attr_ks=[1, 3], attr_seeds=2,
            real_n=600, real_depth=4, real_width=1024, real_train_width=256, real_steps=80,
        ),
        "book": dict(
            _LAYERWISE, spec_ds=[3, 10, 200], spec_depths=[3, 4, 6],
            ntk_points=800, ntk_widths=[256, 1024, 4096], ntk_seeds=3,
            probe_points=1500, probe_width=1024, probe_ks=[1, 2, 3, 4, 5, 6], probe_seeds=3, probe_n=20,
            attr_width=512, attr_n=500, attr_steps=80, attr_ks=[1, 2, 3], attr_seeds=2,
            real_n=1797, real_depth=4, real_width=1024, real_train_width=512, real_steps=120,
        ),
        "paper": dict(
            _LAYERWISE, spec_ds=[3, 10, 200], spec_depths=[3, 4, 6, 8],
            ntk_points=3000, ntk_widths=[512, 2048, 8192], ntk_seeds=4,
            probe_points=4000, probe_width=4096, probe_ks=[1, 2, 3, 4, 5, 6, 7, 8], probe_seeds=4, probe_n=40,
            attr_width=4096, attr_n=2000, attr_steps=200, attr_ks=[1, 2, 3, 4], attr_seeds=3,
            real_n=10000, real_depth=6, real_width=4096, real_train_width=2048, real_steps=300,
        ),
    },
)

# Chapter 3 -- Neural LoFi (notebooks/03_neural_lofi.md). Synthetic task: d = 64, r = 8 hidden directions.
_LOFI = dict(task_d=64, task_r=8, emerge_pairs=[(32, 4), (64, 8), (128, 16)], spec_cs=[0.5, 8.0],
             photo_names=["camera", "moon"], photo_size=16, depth_d=32, depth_r=8, depth_gain=4.0)
register(
    "lofi",
    {
        "smoke": dict(
            _LOFI, emerge_cs=[0.25, 0.5, 1, 2, 4, 8], emerge_seeds=2,
            algo_n=2000, algo_p=400, algo_k=16, solver_p=1000, solver_k=50,
            wc_n=500, wc_widths=[250, 1000, 4000, 16000], wc_seeds=2, wc_k=8,
            cmp_ns=[1000, 4000], cmp_p=400, cmp_k=16, cmp_val=500, cmp_test=1000, cmp_seeds=2, cmp_kernel_n=1000,
            dig_n=1000, dig_val=300, dig_p=1000, dig_k=20, dig_seeds=2,
            cifar_n=500, cifar_val=500, cifar_test=1000, cifar_p=1000, cifar_k=50,
            ks_n=3000, ks_p=400, ks_list=[2, 4, 8, 16, 32, 64, 128, 400], ks_seeds=2,
            widget_n=2000, widget_p=300,
            filt_shuffles=20, photo_n=1000,
            cnn_n=600, cnn_val=300, cnn_channels=128, cnn_k=8, cnn_pout=500, cnn_seeds=1,
            gd_mult=8, gd_width=512, gd_seeds=2,
            depth_ns=[3000], depth_p1=2000, depth_p2=1600, depth_pout=200, depth_val=1000, depth_test=2000,
            depth_seeds=2,
        ),
        "book": dict(
            _LOFI, emerge_cs=[0.25, 0.5, 1, 2, 4, 8, 16], emerge_seeds=3,
            algo_n=4000, algo_p=600, algo_k=16, solver_p=2000, solver_k=50,
            wc_n=800, wc_widths=[250, 1000, 4000, 16000, 64000], wc_seeds=3, wc_k=8,
            cmp_ns=[1000, 2000, 4000, 8000], cmp_p=600, cmp_k=16, cmp_val=1000, cmp_test=2000, cmp_seeds=3,
            cmp_kernel_n=2000,
            dig_n=1000, dig_val=300, dig_p=1000, dig_k=20, dig_seeds=3,
            cifar_n=2000, cifar_val=1000, cifar_test=2000, cifar_p=3000, cifar_k=100,
            ks_n=4000, ks_p=600, ks_list=[2, 4, 8, 16, 32, 64, 128, 300, 600], ks_seeds=3,
            widget_n=2000, widget_p=400,
            filt_shuffles=50, photo_n=1000,
            cnn_n=1000, cnn_val=300, cnn_channels=256, cnn_k=16, cnn_pout=1000, cnn_seeds=3,
            gd_mult=8, gd_width=512, gd_seeds=3,
            depth_ns=[1000, 2000, 4000], depth_p1=2000, depth_p2=1600, depth_pout=200, depth_val=1000,
            depth_test=2000, depth_seeds=3,
        ),
        "paper": dict(
            _LOFI, emerge_cs=[0.25, 0.5, 1, 2, 4, 8, 16, 32], emerge_seeds=10,
            algo_n=50000, algo_p=100000, algo_k=50, solver_p=16000, solver_k=50,
            wc_n=2000, wc_widths=[300, 1000, 3000, 10000, 30000, 100000], wc_seeds=5, wc_k=8,
            cmp_ns=[1000, 2000, 4000, 8000, 16000, 50000], cmp_p=4000, cmp_k=16, cmp_val=2000, cmp_test=5000,
            cmp_seeds=5, cmp_kernel_n=8000,
            dig_n=1000, dig_val=300, dig_p=4000, dig_k=20, dig_seeds=10,
            cifar_n=45000, cifar_val=5000, cifar_test=10000, cifar_p=100000, cifar_k=100,
            ks_n=50000, ks_p=5000, ks_list=[2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2500, 5000], ks_seeds=5,
            widget_n=4000, widget_p=1000,
            filt_shuffles=200, photo_n=2000,
            cnn_n=1200, cnn_val=300, cnn_channels=500, cnn_k=16, cnn_pout=2000, cnn_seeds=10,
            gd_mult=8, gd_width=2048, gd_seeds=10,
            depth_ns=[1000, 2000, 4000, 8000, 16000, 32000], depth_p1=8000, depth_p2=4000, depth_pout=400,
            depth_val=2000, depth_test=5000, depth_seeds=5,
        ),
    },
)
