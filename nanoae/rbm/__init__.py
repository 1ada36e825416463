"""Restricted Boltzmann machines and the pretraining of Hinton & Salakhutdinov (2006).

    rbm.py    RBM: the energy, the free energy, p(h | v) and p(v | h), Bernoulli or Gaussian hidden units
    cd.py     cd_gradient (CD-k), CDSettings (the paper's), train_rbm (momentum and weight cost)
    stack.py  RBMStack, pretrain (greedy, layer by layer, with checkpoints), unroll (→ a deep autoencoder)
"""
from nanoae.rbm.cd import CDSettings, RBMHistory, cd_gradient, train_rbm
from nanoae.rbm.rbm import RBM
from nanoae.rbm.stack import RBMStack, pretrain, unroll, upward

__all__ = ["RBM", "CDSettings", "RBMHistory", "cd_gradient", "train_rbm", "RBMStack", "pretrain", "unroll", "upward"]
