"""LightGCN as RecBole defines it, in PyTorch, on a split written by dump.fsx: the cross-check of BatchRec's trainer.

64 dims, 3 layers, Xavier-uniform tables, A_hat = D^-1/2 A D^-1/2 over the train pairs, the mean of layers 0..3,
BPR with one negative per pair (RecBole's -log(1e-10 + sigmoid(d)) in lightgcn.py, BatchRec's -logsigmoid(d) in
replay.py), RecBole's EmbLoss ((|E_u| + |E_pos| + |E_neg|) / B on the layer-0 rows) times 1e-4,
Adam at lr 0.002, batches of 4096; validation MRR@10 with train items masked, test with train and valid masked.
"""
import os
import numpy as np
import torch

DIM, LAYERS, BATCH, LR, L2 = 64, 3, 4096, 0.002, 1e-4


class Data:
    def __init__(self, folder):
        with open(os.path.join(folder, "split.txt")) as f:
            self.n_users, self.n_items = map(int, f.readline().split())
            d = np.loadtxt(f, dtype=np.int64)
        self.u, self.i, self.s = d[:, 0], d[:, 1], d[:, 2]
        tr = self.s == 0
        self.tu, self.ti = self.u[tr], self.i[tr]
        n = self.n_users + self.n_items
        rows = np.concatenate([self.tu, self.ti + self.n_users])
        cols = np.concatenate([self.ti + self.n_users, self.tu])
        deg = np.bincount(rows, minlength=n).astype(np.float32)
        vals = (deg[rows] ** -0.5) * (deg[cols] ** -0.5)
        self.adj = torch.sparse_coo_tensor(torch.tensor(np.stack([rows, cols])), torch.tensor(vals, dtype=torch.float32), (n, n)).coalesce()
        self.train_mask = self.mask(tr)
        self.train_valid_mask = self.mask(self.s <= 1)

    def mask(self, sel):
        m = torch.zeros(self.n_users, self.n_items, dtype=torch.bool)
        m[torch.tensor(self.u[sel]), torch.tensor(self.i[sel])] = True
        return m


class LightGCN:
    def __init__(self, data, init_folder=None):
        self.d = data
        if init_folder is None:
            self.users = torch.nn.Parameter(torch.empty(data.n_users, DIM))
            self.items = torch.nn.Parameter(torch.empty(data.n_items, DIM))
            torch.nn.init.xavier_uniform_(self.users)
            torch.nn.init.xavier_uniform_(self.items)
        else:
            load = lambda name, rows: torch.nn.Parameter(torch.tensor(np.fromfile(os.path.join(init_folder, name), dtype=np.float32).reshape(rows, DIM)))
            self.users, self.items = load("initU.bin", data.n_users), load("initI.bin", data.n_items)
        self.opt = torch.optim.Adam([self.users, self.items], lr=LR)

    def forward(self):
        e = torch.cat([self.users, self.items])
        layers = [e]
        for _ in range(LAYERS):
            e = torch.sparse.mm(self.d.adj, e)
            layers.append(e)
        m = torch.stack(layers, 1).mean(1)
        return m[: self.d.n_users], m[self.d.n_users:]

    def epoch(self, bu, bp, bn, bpr_loss):
        total, batches = 0.0, 0
        for st in range(0, len(bu), BATCH):
            u, p, n = (torch.tensor(x[st: st + BATCH]) for x in (bu, bp, bn))
            U, I = self.forward()
            eu, ep, en = U[u], I[p], I[n]
            bpr = bpr_loss((eu * ep).sum(1) - (eu * en).sum(1)).mean()
            reg = (self.users[u].norm() + self.items[p].norm() + self.items[n].norm()) / len(u)
            loss = bpr + L2 * reg
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total, batches = total + loss.item(), batches + 1
        return total / batches


def batchrec_bpr(d):
    return -torch.nn.functional.logsigmoid(d)


def recbole_bpr(d):
    return -torch.log(1e-10 + torch.sigmoid(d))


def metrics(data, U, I, exclude, split, k=10):
    """Recall, NDCG, MRR and Hit at k over the users with at least one item of `split`."""
    scores = U @ I.T
    scores[exclude] = -np.inf
    top = torch.topk(scores, k, 1).indices.numpy()
    truth = [set() for _ in range(data.n_users)]
    for a, b in zip(data.u[data.s == split], data.i[data.s == split]):
        truth[a].add(b)
    disc = 1 / np.log2(np.arange(2, k + 2))
    acc, n = np.zeros(4), 0
    for a in range(data.n_users):
        if not truth[a]:
            continue
        n += 1
        hit = np.array([t in truth[a] for t in top[a]])
        ndcg = (hit * disc).sum() / disc[: min(len(truth[a]), k)].sum()
        mrr = 1 / (np.argmax(hit) + 1) if hit.any() else 0.0
        acc += [hit.sum() / len(truth[a]), ndcg, mrr, float(hit.any())]
    return dict(zip(["recall", "ndcg", "mrr", "hit"], acc / n))
