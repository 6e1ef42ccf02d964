"""Builds the one C extension module; no library is linked (see the header of custody_chainwalk.c)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "custody_chainwalk",
            sources=["custody_chainwalk.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"],
        )
    ],
)
