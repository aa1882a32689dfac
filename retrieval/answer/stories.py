"""Articles grouped by story: average-linkage agglomerative clustering of their centroid vectors
(each article's stored sentence vectors averaged), merging while two groups' articles are on
average at least `STORY_SIMILARITY` alike (cosine).

The threshold is measured by bench/story_grouping.py on news-dev (../shared/news-dev, the vectors
the digest uses), over article pairs labelled from their titles (approximately: same story when
they share a name no more than six titles have and were published at most two days apart,
different when they share no word). Articles up to 2023-01-13 (the tuning half): 86% of 58
same-story pairs at 0.65 or above, 0.26% of 248,562 different-story pairs (0.60: 90% and 0.43%;
0.70: 81% and 0.15%). After it (held out, few): 5 of 7 and 3 of 680 (0.60: 6 of 7). A week of
news-dev (16 to 50 articles) makes 14 to 18 stories, a few merges of a roundup with a story it lists
(docs/quality.md, "Digest: stories"). Average linkage, not single: one article that touches two
events does not chain them together.
"""

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

STORY_SIMILARITY = 0.65


def centroid(vectors: np.ndarray) -> np.ndarray:
    """The unit mean of unit vectors: what an article (or a story) is about as a whole."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def group_by_story(centroids: Sequence[np.ndarray], threshold: float = STORY_SIMILARITY) -> list[list[int]]:
    """Indexes of `centroids` grouped by story, each group in index order, groups by their first
    index: SciPy's average-linkage tree over cosine distances, cut where two groups' articles are on
    average less than `threshold` alike."""
    if len(centroids) < 2:
        return [[i] for i in range(len(centroids))]
    tree = linkage(np.stack(centroids).astype(np.float64), method="average", metric="cosine")
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(fcluster(tree, t=1 - threshold, criterion="distance")):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda group: group[0])
