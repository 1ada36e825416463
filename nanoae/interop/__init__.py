"""nanoae among other libraries — each bridge imports its library only when used.

    pytorch.py   to_torch(model) → an equivalent torch.nn.Module with the same weights; from_torch(module)
                 → the weights back in a nanoae model (dense and conv autoencoders, the VAE)

The scikit-learn estimators are ``nanoae.apps.AutoencoderReducer`` and
``nanoae.evaluation.PCA``.
"""
