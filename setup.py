"""Build hook: setuptools compiles the cffi extensions of the C cores at `pip install` time
(cffi out-of-line API mode). Everything else lives in pyproject.toml."""
from setuptools import setup

setup(
    cffi_modules=[
        "flightsw/adcs/_build.py:ffibuilder_double",
        "flightsw/adcs/_build.py:ffibuilder_float",
    ],
)
