"""The kNN monitor of SelfSup.Training (FeatureExtractor + KnnClassifier): backbone in eval mode over the eval view,
L2-normalised features, the k most cosine-similar training features vote with weight exp(sim / T); a test image counts
for top-1 when no class has a strictly larger vote than its true class, for top-5 when fewer than five do."""
import torch
import torch.nn.functional as F

from data import normalize_batch
from nets import mm


@torch.no_grad()
def extract(backbone, images, batch_size=256):
    """(N, D) L2-normalised backbone features of `images` (N, 1, 28, 28) in [0, 1], eval mode (restored after)."""
    was_training = backbone.training
    backbone.eval()
    try:
        parts = [F.normalize(backbone(normalize_batch(images[i:i + batch_size])), dim=1)
                 for i in range(0, images.shape[0], batch_size)]
    finally:
        backbone.train(was_training)
    return torch.cat(parts)


@torch.no_grad()
def knn(train_features, train_labels, test_features, test_labels, k=200, temperature=0.1, chunk=256):
    """(top-1, top-5) accuracy as fractions."""
    k = min(k, train_features.shape[0])
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    top1 = top5 = 0
    for start in range(0, test_features.shape[0], chunk):
        sim = mm(test_features[start:start + chunk], train_features.T)                     # (n, Ntrain)
        values, indices = sim.topk(k, dim=1)                                             # (n, k)
        weights = torch.exp(values.double() / temperature)                               # (n, k), in double as the C#
        votes = torch.zeros(sim.shape[0], classes, dtype=torch.float64)
        votes.scatter_add_(1, train_labels[indices], weights)                            # (n, classes)
        truth = test_labels[start:start + chunk]
        rank = (votes > votes.gather(1, truth[:, None])).sum(1)                          # classes strictly ahead
        top1 += int((rank == 0).sum())
        top5 += int((rank < 5).sum())
    n = test_features.shape[0]
    return top1 / n, top5 / n


def evaluate(backbone, train, test, k=200, temperature=0.1):
    """kNN of the test split against the whole training split: (top-1, top-5)."""
    (xtr, ytr), (xte, yte) = train, test
    return knn(extract(backbone, xtr), ytr, extract(backbone, xte), yte, k, temperature)


def raw_pixels(train, test, k=200, temperature=0.1):
    """The same kNN on normalised, L2-normalised raw pixels (784-d)."""
    (xtr, ytr), (xte, yte) = train, test
    f = lambda x: F.normalize(normalize_batch(x).flatten(1), dim=1)
    return knn(f(xtr), ytr, f(xte), yte, k, temperature)
