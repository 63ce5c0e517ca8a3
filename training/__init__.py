"""Training of the shipped embedding models: ONNX export and quantisation, fine-tuning, cross-validation,
the GPU grid, and the checks that measure the models (precision, speed, cosine floor).

Not part of the installed package: run it from a source checkout (``python -m training.train --help``,
``python -m training.tune_pppm --help``) with the ``train`` extra installed (``pip install -e '.[train]'``:
torch, sentence-transformers, onnx, scikit-learn). It imports :mod:`ipcockpit`; :mod:`ipcockpit` never
imports it, so the runtime needs none of those packages (tests/test_packaging.py checks this).
"""
