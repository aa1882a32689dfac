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

STORY_SIMILARITY = 0.65


def centroid(vectors: np.ndarray) -> np.ndarray:
    """The unit mean of unit vectors: what an article (or a story) is about as a whole."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def group_by_story(centroids: Sequence[np.ndarray], threshold: float = STORY_SIMILARITY) -> list[list[int]]:
    """Indexes of `centroids` grouped by story, each group in index order, groups by their first
    index. The similarity of two groups is the mean of their members' pairwise cosines, kept up to
    date as groups merge (Lance and Williams, 1967), so each merge costs one pass over the groups."""
    if not centroids:
        return []
    matrix = np.stack(centroids)
    similarity = (matrix @ matrix.T).astype(np.float64)
    np.fill_diagonal(similarity, -np.inf)
    groups: list[list[int] | None] = [[i] for i in range(len(centroids))]
    while True:
        a, b = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[a, b] < threshold:
            break
        first, second = groups[a], groups[b]
        assert first is not None and second is not None
        merged = (len(first) * similarity[a] + len(second) * similarity[b]) / (len(first) + len(second))
        similarity[a], similarity[:, a] = merged, merged
        similarity[a, a] = -np.inf
        similarity[b], similarity[:, b] = -np.inf, -np.inf
        groups[a], groups[b] = sorted(first + second), None
    return sorted((group for group in groups if group is not None), key=lambda group: group[0])
