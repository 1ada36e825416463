"""PCA and the measures of a code, on cases with known answers."""
import numpy as np
import pytest

from nanoae.evaluation.metrics import knn_accuracy, squared_error_per_image
from nanoae.evaluation.pca import PCA


def test_pca_finds_the_known_direction():
    rng = np.random.default_rng(0)
    t = rng.standard_normal(500)
    direction = np.array([3.0, 4.0]) / 5
    X = np.outer(t, direction) * 10 + np.array([1.0, -2.0]) + rng.standard_normal((500, 2)) * 0.01
    pca = PCA(1).fit(X)
    assert abs(abs(pca.components_[0] @ direction) - 1) < 1e-6
    np.testing.assert_allclose(pca.mean_, X.mean(axis=0))
    assert pca.explained_variance_[0] == pytest.approx(np.var(t * 10, ddof=1), rel=1e-3)


def test_pca_with_all_components_reconstructs_exactly():
    X = np.random.default_rng(1).standard_normal((20, 5))
    pca = PCA(5)
    np.testing.assert_allclose(pca.inverse_transform(pca.fit_transform(X)), X, atol=1e-12)


def test_pca_error_equals_the_discarded_variance():
    X = np.random.default_rng(2).standard_normal((200, 6)) * np.array([5, 4, 3, 2, 1, 0.5])
    pca = PCA(3).fit(X)
    discarded = np.linalg.svd(X - X.mean(0), compute_uv=False)[3:] ** 2
    assert squared_error_per_image(X, pca.inverse_transform(pca.transform(X))) == pytest.approx(
        discarded.sum() / len(X))


def test_pca_errors():
    with pytest.raises(ValueError, match="not fitted"):                       # NotFittedError is a ValueError
        PCA(2).transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="n_components=4 must be at most min\\(n_samples, n_features\\) = 3"):
        PCA(4).fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="positive integer"):
        PCA(0).fit(np.zeros((10, 3)))                                          # checked at fit, as scikit-learn does


def test_squared_error_sums_pixels_and_averages_images():
    x = np.zeros((2, 3))
    x_hat = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert squared_error_per_image(x, x_hat) == pytest.approx((2 + 4) / 2)


def test_knn_on_a_hand_made_case():
    train = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    test = np.array([[0.5], [11.5], [5.0], [7.0]])
    # 3-NN: 0.5 → {0,1,2} → 0; 11.5 → 1; 5.0 → {2,1,10}: two 0s → 0; 7.0 → {10,11,2}: two 1s → 1
    assert knn_accuracy(train, labels, test, np.array([0, 1, 0, 1]), k=3) == 1.0
    assert knn_accuracy(train, labels, test, np.array([1, 1, 1, 1]), k=3) == 0.5


def test_knn_tie_goes_to_the_smallest_class_as_in_scikit_learn():
    train = np.array([[0.0], [3.0]])
    # 2-NN of 1.0 and of 2.0: one vote each, whichever is nearer; class 0 is the smaller label
    assert knn_accuracy(train, np.array([0, 1]), np.array([[1.0]]), np.array([0]), k=2) == 1.0
    assert knn_accuracy(train, np.array([0, 1]), np.array([[2.0]]), np.array([0]), k=2) == 1.0
    assert knn_accuracy(train, np.array([5, 2]), np.array([[1.0]]), np.array([2]), k=2) == 1.0


def test_knn_bad_k():
    with pytest.raises(ValueError, match="k must be between 1 and the 2 training codes"):
        knn_accuracy(np.zeros((2, 1)), np.zeros(2), np.zeros((1, 1)), np.zeros(1), k=3)


from nanoae.evaluation.metrics import psnr, roc_auc, roc_curve, trustworthiness  # noqa: E402


def test_psnr_by_hand():
    clean = np.zeros((2, 4))
    restored = np.array([[0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.2]])    # MSE 0.01 and 0.01
    assert psnr(clean, restored) == pytest.approx(20.0)
    assert psnr(clean, clean) == pytest.approx(100.0)


def test_roc_auc_by_hand():
    # positives 0.9, 0.4; negatives 0.5, 0.1: pairs won 0.9>0.5, 0.9>0.1, 0.4>0.1, lost 0.4<0.5 → 3/4
    assert roc_auc([0.9, 0.4, 0.5, 0.1], [True, True, False, False]) == 0.75
    assert roc_auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert roc_auc([1, 2, 3, 4], [True, True, False, False]) == 0.0


def test_roc_auc_counts_ties_as_one_half():
    # positive 0.5 ties negative 0.5 (½) and beats 0.2 (1); positive 0.7 beats both (2) → 3.5 / 4
    assert roc_auc([0.5, 0.7, 0.5, 0.2], [True, True, False, False]) == 0.875
    assert roc_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5


def test_roc_auc_matches_the_area_under_the_curve():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(200), rng.random(200) < 0.3
    fpr, tpr = roc_curve(scores, labels)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc(scores, labels))


def test_roc_auc_errors():
    with pytest.raises(ValueError, match="needs both classes"):
        roc_auc([1, 2], [True, True])
    with pytest.raises(ValueError, match="NaN or Inf"):
        roc_auc([1, np.nan], [True, False])


def test_trustworthiness_is_one_for_a_rotation():
    X = np.random.default_rng(0).standard_normal((30, 3))
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
    assert trustworthiness(X, X @ Q * 2.5, k=4) == pytest.approx(1.0)


def test_trustworthiness_by_hand():
    # X on a line at 0, 1, 3, 6, 10, 15 (no ties); Z swaps the first and last: 15, 1, 3, 6, 10, 0.
    # k = 1.  Nearest in Z, and that point's rank among the neighbours in X:
    #   p0 (15) → p4 (10): in X from 0: p1, p2, p3, p4 → rank 4, penalty 3
    #   p1 (1)  → p5 (0):  in X from 1: p0, p2, p3, p4, p5 → rank 5, penalty 4
    #   p2 → p1, p3 → p2, p4 → p3: each the nearest in X too, penalty 0
    #   p5 (0)  → p1 (1):  in X from 15: p4, p3, p2, p1 → rank 4, penalty 3
    # T = 1 − 2 / (n k (2n − 3k − 1)) · 10 = 1 − 2 / (6·1·8) · 10 = 1 − 20/48
    X = np.array([0.0, 1, 3, 6, 10, 15])[:, None]
    Z = np.array([15.0, 1, 3, 6, 10, 0])[:, None]
    assert trustworthiness(X, Z, k=1) == pytest.approx(1 - 20 / 48)


def test_trustworthiness_bad_k():
    with pytest.raises(ValueError, match="1 ≤ k < n/2"):
        trustworthiness(np.zeros((6, 2)), np.zeros((6, 2)), k=3)
