"""Chapter 1, *Spectral bias* (``notebooks/01_spectral_bias.md``): the chapter's own code.

Modules (import them directly; this file imports nothing, because :mod:`lofi_utils.profiles` reads
``profile.py`` through it):

* ``profile``               -- the chapter's sizes per profile (plain data).
* ``ntk_width``             -- the empirical NTK of finite networks against the analytic kernel over widths
  (section 2).
* ``circle_networks``       -- networks on S^1 trained on each ``cos(k theta)``, timed per frequency against
  the linearised model (section 5).
* ``activation_comparison`` -- the sum-of-sines learning times for several activations, one budget (section 6).
* ``fourier_feature_fits``  -- Tancik et al.'s 1-D experiment: a network with and without Fourier features
  (section 7).
* ``figures``               -- every figure of the chapter, by section.
* ``widget``                -- the spectrum explorer of section 4.

The reusable maths lives in the concept modules :mod:`lofi_utils.data` (1-D targets),
:mod:`lofi_utils.spectral1d` (Fourier amplitudes and learning times), :mod:`lofi_utils.training1d` (the
networks and the batched sum-of-sines trainer), :mod:`lofi_utils.fourier_features` (the mappings and their
kernel), :mod:`lofi_utils.dynamics` (kernel gradient descent per mode), :mod:`lofi_utils.spectra` (fits of
kernel spectra) and :mod:`lofi_utils.width_sweep` (the width sweep shared with chapter 2).
"""
