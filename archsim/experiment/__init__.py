"""``archsim experiment``: the paper's figures (Fig. 3 input resolution and rounding, Fig. 4 dropout,
Fig. 5 device ablations) over learning rates and seeds, as ``archsim train`` runs in one folder.

- :mod:`~archsim.experiment.plan`: the figures' runs, their ids and folders;
- :mod:`~archsim.experiment.runs`: what is on disk for a run (its state, curve, result);
- :mod:`~archsim.experiment.runner`: training the runs (skip, resume, subprocesses);
- :mod:`~archsim.experiment.report`: the report (curves, mean +- sd over seeds) and the status table.
"""
