"""scikit-learn as a reference: nanoae's metrics and PCA give its numbers, and nanoae's
estimators are real scikit-learn estimators (check_estimator, clone, Pipeline, GridSearchCV)."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.decomposition import PCA as SklearnPCA  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.manifold import trustworthiness as sklearn_trustworthiness  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.metrics import roc_curve as sklearn_roc_curve  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from nanoae.apps import AutoencoderReducer  # noqa: E402
from nanoae.evaluation import PCA, knn_accuracy, roc_auc, roc_curve, trustworthiness  # noqa: E402

RNG = np.random.default_rng(0)


def test_knn_accuracy_is_scikit_learns_including_its_ties():
    """Integer codes make many ties between classes; scikit-learn gives them to the smallest label."""
    train, test = RNG.integers(0, 4, (300, 2)).astype(float), RNG.integers(0, 4, (200, 2)).astype(float)
    train += RNG.normal(0, 1e-6, train.shape)                   # no ties in distance, many in the vote
    train_labels, test_labels = RNG.integers(0, 5, 300), RNG.integers(0, 5, 200)
    for k in (1, 4, 5, 10):
        reference = KNeighborsClassifier(k, algorithm="brute").fit(train, train_labels).score(test, test_labels)
        assert knn_accuracy(train, train_labels, test, test_labels, k) == pytest.approx(reference, abs=1e-12), k


def test_auroc_and_the_roc_curve_are_scikit_learns():
    scores = np.round(RNG.normal(size=2000), 1)                 # rounded: many tied scores
    positive = RNG.random(2000) < 0.3
    assert roc_auc(scores, positive) == pytest.approx(roc_auc_score(positive, scores), rel=1e-12)
    fpr, tpr = roc_curve(scores, positive)
    ref_fpr, ref_tpr, _ = sklearn_roc_curve(positive, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr, atol=1e-15)
    np.testing.assert_allclose(tpr, ref_tpr, atol=1e-15)


def test_trustworthiness_is_scikit_learns():
    X = RNG.normal(size=(150, 10))
    Z = X[:, :2] + RNG.normal(0, 0.3, (150, 2))
    for k in (1, 5, 12):
        assert trustworthiness(X, Z, k) == pytest.approx(sklearn_trustworthiness(X, Z, n_neighbors=k), rel=1e-12)


def test_pca_is_scikit_learns():
    X = RNG.normal(size=(300, 8)) @ RNG.normal(size=(8, 8))
    ours, theirs = PCA(3).fit(X), SklearnPCA(3, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-10)
    signs = np.sign((ours.components_ * theirs.components_).sum(axis=1))          # each axis up to its sign
    np.testing.assert_allclose(ours.components_ * signs[:, None], theirs.components_, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X) * signs, theirs.transform(X), atol=1e-9)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)),
                               theirs.inverse_transform(theirs.transform(X)), atol=1e-9)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12)


@pytest.mark.parametrize("estimator", [PCA(), AutoencoderReducer()],
                         ids=["PCA", "AutoencoderReducer"])
def test_passes_scikit_learns_check_estimator(estimator):
    check_estimator(estimator)                                   # every check, no expected failures


def test_the_reducer_in_a_pipeline_clone_and_grid_search():
    X = RNG.normal(size=(120, 6)) @ RNG.normal(size=(6, 6)) + 10
    pipeline = make_pipeline(StandardScaler(), AutoencoderReducer(2, hidden=(8,), epochs=10))
    codes = pipeline.fit_transform(X)
    assert codes.shape == (120, 2) and np.isfinite(codes).all()
    copy = clone(pipeline)
    assert copy.get_params()["autoencoderreducer__n_components"] == 2 and copy is not pipeline
    search = GridSearchCV(make_pipeline(StandardScaler(), AutoencoderReducer(hidden=(8,), epochs=10)),
                          {"autoencoderreducer__n_components": [1, 4]}, cv=3).fit(X)
    assert search.best_params_ == {"autoencoderreducer__n_components": 4}          # more code, less error
    assert list(pipeline.get_feature_names_out()) == ["autoencoderreducer0", "autoencoderreducer1"]


def test_unfitted_use_is_scikit_learns_not_fitted_error():
    with pytest.raises(NotFittedError):
        AutoencoderReducer().transform(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        PCA().transform(np.zeros((2, 3)))


def test_min_max_scaled_data_at_the_edge_of_the_unit_interval_is_accepted():
    X = MinMaxScaler().fit_transform(RNG.normal(size=(60, 4))) * (1 + 2e-16)      # 1.0000000000000002 at the top
    assert X.max() > 1
    reducer = AutoencoderReducer(2, hidden=(8,), epochs=3, output="sigmoid").fit(X)
    assert reducer.output_ == "sigmoid" and np.isfinite(reducer.transform(X)).all()
