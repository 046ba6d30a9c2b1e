"""LightGCN trained end to end under the reference protocol with its own draws (numpy's PCG64 for shuffles and
negatives, torch's generator for the initial tables, both seeded with SEED), on the split of dump.fsx: validation
every 10 epochs, stop after 10 evaluations without a better MRR@10, test metrics of the best evaluation.
Usage: python3 bench/pytorch-check/lightgcn.py DUMP_DIR SEED [THREADS]"""
import sys
import numpy as np
import torch
from common import Data, LightGCN, metrics, recbole_bpr

folder, seed = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
torch.manual_seed(seed)
rng = np.random.default_rng(seed)
data = Data(folder)
model = LightGCN(data)
seen = np.unique(data.tu * data.n_items + data.ti)
n = len(data.tu)
best, best_epoch, bad, ep = -1.0, 0, 0, 0
while bad < 10 and ep < 1000:
    ep += 1
    perm = rng.permutation(n)
    bu, bp = data.tu[perm], data.ti[perm]
    bn = rng.integers(0, data.n_items, n)
    while True:  # redraw negatives the user trained on
        clash = np.isin(bu * data.n_items + bn, seen)
        if not clash.any():
            break
        bn[clash] = rng.integers(0, data.n_items, clash.sum())
    model.epoch(bu, bp, bn, recbole_bpr)
    if ep % 10 == 0:
        with torch.no_grad():
            U, I = model.forward()
            v = metrics(data, U, I, data.train_mask, 1)["mrr"]
        if v > best:
            best, best_epoch, bad, kept = v, ep, 0, (U.clone(), I.clone())
        else:
            bad += 1
U, I = kept
test = metrics(data, U, I, data.train_valid_mask, 2)
print(f"seed {seed}: best valid MRR@10 {best:.4f} at epoch {best_epoch} (stopped at {ep}); test "
      + ", ".join(f"{k}@10 {v:.4f}" for k, v in test.items()), flush=True)
