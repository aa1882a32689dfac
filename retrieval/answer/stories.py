"""Articles grouped by story: average-linkage agglomerative clustering of their centroid vectors
(each article's stored sentence vectors averaged), merging while two groups' articles are on
average at least `STORY_SIMILARITY` alike (cosine).

The threshold was measured on news-dev (../shared/news-dev/corpus, 764 articles, the vectors
ingest stores): of 65 pairs of articles about one story (their titles share a name no more than
six titles have, published at most two days apart), 85% are at 0.65 or above; of 276,768 pairs
about different stories (titles sharing no word), 0.25% are (0.70: 75% and 0.14%; 0.60: 89% and
0.43%). A day's digest compares tens of articles, so a wrong merge is rare and most follow-ups of
one event form one story. Average linkage, not single: one article that touches two events does not
chain them together.
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
