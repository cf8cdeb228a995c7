"""Chapter 4, *Amplitudes before phases* (``notebooks/04_amplitude_phase.md``): the chapter's own code.

Modules (import them directly; this file imports nothing, because :mod:`lofi_utils.profiles` reads
``profile.py`` through it):

* ``profile``        -- the chapter's sizes per profile (plain data).
* ``image_data``     -- texture patches and standardised CIFAR subsets for the training experiments.
* ``tracking``       -- amplitude-only, phase-only and hybrid probes; training with tracked accuracies; the
  amplitude-task vs phase-task learning speeds (section 2).
* ``discrimination`` -- real vs phase-randomised texture patches, natural vs flat spectrum (section 6).
* ``figures``        -- every figure of the chapter, by section.
* ``widget``         -- the spectrum/template explorer of section 5.

The reusable maths lives in the concept modules :mod:`lofi_utils.fourier` (image Fourier tools),
:mod:`lofi_utils.phase_model` (the phase-only data model), :mod:`lofi_utils.sgd` and
:mod:`lofi_utils.sgd_chain` (the online-SGD simulators) and :mod:`lofi_utils.escape_scans` (escape-time
scans and fits).
"""
