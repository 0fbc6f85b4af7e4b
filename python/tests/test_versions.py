"""The package and datafusion-python agree on the DataFusion they speak."""

import datafusion

import segql
from segql import _segql


def test_datafusion_python_is_55() -> None:
    assert datafusion.__version__.startswith("55.")


def test_built_against_the_same_ffi_major() -> None:
    assert _segql.datafusion_ffi_major() == 55


def test_the_package_lists_segqls_table_functions() -> None:
    names = segql.table_function_names()
    for name in ["rfm", "kmeans_fit", "kmeans_search", "kmeans_evaluate", "assign_segment",
                 "segql_models", "model_segments", "pca", "pca_project", "demo_transactions"]:
        assert name in names
