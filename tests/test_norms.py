"""The one relative L2 error: truth first, any axes, and no number for a zero truth."""

import numpy as np
import pytest

from nnphys.norms import rel_l2


def test_the_truth_is_the_first_argument():
    true = np.array([3.0, 4.0])
    assert rel_l2(true, 2 * true) == pytest.approx(1.0) and rel_l2(2 * true, true) == pytest.approx(0.5)


def test_reduced_over_the_given_axes_only():
    true = np.ones((2, 3, 4))
    pred = true * np.array([1.1, 0.5])[:, None, None]
    np.testing.assert_allclose(rel_l2(true, pred, (-2, -1)), [0.1, 0.5])
    assert float(rel_l2(true, pred)) == pytest.approx(np.sqrt((0.01 + 0.25) / 2))


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_a_zero_truth_has_no_relative_error():
    assert np.isinf(rel_l2(np.zeros(3), np.ones(3)))
