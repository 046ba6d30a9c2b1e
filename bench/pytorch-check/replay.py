"""Replays BatchRec's own draws (dump.fsx: initial tables, shuffles, negatives) for EPOCHS epochs and prints the mean
training loss and validation MRR@10 every 10 epochs, to set beside the trainer's log (they should agree).
Usage: python3 bench/pytorch-check/replay.py DUMP_DIR EPOCHS"""
import sys
import numpy as np
import torch
from common import Data, LightGCN, metrics, batchrec_bpr

torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
folder, epochs = sys.argv[1], int(sys.argv[2])
data = Data(folder)
model = LightGCN(data, init_folder=folder)
raw = np.fromfile(f"{folder}/draws.bin", dtype=np.int32).astype(np.int64)
n = len(data.tu)
for ep in range(1, epochs + 1):
    off = 2 * n + (ep - 1) * 3 * n
    bu, bp, bn = (raw[off + k * n: off + (k + 1) * n] for k in range(3))
    loss = model.epoch(bu, bp, bn, batchrec_bpr)
    if ep % 10 == 0:
        with torch.no_grad():
            U, I = model.forward()
            print(f"epoch {ep} loss {loss:.4f}; valid mrr@10 {metrics(data, U, I, data.train_mask, 1)['mrr']:.4f}", flush=True)
