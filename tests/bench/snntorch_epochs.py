#!/usr/bin/python3
"""snnTorch over several epochs, for the accuracy targets that say "after a
few epochs" (fmnist_conv's 90%). A reference script for people, not run by
the build or the tests: it needs Debian's python3-torch and snnTorch's
source on PYTHONPATH, as ../shared/bench/README.md describes, and reuses
that folder's snntorch_baseline.py for the data, the network and the loops.

    PYTHONPATH=<snnTorch source> /usr/bin/python3 tests/bench/snntorch_epochs.py \
        --variant conv --epochs 5 --threads 1

Prints one JSON line per epoch: test accuracy (snnTorch's own accuracy
function), training samples/s and the mean loss of the last 50 batches.
The data is reshuffled every epoch (seed = epoch number).
"""
import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "bench"))
import snntorch_baseline as B  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--variant", choices=["fc", "ttfs", "conv"], default="conv")
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--lr", type=float, default=None, help="default: the variant's (1e-2 for conv)")
ap.add_argument("--data-dir", default=B.DATA_DIR)
args = ap.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)
xtr, ytr = B.load_fmnist("train", args.data_dir)
xte, yte = B.load_fmnist("test", args.data_dir)
lr = args.lr if args.lr is not None else (1e-2 if args.variant == "conv" else 5e-4)
v = B.Variant(args.variant, 25, lr)
for ep in range(args.epochs):
    t0 = time.time()
    r = B.run_train(v, xtr, ytr, 128, 0, ep, 0)
    t = B.run_test(v, xte, yte, 128, 0)
    print(json.dumps(dict(epoch=ep + 1, test_acc=t["test_acc"], train_sps=r["train_sps_incl_encode"],
                          loss_mean_last50=r["loss_mean_last50"], wall_s=time.time() - t0)), flush=True)
